"""From the visit (a signed note) and from documents to the record, as `proposed` entries.

When a note is signed, the facts the clinician kept in it and its plan items are proposed
(`clinical.core.proposals`); lab results and letter facts read from documents are proposed with
their page and span. A fact the record already holds (proposed or active, not rejected or in
error) is not proposed twice: the new provenance joins the existing entry's `sources` (the same
drug twice is one statement with two sources; the same LOINC at the same time is one
observation). Nothing here makes an entry active.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, time
from functools import lru_cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from clinscribe.asr.core.schemas import Segment
from clinscribe.audit import service as audit
from clinscribe.clinical import queries
from clinscribe.clinical.core import rules
from clinscribe.clinical.core.keys import drug_key, observation_key, text_key
from clinscribe.clinical.core.proposals import NoteFacts, Proposal, Sentence, add_source, from_note
from clinscribe.db.models import (
    RECORD_MODELS,
    Document,
    DocumentFact,
    Encounter,
    LabObservation,
    Note,
    NoteVersion,
    RecordMixin,
    Transcript,
)
from clinscribe.errors import NotFound
from clinscribe.interactions.core.names import NameResolver
from clinscribe.nlp.core.drugs import load_drug_lexicon
from clinscribe.notes.core import NoteContent
from clinscribe.notes.core.units import joined_text
from clinscribe.records import patients
from clinscribe.review import service as review
from clinscribe.security.principal import Principal

OPEN_STATES = ("proposed", "active")


@lru_cache(maxsize=1)
def _resolver() -> NameResolver:
    return NameResolver(load_drug_lexicon())


def resolve(name: str) -> str | None:
    """The generic drug (or allergen class) a written name stands for."""
    found = _resolver().resolve(name)
    return found.generic if found else None


def _key(resource: str, row: RecordMixin) -> str:
    """The dedupe key of an existing entry (the same rule proposals use)."""
    v: Any = row
    if resource == "observation":
        return str(observation_key(v.code, v.display, v.effective_at))
    if resource == "medication":
        return f"{v.kind}:{drug_key(v.drug, resolve(v.drug))}"
    if resource == "condition":
        return str(v.code or text_key(v.display))
    if resource == "allergy":
        return text_key(resolve(v.substance) or v.substance)
    if resource == "order":
        return f"{v.category}:{v.code or v.display.lower()}"
    return str(v.id)


def _existing(
    session: Session, tenant_id: str, patient_id: str, resource: str
) -> dict[str, RecordMixin]:
    model = RECORD_MODELS[resource]
    rows = session.scalars(
        queries.scoped(model, tenant_id, patient_id=patient_id, states=OPEN_STATES)
    )
    out: dict[str, RecordMixin] = {}
    for row in rows:
        if not rules.is_in_error(resource, _plain(row)):
            out.setdefault(_key(resource, row), row)
    return out


def _plain(row: RecordMixin) -> dict[str, Any]:
    return {k: getattr(row, k, None) for k in ("status", "verification_status")}


def store(
    session: Session,
    *,
    tenant_id: str,
    patient_id: str,
    encounter_id: str | None,
    recorded_by: str | None,
    proposals: Sequence[Proposal],
) -> dict[str, int]:
    """Propose each entry, or add its provenance to the entry that already holds the fact."""
    counts: dict[str, int] = {}
    known: dict[str, dict[str, RecordMixin]] = {}
    for p in proposals:
        if p.resource not in known:
            known[p.resource] = _existing(session, tenant_id, patient_id, p.resource)
        row = known[p.resource].get(p.key)
        if row is not None:
            sources = [dict(s) for s in row.sources]
            if any([add_source(sources, s) for s in p.sources]):
                row.sources = sources
            continue
        if rules.problems(p.resource, p.values):
            continue  # e.g. a value the NLP read without a time: not a record entry
        row = RECORD_MODELS[p.resource]()
        fields = {
            "tenant_id": tenant_id,
            "patient_id": patient_id,
            "encounter_id": encounter_id,
            "version": 1,
            "state": "proposed",
            "recorded_by": recorded_by,
            "sources": p.sources,
            **p.values,
        }
        for name, value in fields.items():
            setattr(row, name, value)
        session.add(row)
        known[p.resource][p.key] = row
        counts[p.resource] = counts.get(p.resource, 0) + 1
    session.flush()
    return counts


def _note_facts(session: Session, note: Note, version: NoteVersion) -> NoteFacts:
    content = NoteContent.from_json(version.content_json)
    starts: list[int] = []
    ids: list[int] = []
    transcript = session.get(Transcript, note.transcript_id) if note.transcript_id else None
    if transcript is not None:
        segments = [Segment.model_validate(s) for s in json.loads(transcript.segments_json)]
        _, starts = joined_text(segments)
        ids = [s.id for s in segments]
    encounter = session.get(Encounter, note.encounter_id)
    when = (encounter.started_at if encounter else None) or note.signed_at or note.created_at
    sentences = [
        Sentence(
            text=s.text,
            kind=s.kind,
            spans=tuple((e.segment, e.begin, e.end) for e in s.evidence if e.document_id is None),
        )
        for section in content.sections
        for s in section.sentences
    ]
    return NoteFacts(
        note_id=note.id,
        note_version=version.version,
        effective_at=when.replace(microsecond=0) if when else None,
        entities=content.entities,
        vitals=content.vitals,
        problems=[(p.text, p.code, p.display) for p in content.problems],
        sentences=sentences,
        segment_starts=starts,
        segment_ids=ids,
    )


def propose_from_note(*, session: Session, principal: Principal, note: Note) -> dict[str, int]:
    """Propose the signed version's kept facts and plan items (called when a note is signed)."""
    if note.signed_version is None:
        return {}
    version = session.execute(
        select(NoteVersion).where(
            NoteVersion.note_id == note.id, NoteVersion.version == note.signed_version
        )
    ).scalar_one()
    encounter = session.get(Encounter, note.encounter_id)
    if encounter is None:
        return {}
    facts = _note_facts(session, note, version)
    counts = store(
        session,
        tenant_id=note.tenant_id,
        patient_id=encounter.patient_id,
        encounter_id=encounter.id,
        recorded_by=note.signed_by,
        proposals=from_note(facts, resolve),
    )
    audit.record(
        session,
        action="record.propose_from_note",
        principal=principal,
        object_type="note",
        object_id=note.id,
    )
    return counts


def note_medications(
    *, session: Session, principal: Principal, patient_id: str, note_id: str
) -> list[str]:
    """The medication names a (draft) note of this patient holds, for an interaction check."""
    note = review.get(session=session, principal=principal, note_id=note_id, audit_read=False)
    encounter = session.get(Encounter, note.encounter_id)
    if encounter is None or encounter.patient_id != patient_id:
        raise NotFound("note not found")
    content = review.content_of(review.current_version(session=session, note=note))
    return [e.text for e in content.entities if e.category == "MEDICATION"]


def _lab_proposal(lab: LabObservation) -> Proposal:
    day = lab.effective_date
    when = datetime.combine(day, time(0, 0), tzinfo=UTC) if day else None
    flag = lab.flag if lab.flag in ("H", "L") else None
    values = {
        "category": "laboratory",
        "code": lab.loinc,
        "display": lab.canonical,
        "value_quantity": lab.value,
        "value_text": None if lab.value is not None else lab.value_printed,
        "unit": lab.ucum,
        "unit_text": lab.unit,
        "interpretation": flag,
        "ref_low": lab.ref_low,
        "ref_high": lab.ref_high,
        "effective_at": when,
        "status": "final",
        "source": "document",
    }
    source = {
        "kind": "document",
        "document_id": lab.document_id,
        "page": lab.page,
        "start": lab.span_begin,
        "end": lab.span_end,
    }
    return Proposal(
        "observation", values, observation_key(lab.loinc, lab.canonical, when), [source]
    )


def _fact_proposal(fact: DocumentFact) -> Proposal | None:
    details: dict[str, Any] = json.loads(fact.details_json)
    source = {
        "kind": "document",
        "document_id": fact.document_id,
        "page": fact.page,
        "start": fact.span_begin,
        "end": fact.span_end,
    }
    if fact.kind == "medication":
        stopped = details.get("status") == "stopped"
        values = {
            "kind": "statement",
            "drug": fact.text[:200],
            "dose": details.get("dose"),
            "route": details.get("route"),
            "frequency": details.get("frequency"),
            "status": "stopped" if stopped else "active",
        }
        key = f"statement:{drug_key(fact.text, resolve(fact.text))}"
        return Proposal("medication", values, key, [source])
    if fact.kind == "problem":
        code = fact.code if fact.code_system and "icd" in fact.code_system.lower() else None
        values = {
            "code": code,
            "display": fact.text[:200],
            "clinical_status": "resolved" if details.get("status") == "resolved" else "active",
            "verification_status": "confirmed",
        }
        return Proposal("condition", values, code or text_key(fact.text), [source])
    if fact.kind == "allergy":
        values = {
            "substance": fact.text[:200],
            "category": "medication",
            "reaction": details.get("reaction"),
            "clinical_status": "active",
            "verification_status": "unconfirmed",
        }
        return Proposal("allergy", values, text_key(resolve(fact.text) or fact.text), [source])
    return None


def _document_proposals(
    session: Session, tenant_id: str, patient_id: str, document_id: str | None = None
) -> list[Proposal]:
    lab_query = select(LabObservation).where(
        LabObservation.tenant_id == tenant_id, LabObservation.patient_id == patient_id
    )
    fact_query = select(DocumentFact).where(
        DocumentFact.tenant_id == tenant_id, DocumentFact.patient_id == patient_id
    )
    if document_id is not None:
        lab_query = lab_query.where(LabObservation.document_id == document_id)
        fact_query = fact_query.where(DocumentFact.document_id == document_id)
    # A value the reader was unsure of stays on the document page for a human to read.
    found = [_lab_proposal(lab) for lab in session.scalars(lab_query) if not lab.low_confidence]
    found += [p for f in session.scalars(fact_query) if (p := _fact_proposal(f)) is not None]
    return found


def propose_from_documents(
    *, session: Session, principal: Principal, patient_id: str
) -> dict[str, int]:
    """Propose the patient's document labs and letter facts (again: only what is new)."""
    principal.require("patients:write")
    patients.get(session=session, principal=principal, patient_id=patient_id, audit_read=False)
    tenant = principal.tenant_id
    counts = store(
        session,
        tenant_id=tenant,
        patient_id=patient_id,
        encounter_id=None,
        recorded_by=None,
        proposals=_document_proposals(session, tenant, patient_id),
    )
    audit.record(
        session,
        action="record.propose_from_documents",
        principal=principal,
        object_type="patient",
        object_id=patient_id,
    )
    return counts


def propose_from_document(*, session: Session, document: Document) -> dict[str, int]:
    """Propose what was just read from one document (called when its extraction is stored)."""
    counts = store(
        session,
        tenant_id=document.tenant_id,
        patient_id=document.patient_id,
        encounter_id=None,
        recorded_by=None,
        proposals=_document_proposals(
            session, document.tenant_id, document.patient_id, document.id
        ),
    )
    if counts:
        audit.record(
            session,
            action="record.propose_from_document",
            tenant_id=document.tenant_id,
            actor_type="system",
            object_type="document",
            object_id=document.id,
        )
    return counts
