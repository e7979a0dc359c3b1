"""Tenant EHR endpoint settings and dead letters (admins)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from clinscribe.api import API_PREFIX
from clinscribe.api.deps import STEP_UP, CurrentPrincipal, SessionDep, SettingsDep
from clinscribe.api.errors import ERROR_RESPONSES
from clinscribe.db.models import EhrEndpoint
from clinscribe.fhir import service
from clinscribe.fhir.schemas import DeadLetterRead, EndpointIn, EndpointRead
from clinscribe.jobs.schemas import JobRead

router = APIRouter(prefix=API_PREFIX, tags=["admin"], responses=ERROR_RESPONSES)


def _endpoint_out(row: EhrEndpoint) -> dict[str, Any]:
    # Secrets never come back out: only the kind of authentication is shown.
    return {
        "base_url": row.base_url,
        "auth_kind": row.auth_type,
        "patient_system": row.patient_system,
        "encounter_system": row.encounter_system,
        "allow_loopback": row.allow_loopback,
        "updated_at": row.updated_at,
    }


@router.put("/tenant/ehr", response_model=EndpointRead, dependencies=[STEP_UP])
def put_endpoint(
    body: EndpointIn, principal: CurrentPrincipal, session: SessionDep, settings: SettingsDep
) -> dict[str, Any]:
    row = service.configure_endpoint(
        session=session, settings=settings, principal=principal, data=body
    )
    return _endpoint_out(row)


@router.get("/tenant/ehr", response_model=EndpointRead)
def get_endpoint(principal: CurrentPrincipal, session: SessionDep) -> dict[str, Any]:
    return _endpoint_out(service.endpoint_settings(session=session, principal=principal))


@router.get("/admin/dead-letters", response_model=list[DeadLetterRead])
def dead_letters(principal: CurrentPrincipal, session: SessionDep) -> object:
    return service.dead_letters(session=session, principal=principal)


@router.post("/admin/dead-letters/{job_id}/replay", response_model=JobRead)
def replay(job_id: str, principal: CurrentPrincipal, session: SessionDep) -> object:
    return service.replay(session=session, principal=principal, job_id=job_id)
