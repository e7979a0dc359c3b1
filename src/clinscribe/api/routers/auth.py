"""Password and single sign-on, refresh rotation, sign-out and the current caller."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Cookie, Query, Request, Response, status
from fastapi.responses import RedirectResponse

from clinscribe.accounts import auth, service, sso
from clinscribe.accounts.lockout import SignInLocked
from clinscribe.accounts.schemas import (
    LoginRequest,
    MfaChallenge,
    RefreshRequest,
    TenantRead,
    TenantUpdate,
    TokenPair,
    UserRead,
)
from clinscribe.api import API_PREFIX
from clinscribe.api.deps import STEP_UP, CurrentPrincipal, SessionDep, SettingsDep
from clinscribe.api.errors import ERROR_RESPONSES
from clinscribe.errors import Unauthorized
from clinscribe.observability.logging import get_logger

router = APIRouter(prefix=f"{API_PREFIX}/auth", tags=["auth"], responses=ERROR_RESPONSES)


@router.post("/login", response_model=TokenPair | MfaChallenge)
def login(
    body: LoginRequest, session: SessionDep, settings: SettingsDep
) -> TokenPair | MfaChallenge:
    try:
        return auth.login(
            session=session, settings=settings, email=body.email, password=body.password
        )
    except (auth.PasswordSignInFailed, SignInLocked) as failure:
        session.rollback()
        auth.record_failure(session=session, settings=settings, failure=failure)
        session.commit()  # the refusal is audited even though the request fails
        raise


@router.post("/refresh", response_model=TokenPair)
def refresh(body: RefreshRequest, session: SessionDep, settings: SettingsDep) -> TokenPair:
    return auth.refresh(session=session, settings=settings, refresh_token=body.refresh_token)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(body: RefreshRequest, session: SessionDep, settings: SettingsDep) -> None:
    auth.logout(session=session, settings=settings, refresh_token=body.refresh_token)


SSO_PATH = f"{API_PREFIX}/auth/oidc"
CALLBACK_PATH = f"{SSO_PATH}/callback"
SESSION_PATH = f"{SSO_PATH}/session"
# The pending sign-in goes only to the callback; the new session only to its one collection.
PENDING_COOKIE = "clinscribe_sso_pending"
HANDOFF_COOKIE = "clinscribe_sso_session"
HANDOFF_SECONDS = 120
log = get_logger("clinscribe.sso")


def _callback_url(request: Request, settings: SettingsDep) -> str:
    base = settings.oidc_redirect_base or str(request.base_url)
    return base.rstrip("/") + CALLBACK_PATH


def _to_sign_in(reason: str) -> RedirectResponse:
    # The page maps the reason to a message; no provider text reaches the browser.
    return RedirectResponse(f"/#/signin?sso_error={reason}", status_code=status.HTTP_303_SEE_OTHER)


def _failed(session: SessionDep, failure: sso.SignInFailed) -> RedirectResponse:
    session.rollback()  # nothing half-provisioned survives a failed sign-in
    sso.record_failure(session=session, failure=failure)
    return _to_sign_in(failure.reason)


@router.get("/oidc/login", status_code=status.HTTP_303_SEE_OTHER, response_class=RedirectResponse)
def oidc_login(request: Request, session: SessionDep, settings: SettingsDep) -> RedirectResponse:
    """Browser single sign-on, step 1: off to the provider with PKCE, state and nonce."""
    redirect_uri = _callback_url(request, settings)
    try:
        url, sealed = sso.begin(settings, redirect_uri=redirect_uri)
    except sso.SignInFailed as failure:
        return _failed(session, failure)
    response = RedirectResponse(url, status_code=status.HTTP_303_SEE_OTHER)
    response.set_cookie(
        PENDING_COOKIE,
        sealed,
        max_age=sso.PENDING_SECONDS,
        path=CALLBACK_PATH,
        secure=redirect_uri.startswith("https://"),
        httponly=True,
        samesite="lax",  # the provider's redirect back is a cross-site top-level navigation
    )
    return response


@router.get(
    "/oidc/callback", status_code=status.HTTP_303_SEE_OTHER, response_class=RedirectResponse
)
def oidc_callback(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    code: Annotated[str | None, Query(max_length=4096)] = None,
    state: Annotated[str | None, Query(max_length=512)] = None,
    error: Annotated[str | None, Query(max_length=256)] = None,
    pending: Annotated[str | None, Cookie(alias=PENDING_COOKIE, max_length=4096)] = None,
) -> RedirectResponse:
    """Step 2: the provider's answer; our own session is handed to the page in a cookie."""
    redirect_uri = _callback_url(request, settings)
    try:
        pair = sso.complete(
            session=session,
            settings=settings,
            sealed=pending,
            state=state,
            code=code,
            error=error,
            redirect_uri=redirect_uri,
        )
        response = RedirectResponse("/#/sso", status_code=status.HTTP_303_SEE_OTHER)
        # Only the refresh token is handed over: the page trades it at once, which rotates
        # (revokes) it, so the cookie is worthless after that one use.
        response.set_cookie(
            HANDOFF_COOKIE,
            pair.refresh_token,
            max_age=HANDOFF_SECONDS,
            path=SESSION_PATH,
            secure=redirect_uri.startswith("https://"),
            httponly=True,
            samesite="lax",
        )
    except sso.SignInFailed as failure:
        response = _failed(session, failure)
    except Exception as exc:  # a browser must land on the sign-in page, never on a 500
        log.error("sso_callback_error", error_type=type(exc).__name__)
        response = _failed(session, sso.SignInFailed("error", type(exc).__name__))
    response.delete_cookie(PENDING_COOKIE, path=CALLBACK_PATH)
    return response


@router.post("/oidc/session", response_model=TokenPair)
def oidc_session(
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    handoff: Annotated[str | None, Cookie(alias=HANDOFF_COOKIE, max_length=4096)] = None,
) -> TokenPair:
    """Step 3: the page collects the session single sign-on opened (once)."""
    response.delete_cookie(HANDOFF_COOKIE, path=SESSION_PATH)
    if not handoff:
        raise Unauthorized("no single sign-on session to collect")
    return auth.refresh(session=session, settings=settings, refresh_token=handoff)


me_router = APIRouter(prefix=API_PREFIX, tags=["auth"], responses=ERROR_RESPONSES)


@me_router.get("/me", response_model=UserRead)
def me(principal: CurrentPrincipal, session: SessionDep) -> object:
    return service.me(session=session, principal=principal)


@me_router.patch("/tenant", response_model=TenantRead, dependencies=[STEP_UP])
def update_tenant(
    body: TenantUpdate, principal: CurrentPrincipal, session: SessionDep, settings: SettingsDep
) -> object:
    return service.update_tenant(session=session, settings=settings, principal=principal, data=body)


@me_router.get("/tenant", response_model=TenantRead)
def tenant(principal: CurrentPrincipal, session: SessionDep) -> object:
    return service.own_tenant(session=session, principal=principal)
