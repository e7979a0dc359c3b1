"""A patient's records as FHIR R4: each ready document's results and facts, with provenance.

The stored rows are turned back into the pure extractor's shapes so the one mapping in
`fhir.core.records` serves both a fresh extraction and an export of what is stored.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, get_args

from sqlalchemy import select
from sqlalchemy.orm import Session

from clinscribe.audit import service as audit
from clinscribe.db.models import DocumentFact, EhrEndpoint, LabObservation
from clinscribe.documents import service as documents
from clinscribe.documents.core.facts import DocumentFacts, DocumentKind
from clinscribe.documents.core.labs import LabResult
from clinscribe.documents.core.letters import (
    AllergyFact,
    FollowUp,
    LetterFacts,
    MedicationFact,
    ProblemFact,
)
from clinscribe.documents.core.pages import Citation
from clinscribe.fhir.core import records as mapping
from clinscribe.fhir.core.ids import JsonDict
from clinscribe.fhir.core.schemas import Identifier
from clinscribe.records import patients
from clinscribe.security.principal import Principal
from clinscribe.security.scoping import readable


def _cite(row: LabObservation | DocumentFact) -> Citation:
    return Citation(row.document_id, row.page, row.span_begin, row.span_end)


def lab_result(row: LabObservation) -> LabResult | None:
    """A stored lab row as the extractor's result (None when no value was read)."""
    if row.value is None:
        return None
    printed = row.value_printed.strip()
    return LabResult(
        analyte=row.analyte_printed,
        canonical=row.canonical,
        loinc=row.loinc,
        value=row.value,
        value_as_printed=row.value_printed,
        unit=row.unit,
        ucum=row.ucum,
        ref_low=row.ref_low,
        ref_high=row.ref_high,
        ref_as_printed=row.ref_printed,
        flag="H" if row.flag == "H" else "L" if row.flag == "L" else None,
        collected=row.effective_date,
        citation=_cite(row),
        low_confidence=row.low_confidence,
        comparator=printed[0] if printed[:1] in ("<", ">") else None,
    )


def _letter(rows: list[DocumentFact]) -> LetterFacts | None:
    if not rows:
        return None
    letter = LetterFacts()
    for row in rows:
        d: dict[str, Any] = json.loads(row.details_json)
        cite = _cite(row)
        if row.kind == "medication":
            letter.medications.append(
                MedicationFact(
                    name=row.text,
                    dose=d.get("dose"),
                    frequency=d.get("frequency"),
                    route=d.get("route"),
                    status=d.get("status", "continued"),
                    as_printed=d.get("as_printed", row.text),
                    citation=cite,
                    previous_dose=d.get("previous_dose"),
                    previous_frequency=d.get("previous_frequency"),
                    reason=d.get("reason"),
                    low_confidence=bool(d.get("low_confidence")),
                )
            )
        elif row.kind == "problem":
            letter.problems.append(ProblemFact(row.text, d.get("status", "active"), cite))
        elif row.kind == "allergy":
            letter.allergies.append(AllergyFact(row.text, d.get("reaction"), cite))
        elif row.kind == "follow_up":
            letter = _with_follow_up(letter, FollowUp(row.text, None, cite))
    return letter


def _with_follow_up(letter: LetterFacts, follow_up: FollowUp) -> LetterFacts:
    return LetterFacts(
        medications=letter.medications,
        problems=letter.problems,
        allergies=letter.allergies,
        follow_up=follow_up,
        labs=letter.labs,
    )


def document_kind(value: str) -> DocumentKind:
    """A stored document kind as the extractor's kind ('other' when unknown)."""
    for kind in get_args(DocumentKind):
        if kind == value:
            return kind  # type: ignore[no-any-return]
    return "other"


def _patient_identifier(session: Session, principal: Principal, mrn: str) -> Identifier:
    endpoint = session.execute(readable(EhrEndpoint, principal)).scalar_one_or_none()
    system = endpoint.patient_system if endpoint else f"urn:clinscribe:{principal.tenant_id}:mrn"
    return Identifier(system=system, value=mrn)


def bundle_for_patient(*, session: Session, principal: Principal, patient_id: str) -> JsonDict:
    """One transaction Bundle: every ready document's DocumentReference, facts and Provenance."""
    docs = [
        d
        for d in documents.list_for_patient(
            session=session, principal=principal, patient_id=patient_id
        )
        if d.status == "ready"
    ]
    patient = patients.get(
        session=session, principal=principal, patient_id=patient_id, audit_read=False
    )
    identifier = _patient_identifier(session, principal, patient.mrn)
    entries: list[JsonDict] = []
    recorded = datetime.now(UTC)
    for doc in docs:
        labs = session.execute(
            select(LabObservation).where(LabObservation.document_id == doc.id)
        ).scalars()
        facts = session.execute(
            select(DocumentFact).where(DocumentFact.document_id == doc.id)
        ).scalars()
        found = DocumentFacts(
            kind=document_kind(doc.kind),
            date=doc.document_date,
            labs=[lab for row in labs if (lab := lab_result(row)) is not None],
            letter=_letter(list(facts)),
        )
        source = mapping.SourceDocument(
            id=doc.id,
            patient=identifier,
            content_type=doc.media_type,
            sha256=doc.sha256 or "",
            size=doc.size_bytes,
            title=doc.filename or "document",
            created=doc.created_at,
        )
        entries.extend(mapping.records_bundle(source, found, recorded=recorded)["entry"])
    audit.record(
        session,
        action="document.fhir_export",
        principal=principal,
        object_type="patient",
        object_id=patient_id,
    )
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}


def dumps(bundle: JsonDict) -> str:
    return json.dumps(bundle, separators=(",", ":"))
