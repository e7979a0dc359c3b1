"""The tenant's audit trail (admins)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from clinscribe.api import API_PREFIX
from clinscribe.api.deps import CurrentPrincipal, Limit, Offset, SessionDep
from clinscribe.api.errors import ERROR_RESPONSES
from clinscribe.audit import service
from clinscribe.audit.schemas import AuditEventRead
from clinscribe.db.pagination import Page, page_of

router = APIRouter(prefix=f"{API_PREFIX}/audit", tags=["audit"], responses=ERROR_RESPONSES)


@router.get("", response_model=Page[AuditEventRead])
def list_events(
    principal: CurrentPrincipal,
    session: SessionDep,
    limit: Limit = 50,
    offset: Offset = 0,
    action: Annotated[str | None, Query(max_length=64)] = None,
    object_id: Annotated[str | None, Query(max_length=64)] = None,
) -> dict[str, Any]:
    rows, total = service.list_events(
        session=session,
        principal=principal,
        action=action,
        object_id=object_id,
        limit=limit,
        offset=offset,
    )
    return page_of(rows, total, limit, offset)
