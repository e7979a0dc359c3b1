"""The security controls report (administrators): the same report as `admin validate-controls`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from clinscribe.api import API_PREFIX
from clinscribe.api.deps import CurrentPrincipal, SessionDep, SettingsDep
from clinscribe.api.errors import ERROR_RESPONSES
from clinscribe.compliance import service

router = APIRouter(prefix=API_PREFIX, tags=["admin"], responses=ERROR_RESPONSES)


@router.get("/admin/controls")
def controls(principal: CurrentPrincipal, session: SessionDep, settings: SettingsDep) -> Any:
    return service.controls_report(session=session, principal=principal, settings=settings)
