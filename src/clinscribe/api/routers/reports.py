"""Client Health Reports: draft from a patient's documents, list, and export as PDF.

A drafted CHR is a note: it is read, edited, submitted, approved, signed, exported as FHIR
and delivered through the `/notes/{id}` routes.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, ConfigDict

from clinscribe.api import API_PREFIX
from clinscribe.api.deps import CurrentPrincipal, SessionDep, SettingsDep
from clinscribe.api.errors import ERROR_RESPONSES
from clinscribe.api.routers.notes import note_out
from clinscribe.reports import service
from clinscribe.review.schemas import NoteRead


class ReportDraftRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    refine: bool = False


router = APIRouter(prefix=API_PREFIX, tags=["reports"], responses=ERROR_RESPONSES)


@router.post(
    "/patients/{patient_id}/reports", response_model=NoteRead, status_code=status.HTTP_201_CREATED
)
def draft_report(
    patient_id: str,
    principal: CurrentPrincipal,
    session: SessionDep,
    settings: SettingsDep,
    response: Response,
    body: ReportDraftRequest | None = None,
) -> dict[str, Any]:
    """Draft (or re-draft) the caller's CHR of the patient from their ready documents.

    `{"refine": true}` has the tenant's LLM rewrite the offline draft (PHI egress policy).
    """
    note = service.draft_for_patient(
        session=session,
        principal=principal,
        patient_id=patient_id,
        refine=bool(body and body.refine),
        settings=settings,
    )
    response.headers["Location"] = f"{API_PREFIX}/notes/{note.id}"
    return note_out(session, note)


@router.get("/patients/{patient_id}/reports", response_model=list[NoteRead])
def list_reports(
    patient_id: str, principal: CurrentPrincipal, session: SessionDep
) -> list[dict[str, Any]]:
    rows = service.list_for_patient(session=session, principal=principal, patient_id=patient_id)
    return [note_out(session, n) for n in rows]


@router.get(
    "/notes/{note_id}/pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
def note_pdf(note_id: str, principal: CurrentPrincipal, session: SessionDep) -> Response:
    """The note's (or CHR's) current version as a PDF."""
    data = service.pdf_for_note(session=session, principal=principal, note_id=note_id)
    return Response(
        data,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="note-{note_id}.pdf"'},
    )
