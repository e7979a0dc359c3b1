"""Network access and the PHI egress log (admins): the tenant's IP allowlist, egress events."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from clinscribe.accounts import allowlist
from clinscribe.accounts.schemas import IpAllowlistRead, IpAllowlistUpdate
from clinscribe.api import API_PREFIX
from clinscribe.api.deps import (
    STEP_UP,
    CurrentPrincipal,
    Limit,
    Offset,
    SessionDep,
    SettingsDep,
    client_address,
)
from clinscribe.api.errors import ERROR_RESPONSES
from clinscribe.audit import egress
from clinscribe.audit.schemas import EgressEventRead
from clinscribe.db.pagination import Page, page_of

router = APIRouter(prefix=API_PREFIX, tags=["access"], responses=ERROR_RESPONSES)


@router.get("/tenant/ip-allowlist", response_model=IpAllowlistRead)
def get_allowlist(
    request: Request, principal: CurrentPrincipal, session: SessionDep, settings: SettingsDep
) -> IpAllowlistRead:
    """The networks the tenant's credentials may be used from, and the caller's own address."""
    return allowlist.get(
        session=session, principal=principal, client=client_address(request, settings)
    )


@router.put("/tenant/ip-allowlist", response_model=IpAllowlistRead)
def put_allowlist(
    body: IpAllowlistUpdate,
    request: Request,
    principal: CurrentPrincipal,
    session: SessionDep,
    settings: SettingsDep,
) -> IpAllowlistRead:
    """Replace the allowlist (409 `allowlist_excludes_you` unless `confirm_lockout`)."""
    return allowlist.put(
        session=session,
        principal=principal,
        client=client_address(request, settings),
        data=body,
    )


@router.get(
    "/admin/egress",
    response_model=Page[EgressEventRead],
    responses={200: {"content": {"text/csv": {}}}},
    dependencies=[STEP_UP],  # an export of the audit trail
)
def list_egress(
    principal: CurrentPrincipal,
    session: SessionDep,
    since: Annotated[datetime | None, Query(description="Events at or after this time.")] = None,
    processor: Annotated[egress.Processor | None, Query()] = None,
    format: Annotated[Literal["json", "csv"], Query()] = "json",
    limit: Limit = 50,
    offset: Offset = 0,
) -> Any:
    """PHI egress events, newest first; `format=csv` exports them all (up to 50,000)."""
    if format == "csv":
        text = egress.export_csv(
            session=session, principal=principal, since=since, processor=processor
        )
        return Response(
            text,
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="egress.csv"'},
        )
    items, total = egress.list_events(
        session=session,
        principal=principal,
        since=since,
        processor=processor,
        limit=limit,
        offset=offset,
    )
    return page_of(items, total, limit, offset)
