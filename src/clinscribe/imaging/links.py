"""Studies attached to notes: attach, detach, and what a note shows of them.

Only an available study (not one held for a patient mismatch) of the note's own patient can
be attached. A note shows each attached study with a link, and the sentence of its results or
assessment section that mentions the study's modality or body part (`core.mentions`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from clinscribe.audit import service as audit
from clinscribe.db.models import Encounter, ImagingStudy, Note, NoteStudy
from clinscribe.errors import Conflict, Unprocessable
from clinscribe.imaging import service
from clinscribe.imaging.core import mentions
from clinscribe.security.principal import Principal
from clinscribe.security.scoping import get_readable, owned_by


class StudyHeldError(Conflict):
    """A held study is not part of the record yet: confirm it before attaching it."""

    status_code = 409
    code = "study_held"


class OtherPatientError(Unprocessable):
    """The study belongs to another patient than the note's encounter."""

    status_code = 422
    code = "study_other_patient"


def _note(session: Session, principal: Principal, note_id: str) -> Note:
    return get_readable(session, Note, note_id, principal, what="note")


def attach(*, session: Session, principal: Principal, note_id: str, study_id: str) -> ImagingStudy:
    """Attach an available study of the note's patient (idempotent)."""
    principal.require("notes:write")
    note = _note(session, principal, note_id)
    study = service.get(session=session, principal=principal, study_id=study_id)
    if study.status != "available":
        raise StudyHeldError("the study is held for a patient mismatch; confirm it first")
    encounter = session.get(Encounter, note.encounter_id)
    if encounter is None or encounter.patient_id != study.patient_id:
        raise OtherPatientError("the study belongs to another patient than the note")
    exists = session.execute(
        select(NoteStudy.id).where(NoteStudy.note_id == note.id, NoteStudy.study_id == study.id)
    ).first()
    if exists is None:
        session.add(
            NoteStudy(
                tenant_id=note.tenant_id,
                note_id=note.id,
                study_id=study.id,
                created_by=principal.actor_id,
            )
        )
        audit.record(
            session,
            action="note.study.attach",
            principal=principal,
            object_type="note",
            object_id=note.id,
        )
    return study


def detach(*, session: Session, principal: Principal, note_id: str, study_id: str) -> None:
    principal.require("notes:write")
    note = _note(session, principal, note_id)
    session.execute(
        delete(NoteStudy).where(NoteStudy.note_id == note.id, NoteStudy.study_id == study_id)
    )
    audit.record(
        session,
        action="note.study.detach",
        principal=principal,
        object_type="note",
        object_id=note.id,
    )


def studies_of(session: Session, note: Note) -> list[ImagingStudy]:
    """The note's attached studies that are part of the record (tenant-scoped by the note)."""
    return list(
        session.execute(
            owned_by(ImagingStudy, note.tenant_id)
            .join(NoteStudy, NoteStudy.study_id == ImagingStudy.id)
            .where(NoteStudy.note_id == note.id, ImagingStudy.status == "available")
            .order_by(NoteStudy.created_at)
        ).scalars()
    )


def for_note(
    session: Session, note: Note, sections: list[tuple[str, str]], base: str
) -> list[dict[str, Any]]:
    """Each attached study with its link and the sentence that mentions it (or None)."""
    out = []
    for study in studies_of(session, note):
        modalities = [m for m in study.modalities.split(",") if m]
        found = mentions.find(sections, modalities, study.body_part)
        out.append(
            {
                **service.study_json(study),
                "url": f"{base}/studies/{study.id}",
                "mention": None
                if found is None
                else {"section": found.section, "begin": found.begin, "end": found.end},
            }
        )
    return out
