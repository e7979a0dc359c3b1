"""The tenant's retention period (how long encounters are kept before export and purge)."""

from __future__ import annotations

from fastapi import APIRouter

from clinscribe.api import API_PREFIX
from clinscribe.api.deps import STEP_UP, CurrentPrincipal, SessionDep
from clinscribe.api.errors import ERROR_RESPONSES
from clinscribe.retention import service
from clinscribe.retention.schemas import RetentionRead, RetentionUpdate

router = APIRouter(prefix=API_PREFIX, tags=["admin"], responses=ERROR_RESPONSES)


@router.get("/tenant/retention", response_model=RetentionRead)
def get_retention(principal: CurrentPrincipal, session: SessionDep) -> object:
    return service.get(session=session, principal=principal)


@router.put("/tenant/retention", response_model=RetentionRead, dependencies=[STEP_UP])
def put_retention(
    body: RetentionUpdate, principal: CurrentPrincipal, session: SessionDep
) -> object:
    return service.update(session=session, principal=principal, data=body)
