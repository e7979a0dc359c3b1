"""The patient summary, interaction alerts and their acknowledgement, and bulk decisions."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from clinscribe.api import API_PREFIX
from clinscribe.api.deps import CurrentPrincipal, SessionDep, SettingsDep
from clinscribe.api.errors import ERROR_RESPONSES
from clinscribe.clinical import alerts, handover, service, summary
from clinscribe.clinical.schemas import (
    AcceptAllIn,
    AcknowledgeIn,
    AlertRead,
    InteractionsRead,
    SummaryRead,
)

router = APIRouter(
    prefix=f"{API_PREFIX}/patients/{{patient_id}}",
    tags=["clinical record"],
    responses=ERROR_RESPONSES,
)


@router.get("/summary", response_model=SummaryRead)
def get_summary(
    patient_id: str, principal: CurrentPrincipal, session: SessionDep, settings: SettingsDep
) -> dict[str, Any]:
    """Latest vitals, active problems, medications with interaction alerts, allergies, orders."""
    return summary.build(
        session=session, settings=settings, principal=principal, patient_id=patient_id
    )


@router.get("/interactions", response_model=InteractionsRead)
def get_interactions(
    patient_id: str,
    principal: CurrentPrincipal,
    session: SessionDep,
    settings: SettingsDep,
    note_id: Annotated[
        str | None,
        Query(max_length=36, description="Also check the medications this note would add."),
    ] = None,
) -> dict[str, Any]:
    """Current drug-drug, drug-allergy and duplicate-therapy alerts, acknowledged or not."""
    extra = (
        handover.note_medications(
            session=session, principal=principal, patient_id=patient_id, note_id=note_id
        )
        if note_id
        else []
    )
    return alerts.for_patient(
        session=session,
        settings=settings,
        principal=principal,
        patient_id=patient_id,
        extra_drugs=extra,
    ).as_dict()


@router.post("/interactions/acknowledge", response_model=AlertRead)
def acknowledge_interaction(
    patient_id: str,
    body: AcknowledgeIn,
    principal: CurrentPrincipal,
    session: SessionDep,
    settings: SettingsDep,
) -> dict[str, Any]:
    """A clinician acknowledges one alert with a reason (audited)."""
    return alerts.acknowledge(
        session=session,
        settings=settings,
        principal=principal,
        patient_id=patient_id,
        key=body.pair_key,
        reason=body.reason,
    )


@router.post("/record/accept-all")
def accept_all(
    patient_id: str,
    principal: CurrentPrincipal,
    session: SessionDep,
    body: AcceptAllIn | None = None,
) -> dict[str, dict[str, int]]:
    """Accept every proposed entry (of one note when `note_id` is given)."""
    accepted = service.accept_all(
        session=session,
        principal=principal,
        patient_id=patient_id,
        note_id=body.note_id if body else None,
    )
    return {"accepted": accepted}


@router.post("/record/import-documents")
def import_documents(
    patient_id: str, principal: CurrentPrincipal, session: SessionDep
) -> dict[str, dict[str, int]]:
    """Propose the labs and letter facts already read from the patient's documents."""
    return {
        "proposed": handover.propose_from_documents(
            session=session, principal=principal, patient_id=patient_id
        )
    }
