"""Encounters visible to the caller."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response, status

from clinscribe.api import API_PREFIX
from clinscribe.api.deps import STEP_UP, CurrentPrincipal, Limit, Offset, SessionDep
from clinscribe.api.errors import ERROR_RESPONSES
from clinscribe.db.pagination import Page, page_of
from clinscribe.records import encounters as service
from clinscribe.records import erase
from clinscribe.records.schemas import (
    EncounterCreate,
    EncounterRead,
    EncounterStatus,
    EncounterType,
    EncounterUpdate,
)

router = APIRouter(
    prefix=f"{API_PREFIX}/encounters", tags=["encounters"], responses=ERROR_RESPONSES
)


@router.get("", response_model=Page[EncounterRead])
def list_encounters(
    principal: CurrentPrincipal,
    session: SessionDep,
    limit: Limit = 50,
    offset: Offset = 0,
    patient_id: Annotated[str | None, Query(max_length=36)] = None,
    clinician_id: Annotated[str | None, Query(max_length=36)] = None,
    status: Annotated[EncounterStatus | None, Query()] = None,
    type: Annotated[EncounterType | None, Query()] = None,
    started_after: Annotated[datetime | None, Query()] = None,
    started_before: Annotated[datetime | None, Query()] = None,
) -> dict[str, Any]:
    rows, total = service.list(
        session=session,
        principal=principal,
        patient_id=patient_id,
        clinician_id=clinician_id,
        status=status,
        type=type,
        started_after=started_after,
        started_before=started_before,
        limit=limit,
        offset=offset,
    )
    return page_of(rows, total, limit, offset)


@router.post("", response_model=EncounterRead, status_code=status.HTTP_201_CREATED)
def create_encounter(
    body: EncounterCreate, principal: CurrentPrincipal, session: SessionDep, response: Response
) -> object:
    encounter = service.create(session=session, principal=principal, data=body)
    response.headers["Location"] = f"/api/v1/encounters/{encounter.id}"
    return encounter


@router.get("/{encounter_id}", response_model=EncounterRead)
def get_encounter(encounter_id: str, principal: CurrentPrincipal, session: SessionDep) -> object:
    return service.get(session=session, principal=principal, encounter_id=encounter_id)


@router.patch("/{encounter_id}", response_model=EncounterRead)
def update_encounter(
    encounter_id: str, body: EncounterUpdate, principal: CurrentPrincipal, session: SessionDep
) -> object:
    return service.update(
        session=session, principal=principal, encounter_id=encounter_id, data=body
    )


@router.delete("/{encounter_id}", status_code=status.HTTP_204_NO_CONTENT, dependencies=[STEP_UP])
def delete_encounter(
    encounter_id: str, request: Request, principal: CurrentPrincipal, session: SessionDep
) -> None:
    """Delete the encounter and everything captured in it, audio files included."""
    erase.erase_encounter(
        session=session,
        principal=principal,
        blobs=request.app.state.blobs,
        encounter_id=encounter_id,
    )
