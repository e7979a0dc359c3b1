"""SMART App Launch from OpenEMR: the launch and callback pages, and the tenant's registration.

The two pages are browser navigations, so a failure is a small HTML page with a 4xx status (or
502 when the EHR failed), never a 500; a client asking for JSON gets the usual error body.
"""

from __future__ import annotations

import html
from typing import Annotated

from fastapi import APIRouter, Cookie, Query, Request, status
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from clinscribe.api import API_PREFIX
from clinscribe.api.deps import STEP_UP, CurrentPrincipal, SessionDep, SettingsDep
from clinscribe.api.errors import ERROR_RESPONSES
from clinscribe.api.routers.auth import HANDOFF_COOKIE, HANDOFF_SECONDS, SESSION_PATH
from clinscribe.observability.logging import get_logger
from clinscribe.openemr import smart, smart_settings
from clinscribe.openemr.core.smart import SmartLaunchFailed
from clinscribe.openemr.schemas import SmartSettingsRead, SmartSettingsUpdate

router = APIRouter(tags=["smart"], responses=ERROR_RESPONSES)
log = get_logger("clinscribe.smart")

CALLBACK_PATH = "/smart/callback"
BROWSER_COOKIE = "clinscribe_smart_launch"


def _callback_url(request: Request, settings: SettingsDep) -> str:
    base = settings.oidc_redirect_base or str(request.base_url)
    return base.rstrip("/") + CALLBACK_PATH


def _failed(request: Request, session: SessionDep, failure: SmartLaunchFailed) -> Response:
    session.rollback()  # nothing half-provisioned survives a failed launch
    smart.record_failure(session=session, failure=failure)
    session.commit()
    log.warning("smart_launch_failed", reason=failure.reason, status=failure.status_code)
    accept = request.headers.get("accept", "")
    if "application/json" in accept and "text/html" not in accept:
        body = {"error": failure.code, "reason": failure.reason, "detail": failure.message}
        return JSONResponse(body, status_code=failure.status_code)
    page = (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        "<title>Clinscribe: launch failed</title>"
        '<link rel=stylesheet href="/static/css/app.css"></head><body><main class="card narrow">'
        "<h1>Clinscribe could not open this chart</h1>"
        f'<p id="smart-error" data-reason="{html.escape(failure.reason)}">'
        f"{html.escape(failure.message)}</p>"
        '<p><a href="/">Open Clinscribe and sign in</a></p></main></body></html>'
    )
    return HTMLResponse(page, status_code=failure.status_code)


@router.get("/smart/launch", response_class=RedirectResponse, status_code=303)
def launch(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    iss: Annotated[str | None, Query(max_length=500)] = None,
    launch: Annotated[str | None, Query(max_length=1024)] = None,
) -> Response:
    """EHR launch, step 1: OpenEMR opens this with `iss` and `launch`; off to its authorize."""
    redirect_uri = _callback_url(request, settings)
    try:
        if not iss or not launch:
            raise SmartLaunchFailed("request", "a SMART launch needs iss and launch")
        url, browser = smart.begin(
            session=session, settings=settings, iss=iss, launch=launch, redirect_uri=redirect_uri
        )
    except SmartLaunchFailed as failure:
        return _failed(request, session, failure)
    response = RedirectResponse(url, status_code=status.HTTP_303_SEE_OTHER)
    response.set_cookie(
        BROWSER_COOKIE,
        browser,
        max_age=smart.PENDING_SECONDS,
        path=CALLBACK_PATH,
        secure=redirect_uri.startswith("https://"),
        httponly=True,
        samesite="lax",  # the EHR's redirect back is a cross-site top-level navigation
    )
    return response


@router.get(CALLBACK_PATH, response_class=RedirectResponse, status_code=303)
def callback(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    code: Annotated[str | None, Query(max_length=4096)] = None,
    state: Annotated[str | None, Query(max_length=512)] = None,
    error: Annotated[str | None, Query(max_length=256)] = None,
    browser: Annotated[str | None, Cookie(alias=BROWSER_COOKIE, max_length=512)] = None,
) -> Response:
    """Step 2: check the state, exchange the code, sign in and land on the launch's chart."""
    redirect_uri = _callback_url(request, settings)
    try:
        pending = smart.consume(session=session, state=state, browser=browser)
        session.commit()  # used once, whatever happens next
        tenant_id = pending.tenant_id
        try:
            landed = smart.complete(
                session=session,
                settings=settings,
                launch=pending,
                code=code,
                error=error,
                redirect_uri=redirect_uri,
            )
        except SmartLaunchFailed as failure:
            failure.tenant_id = failure.tenant_id or tenant_id
            raise
        except Exception as exc:  # a browser must land on a page, never on a 500
            log.error("smart_callback_error", error_type=type(exc).__name__)
            raise SmartLaunchFailed(
                "error", "the launch failed; try again", status_code=502, tenant_id=tenant_id
            ) from exc
    except SmartLaunchFailed as failure:
        response = _failed(request, session, failure)
        response.delete_cookie(BROWSER_COOKIE, path=CALLBACK_PATH)
        return response
    response = RedirectResponse(f"/#/sso?next={landed.path}", status_code=303)
    # The page collects the session as after single sign-on: the refresh token, used once.
    response.set_cookie(
        HANDOFF_COOKIE,
        landed.tokens.refresh_token,
        max_age=HANDOFF_SECONDS,
        path=SESSION_PATH,
        secure=redirect_uri.startswith("https://"),
        httponly=True,
        samesite="lax",
    )
    response.delete_cookie(BROWSER_COOKIE, path=CALLBACK_PATH)
    return response


@router.get(f"{API_PREFIX}/tenant/smart", response_model=SmartSettingsRead)
def get_settings(principal: CurrentPrincipal, session: SessionDep) -> SmartSettingsRead:
    return smart_settings.get(session=session, principal=principal)


@router.put(f"{API_PREFIX}/tenant/smart", response_model=SmartSettingsRead, dependencies=[STEP_UP])
def put_settings(
    body: SmartSettingsUpdate,
    principal: CurrentPrincipal,
    session: SessionDep,
    settings: SettingsDep,
) -> SmartSettingsRead:
    """Register Clinscribe's SMART client in OpenEMR for this tenant (the secret is sealed)."""
    return smart_settings.put(session=session, settings=settings, principal=principal, data=body)
