"""Patients of the caller's tenant."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response, status

from clinscribe.api import API_PREFIX
from clinscribe.api.deps import STEP_UP, CurrentPrincipal, Limit, Offset, SessionDep
from clinscribe.api.errors import ERROR_RESPONSES
from clinscribe.db.pagination import Page, page_of
from clinscribe.records import erase
from clinscribe.records import patients as service
from clinscribe.records.schemas import PatientCreate, PatientRead, PatientUpdate

router = APIRouter(prefix=f"{API_PREFIX}/patients", tags=["patients"], responses=ERROR_RESPONSES)


@router.get("", response_model=Page[PatientRead])
def list_patients(
    principal: CurrentPrincipal,
    session: SessionDep,
    limit: Limit = 50,
    offset: Offset = 0,
    mrn: Annotated[str | None, Query(max_length=64)] = None,
    family_name: Annotated[str | None, Query(max_length=200, description="Prefix match.")] = None,
    openemr_pid: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
) -> dict[str, Any]:
    rows, total = service.list(
        session=session,
        principal=principal,
        mrn=mrn,
        family_name=family_name,
        openemr_pid=openemr_pid,
        limit=limit,
        offset=offset,
    )
    return page_of(rows, total, limit, offset)


@router.post("", response_model=PatientRead, status_code=status.HTTP_201_CREATED)
def create_patient(
    body: PatientCreate, principal: CurrentPrincipal, session: SessionDep, response: Response
) -> object:
    patient = service.create(session=session, principal=principal, data=body)
    response.headers["Location"] = f"/api/v1/patients/{patient.id}"
    return patient


@router.get("/{patient_id}", response_model=PatientRead)
def get_patient(patient_id: str, principal: CurrentPrincipal, session: SessionDep) -> object:
    return service.get(session=session, principal=principal, patient_id=patient_id)


@router.patch("/{patient_id}", response_model=PatientRead)
def update_patient(
    patient_id: str, body: PatientUpdate, principal: CurrentPrincipal, session: SessionDep
) -> object:
    return service.update(session=session, principal=principal, patient_id=patient_id, data=body)


@router.delete("/{patient_id}", status_code=status.HTTP_204_NO_CONTENT, dependencies=[STEP_UP])
def delete_patient(
    patient_id: str, request: Request, principal: CurrentPrincipal, session: SessionDep
) -> None:
    """Delete the patient and everything recorded for them, audio files included."""
    erase.erase_patient(
        session=session, principal=principal, blobs=request.app.state.blobs, patient_id=patient_id
    )
