"""Draft a patient's Client Health Report from their documents, as a note under review.

A CHR is stored as a note with template `client_health_report` on a records-review encounter
of the patient owned by the drafting clinician, so the note review verbs (edit, submit,
approve, reject, sign, amend), the FHIR Composition bundle and the EHR outbox apply to it
unchanged. Drafting again while a CHR of that clinician is open adds a version to it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func
from sqlalchemy.orm import Session

from clinscribe.config import Settings
from clinscribe.db.models import Encounter, Note
from clinscribe.db.models.documents import Document, DocumentFact, DocumentPage, LabObservation
from clinscribe.documents.core.pages import Citation
from clinscribe.errors import Forbidden, Unprocessable
from clinscribe.notes import core as notes
from clinscribe.notes import service as notes_service
from clinscribe.records import encounters, patients
from clinscribe.records.schemas import EncounterCreate
from clinscribe.reports import core
from clinscribe.review import service as review
from clinscribe.security.principal import Principal
from clinscribe.security.scoping import readable

REVIEW_REASON = "Records review: Client Health Report"
_FACT_KINDS = ("medication", "problem", "allergy", "follow_up")


def _details(raw: str | None) -> dict[str, Any]:
    try:
        value = json.loads(raw or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def load_sources(*, session: Session, principal: Principal, patient_id: str) -> core.ReportSources:
    """The patient's ready documents: page texts, lab results and letter facts."""
    documents = {
        d.id: d
        for d in session.execute(
            readable(Document, principal).where(
                Document.patient_id == patient_id, Document.status == "ready"
            )
        ).scalars()
    }
    ids = list(documents)
    pages = [
        core.SourcePage(
            p.document_id,
            p.number,
            p.text,
            documents[p.document_id].kind,
            documents[p.document_id].document_date,
        )
        for p in session.execute(
            readable(DocumentPage, principal)
            .where(DocumentPage.document_id.in_(ids))
            .order_by(DocumentPage.document_id, DocumentPage.number)
        ).scalars()
    ]
    labs = [
        core.LabEntry(
            analyte=o.analyte_printed,
            value_printed=o.value_printed,
            citation=Citation(o.document_id, o.page, o.span_begin, o.span_end),
            value=o.value,
            unit=o.unit,
            canonical=o.canonical,
            loinc=o.loinc,
            ref_low=o.ref_low,
            ref_high=o.ref_high,
            ref_printed=o.ref_printed,
            flag=o.flag,
            date=o.effective_date,
            low_confidence=o.low_confidence,
        )
        for o in session.execute(
            readable(LabObservation, principal).where(LabObservation.document_id.in_(ids))
        ).scalars()
    ]
    facts = [
        core.LetterEntry(
            kind=f.kind,  # type: ignore[arg-type]  # checked just below
            text=f.text,
            citation=Citation(f.document_id, f.page, f.span_begin, f.span_end),
            details=_details(f.details_json),
        )
        for f in session.execute(
            readable(DocumentFact, principal).where(DocumentFact.document_id.in_(ids))
        ).scalars()
        if f.kind in _FACT_KINDS
    ]
    return core.ReportSources(pages=pages, labs=labs, facts=facts)


def _nothing_to_report(session: Session, principal: Principal, patient_id: str) -> str:
    """Why there is nothing to draft from: no documents yet, or none read yet."""
    waiting = session.execute(
        readable(Document, principal)
        .where(Document.patient_id == patient_id, Document.status.in_(("stored", "processing")))
        .with_only_columns(func.count(Document.id))
    ).scalar_one()
    if waiting:
        return (
            f"the patient's {waiting} document(s) are still being read; draft the report "
            "once at least one is ready"
        )
    return "the patient has no ready documents to report on; upload their records first"


def _open_report_encounter(session: Session, principal: Principal, patient_id: str) -> str | None:
    """The encounter of this clinician's open CHR of the patient, if one is being edited."""
    own = (
        readable(Encounter, principal)
        .where(Encounter.patient_id == patient_id, Encounter.clinician_id == principal.user_id)
        .with_only_columns(Encounter.id)
    )
    note = session.execute(
        readable(Note, principal)
        .where(
            Note.template_key == core.TEMPLATE,
            Note.encounter_id.in_(own),
            Note.status.in_(review.EDITABLE),
        )
        .order_by(Note.created_at.desc())
        .limit(1)
    ).scalar_one_or_none()
    return note.encounter_id if note else None


def _refine(
    session: Session,
    settings: Settings,
    principal: Principal,
    patient_id: str,
    drafted: notes.Note,
    sources: core.ReportSources,
) -> notes.Note:
    """LLM refinement under the tenant's PHI egress policy, as for notes; egress is audited."""
    client, mode = notes_service.llm_client(
        session, settings, principal, object_type="patient", object_id=patient_id
    )
    return core.refine_report(drafted, sources, client, mode)


def draft_for_patient(
    *,
    session: Session,
    principal: Principal,
    patient_id: str,
    refine: bool = False,
    settings: Settings | None = None,
) -> Note:
    """Draft (or re-draft) the clinician's CHR of the patient from their ready documents.

    With `refine`, the offline draft is rewritten by the tenant's LLM (off by default).
    """
    principal.require("notes:write")
    patient = patients.get(
        session=session, principal=principal, patient_id=patient_id, audit_read=False
    )
    if principal.role != "clinician" or principal.user_id is None:
        raise Forbidden("a Client Health Report is drafted by a clinician")
    sources = load_sources(session=session, principal=principal, patient_id=patient.id)
    if not sources.pages:
        raise core.NothingToReportError(_nothing_to_report(session, principal, patient.id))
    drafted = core.check(core.draft_report(sources), sources)
    if refine:
        if settings is None:
            raise Unprocessable("refinement needs the service settings")
        drafted = _refine(session, settings, principal, patient.id, drafted, sources)
    encounter_id = _open_report_encounter(session, principal, patient.id)
    if encounter_id is None:
        encounter_id = encounters.create(
            session=session,
            principal=principal,
            data=EncounterCreate(patient_id=patient.id, status="finished", reason=REVIEW_REASON),
        ).id
    return review.store_draft(
        session=session,
        principal=principal,
        encounter_id=encounter_id,
        transcript_id=None,
        template_key=core.TEMPLATE,
        drafted=drafted,
    )


def list_for_patient(*, session: Session, principal: Principal, patient_id: str) -> Sequence[Note]:
    """The patient's CHRs the caller may see, newest first."""
    principal.require("notes:read")
    patient = patients.get(
        session=session, principal=principal, patient_id=patient_id, audit_read=False
    )
    of_patient = (
        readable(Encounter, principal)
        .where(Encounter.patient_id == patient.id)
        .with_only_columns(Encounter.id)
    )
    return (
        session.execute(
            readable(Note, principal)
            .where(Note.template_key == core.TEMPLATE, Note.encounter_id.in_(of_patient))
            .order_by(Note.created_at.desc())
        )
        .scalars()
        .all()
    )


def pdf_for_note(*, session: Session, principal: Principal, note_id: str) -> bytes:
    """The note's current version (a CHR or any note) as a PDF; the read is audited."""
    note = review.get(session=session, principal=principal, note_id=note_id)
    version = review.current_version(session=session, note=note)
    content = review.content_of(version)
    title = "Client Health Report" if note.template_key == core.TEMPLATE else "Clinical note"
    signed = f", signed {note.signed_at:%Y-%m-%d}" if note.signed_at else ""
    footer = f"Version {version.version}, {note.status}{signed}"
    return core.render_pdf(
        title, [(s.title, s.text) for s in content.sections if s.text], footer=footer
    )
