"""Templates, note drafting and the review workflow."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Request, Response, status
from sqlalchemy.orm import Session

from clinscribe.api import API_PREFIX
from clinscribe.api.deps import STEP_UP, CurrentPrincipal, SessionDep, SettingsDep
from clinscribe.api.errors import ERROR_RESPONSES, error_responses
from clinscribe.api.routers.note_live import hub_of
from clinscribe.collab import service as collab
from clinscribe.db.models import Note
from clinscribe.errors import NotFound
from clinscribe.fhir import service as delivery
from clinscribe.fhir.schemas import DeliveryRead
from clinscribe.imaging import links as imaging_links
from clinscribe.notes import core as notes
from clinscribe.notes import service as drafting
from clinscribe.notes import templates
from clinscribe.openemr import writeback as openemr_writeback
from clinscribe.review import conflicts
from clinscribe.review import decisions as facts
from clinscribe.review import service as review
from clinscribe.review.schemas import (
    NoteAmend,
    NoteDraftRequest,
    NoteEdit,
    NoteRead,
    NoteReject,
    NoteVersionRead,
)
from clinscribe.security.principal import Principal

router = APIRouter(prefix=API_PREFIX, tags=["notes"], responses=ERROR_RESPONSES)
IfMatch = Annotated[
    str | None, Header(description='The version edited, e.g. "3" (the ETag of GET).')
]


def note_out(session: Session, note: Note) -> dict[str, Any]:
    version = review.current_version(session=session, note=note)
    # The stored content says "draft"; the response tells the note's status now.
    content = review.content_of(version).model_copy(update={"status": note.status})
    return {
        "id": note.id,
        "encounter_id": note.encounter_id,
        "transcript_id": note.transcript_id,
        "template": note.template_key,
        "status": note.status,
        "version": version.version,
        "rejected_reason": note.rejected_reason,
        "signed_by": note.signed_by,
        "signed_at": note.signed_at,
        "signed_sha256": note.signed_sha256,
        "replaces_version": note.replaces_version,
        "content": content,
        "facts": facts.listing(content),
        "delivery_status": delivery.latest_status(session=session, note=note),
        "studies": imaging_links.for_note(
            session, note, [(s.key, s.text) for s in content.sections], API_PREFIX
        ),
    }


@router.get("/templates", response_model=list[notes.Template])
def list_templates(principal: CurrentPrincipal, session: SessionDep) -> object:
    return templates.list_templates(session=session, principal=principal)


@router.get("/templates/{key}", response_model=notes.Template)
def get_template(key: str, principal: CurrentPrincipal, session: SessionDep) -> object:
    """One template, with the capture prompt a UI can show while dictating."""
    return templates.get_template(session=session, principal=principal, key=key)


@router.post("/templates", response_model=notes.Template, status_code=status.HTTP_201_CREATED)
def create_template(
    body: dict[str, Any], principal: CurrentPrincipal, session: SessionDep
) -> object:
    """A tenant template: key, title, sections (key, title, instruction, fact_kinds)."""
    return templates.create_template(session=session, principal=principal, data=body)


@router.put("/templates/{key}", response_model=notes.Template)
def update_template(
    key: str, body: dict[str, Any], principal: CurrentPrincipal, session: SessionDep
) -> object:
    """Replace a tenant template (built-in templates cannot be changed)."""
    return templates.update_template(session=session, principal=principal, key=key, data=body)


@router.delete("/templates/{key}", status_code=status.HTTP_204_NO_CONTENT)
def delete_template(key: str, principal: CurrentPrincipal, session: SessionDep) -> None:
    templates.delete_template(session=session, principal=principal, key=key)


@router.post(
    "/encounters/{encounter_id}/notes",
    response_model=NoteRead,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(502),
)
def draft_note(
    encounter_id: str,
    body: NoteDraftRequest,
    principal: CurrentPrincipal,
    session: SessionDep,
    settings: SettingsDep,
    response: Response,
) -> dict[str, Any]:
    """Draft (or re-draft) the encounter's note from its latest (or the given) transcript."""
    note = drafting.draft_for_encounter(
        session=session,
        principal=principal,
        encounter_id=encounter_id,
        template_key=body.template,
        transcript_id=body.transcript_id,
        refine=body.refine,
        settings=settings,
    )
    response.headers["Location"] = f"{API_PREFIX}/notes/{note.id}"
    return note_out(session, note)


@router.get("/encounters/{encounter_id}/notes", response_model=list[NoteRead])
def list_notes(
    encounter_id: str, principal: CurrentPrincipal, session: SessionDep
) -> list[dict[str, Any]]:
    rows = review.list_for_encounter(
        session=session, principal=principal, encounter_id=encounter_id
    )
    return [note_out(session, n) for n in rows]


@router.get("/notes/{note_id}", response_model=NoteRead)
def get_note(
    note_id: str, principal: CurrentPrincipal, session: SessionDep, response: Response
) -> dict[str, Any]:
    """The note; its `ETag` is the current version, to send back as `If-Match` when editing."""
    note = review.get(session=session, principal=principal, note_id=note_id)
    response.headers["ETag"] = f'"{note.current_version}"'
    return note_out(session, note)


@router.get("/notes/{note_id}/versions", response_model=list[NoteVersionRead])
def note_versions(note_id: str, principal: CurrentPrincipal, session: SessionDep) -> object:
    return review.versions(session=session, principal=principal, note_id=note_id)


@router.patch("/notes/{note_id}", response_model=NoteRead, responses=error_responses(428))
def edit_note(
    note_id: str,
    body: NoteEdit,
    principal: CurrentPrincipal,
    session: SessionDep,
    settings: SettingsDep,
    request: Request,
    response: Response,
    if_match: IfMatch = None,
) -> dict[str, Any]:
    """A new version: changed section texts and/or accept/remove decisions on the facts.

    Name the version edited (`If-Match: "3"` or body `version`): a stale edit is refused with
    409 `version_conflict`, carrying `current_version`, `current` (its content) and `sections`
    (per section: base and current text, a unified diff, and whether this edit changed it too).
    """
    note = review.edit(
        session=session,
        principal=principal,
        note_id=note_id,
        sections=body.sections,
        reason=body.reason,
        decisions=body.facts,
        expected_version=conflicts.expected_version(if_match, body.version),
        require_version=settings.note_edit_require_version,
    )
    return _edited(request, response, session, principal, note)


def _edited(
    request: Request, response: Response, session: Session, principal: Principal, note: Note
) -> dict[str, Any]:
    """The edited note with its new ETag; its live channel hears of it once committed."""
    collab.announce_update(session=session, hub=hub_of(request.app), principal=principal, note=note)
    response.headers["ETag"] = f'"{note.current_version}"'
    return note_out(session, note)


@router.post("/notes/{note_id}/submit", response_model=NoteRead)
def submit_note(note_id: str, principal: CurrentPrincipal, session: SessionDep) -> dict[str, Any]:
    return note_out(session, review.submit(session=session, principal=principal, note_id=note_id))


@router.post("/notes/{note_id}/approve", response_model=NoteRead)
def approve_note(note_id: str, principal: CurrentPrincipal, session: SessionDep) -> dict[str, Any]:
    return note_out(session, review.approve(session=session, principal=principal, note_id=note_id))


@router.post("/notes/{note_id}/reject", response_model=NoteRead)
def reject_note(
    note_id: str, body: NoteReject, principal: CurrentPrincipal, session: SessionDep
) -> dict[str, Any]:
    note = review.reject(session=session, principal=principal, note_id=note_id, reason=body.reason)
    return note_out(session, note)


@router.post("/notes/{note_id}/sign", response_model=NoteRead, dependencies=[STEP_UP])
def sign_note(
    note_id: str, principal: CurrentPrincipal, session: SessionDep, settings: SettingsDep
) -> dict[str, Any]:
    """Sign the approved version; the EHR delivery is queued in the same transaction."""
    note = delivery.sign_and_queue(
        session=session, settings=settings, principal=principal, note_id=note_id
    )
    # An OpenEMR-linked encounter also gets the note as a SOAP form, through the same outbox.
    openemr_writeback.queue(session=session, settings=settings, note=note)
    return note_out(session, note)


@router.get("/notes/{note_id}/fhir")
def note_bundle(
    note_id: str, request: Request, principal: CurrentPrincipal, session: SessionDep
) -> dict[str, Any]:
    """The FHIR R4 transaction Bundle of the signed version."""
    return delivery.bundle_for_note(
        session=session, principal=principal, note_id=note_id, blobs=request.app.state.blobs
    )


@router.get("/notes/{note_id}/deliveries", response_model=list[DeliveryRead])
def note_deliveries(note_id: str, principal: CurrentPrincipal, session: SessionDep) -> object:
    return delivery.deliveries_for(session=session, principal=principal, note_id=note_id)


@router.post(
    "/notes/{note_id}/deliver", response_model=DeliveryRead, status_code=status.HTTP_202_ACCEPTED
)
def deliver_note(
    note_id: str, principal: CurrentPrincipal, session: SessionDep, settings: SettingsDep
) -> object:
    """(Re)send the signed version to the tenant's EHR."""
    return delivery.deliver_now(
        session=session, settings=settings, principal=principal, note_id=note_id
    )


@router.post("/notes/{note_id}/amend", response_model=NoteRead, responses=error_responses(428))
def amend_note(
    note_id: str,
    body: NoteAmend,
    principal: CurrentPrincipal,
    session: SessionDep,
    settings: SettingsDep,
    request: Request,
    response: Response,
    if_match: IfMatch = None,
) -> dict[str, Any]:
    """Amend a signed note (a new draft version); names its version like an edit does."""
    note = review.amend(
        session=session,
        principal=principal,
        note_id=note_id,
        sections=body.sections,
        reason=body.reason,
        decisions=body.facts,
        expected_version=conflicts.expected_version(if_match, body.version),
        require_version=settings.note_edit_require_version,
    )
    return _edited(request, response, session, principal, note)


def _note_for_transcription(session: Session, principal: Principal, transcription_id: str) -> Note:
    note = review.latest_for_transcript(
        session=session, principal=principal, transcript_id=transcription_id
    )
    if note is None:
        raise NotFound("no note drafted from this transcription")
    return note


@router.post("/transcriptions/{transcription_id}/approve", response_model=NoteRead)
def approve_transcription(
    transcription_id: str, principal: CurrentPrincipal, session: SessionDep
) -> dict[str, Any]:
    """Shortcut: approve the note drafted from this transcription (submitting it if needed)."""
    note = _note_for_transcription(session, principal, transcription_id)
    return note_out(
        session, review.approve_shortcut(session=session, principal=principal, note=note)
    )


@router.post(
    "/transcriptions/{transcription_id}/deliver",
    response_model=DeliveryRead,
    status_code=status.HTTP_202_ACCEPTED,
)
def deliver_transcription(
    transcription_id: str, principal: CurrentPrincipal, session: SessionDep, settings: SettingsDep
) -> object:
    """Shortcut: send the signed note drafted from this transcription to the EHR."""
    return delivery.deliver_for_transcript(
        session=session, settings=settings, principal=principal, transcript_id=transcription_id
    )


@router.post("/transcriptions/{transcription_id}/reject", response_model=NoteRead)
def reject_transcription(
    transcription_id: str, body: NoteReject, principal: CurrentPrincipal, session: SessionDep
) -> dict[str, Any]:
    note = _note_for_transcription(session, principal, transcription_id)
    rejected = review.reject_shortcut(
        session=session, principal=principal, note=note, reason=body.reason
    )
    return note_out(session, rejected)
