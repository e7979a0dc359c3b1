"""Where each resource type is read from: its table, how its search parameters map to columns,
and how a row becomes a resource (through the delivery mapping wherever one exists).

Patient, Encounter, DocumentReference (a patient's uploaded documents), Composition (signed
notes and reports) and laboratory Observations read off documents live here; the clinical
record's types are in `record_sources`. A document's lab result that a clinician accepted into
the record (an active record observation from that document with the same LOINC code) is
served only as the record's Observation, never twice.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, Text, case, cast, exists, literal, select
from sqlalchemy.orm import Session

from clinscribe.db.models import (
    ClinicalObservation,
    Document,
    EhrEndpoint,
    Encounter,
    LabObservation,
    Note,
    Patient,
)
from clinscribe.documents.core.facts import DocumentFacts
from clinscribe.fhir import patient_records
from clinscribe.fhir import service as delivery
from clinscribe.fhir.core import documents as note_mapping
from clinscribe.fhir.core import read_resources as rr
from clinscribe.fhir.core import records as doc_mapping
from clinscribe.fhir.core.codes import (
    DOCUMENT_TYPES,
    GENERIC_NOTE,
    LOINC,
    OBSERVATION_CATEGORY,
)
from clinscribe.fhir.core.ids import JsonDict, keyed
from clinscribe.fhir.core.schemas import Identifier
from clinscribe.fhir.server.query import Column, DateField, Field, TokenField
from clinscribe.security.principal import Principal
from clinscribe.security.scoping import readable
from clinscribe.storage.blobs import BlobStore

_DOC_TYPE_CODES = {k: v[0] for k, v in doc_mapping.DOC_TYPES.items()}


@dataclass
class Context:
    """What rendering needs beyond the row: the session and caller, cached lookups."""

    session: Session
    principal: Principal
    _identifier_system: str | None = None
    # Where waveform signals are read from (None: waveform Observations carry no samples).
    blobs: BlobStore | None = None
    cache: dict[str, Any] = field(default_factory=dict)

    def patient_system(self) -> str:
        """The MRN namespace: the tenant's EHR patient system, as in delivered bundles."""
        if self._identifier_system is None:
            endpoint = self.session.execute(
                readable(EhrEndpoint, self.principal)
            ).scalar_one_or_none()
            self._identifier_system = (
                endpoint.patient_system
                if endpoint
                else f"urn:clinscribe:{self.principal.tenant_id}:mrn"
            )
        return self._identifier_system


@dataclass(frozen=True)
class Source:
    """One table a resource type is read from."""

    base: Callable[[Principal], Select[Any]]
    id: Column
    patient: Column
    fields: Mapping[str, Field | list[Field]]
    order: tuple[Column, ...]
    render: Callable[[Context, Any], JsonDict]


def _patient(ctx: Context, row: Patient) -> JsonDict:
    return rr.patient(
        id=row.id,
        identifier={"system": ctx.patient_system(), "value": row.mrn},
        given=row.given_name,
        family=row.family_name,
        sex=row.sex,
        birth_date=row.birth_date,
        phone=row.phone,
        email=row.email,
        updated=row.updated_at,
    )


def _encounter(ctx: Context, row: Encounter) -> JsonDict:
    return rr.encounter(
        id=row.id,
        patient_id=row.patient_id,
        status=row.status,
        kind=row.type,
        started=row.started_at,
        ended=row.ended_at,
        reason=row.reason,
    )


def _source_document(row: Document) -> doc_mapping.SourceDocument:
    return doc_mapping.SourceDocument(
        id=row.id,
        # Replaced by a literal Patient reference when served.
        patient=Identifier(system="urn:clinscribe:patient", value=row.patient_id),
        content_type=row.media_type,
        sha256=row.sha256 or "0" * 64,
        size=row.size_bytes,
        title=row.filename or "document",
        created=row.created_at,
    )


def _document(ctx: Context, row: Document) -> JsonDict:
    facts = DocumentFacts(kind=patient_records.document_kind(row.kind), date=row.document_date)
    resource = doc_mapping.document_reference(_source_document(row), facts)
    return rr.served(
        resource,
        row.id,
        subject=rr.ref("Patient", row.patient_id),
        date=rr.instant(row.created_at),
    )


def _lab(ctx: Context, row: LabObservation) -> JsonDict:
    lab = patient_records.lab_result(row)
    assert lab is not None  # the source selects rows with a value only
    doc = doc_mapping.SourceDocument(
        id=row.document_id,
        patient=Identifier(system="urn:clinscribe:patient", value=row.patient_id),
        content_type="",
        sha256="",
        size=0,
        title="",
    )
    resource = doc_mapping.lab_observation(lab, doc)
    derived = [{**resource["derivedFrom"][0], **rr.ref("DocumentReference", row.document_id)}]
    return rr.served(
        resource, row.id, subject=rr.ref("Patient", row.patient_id), derivedFrom=derived
    )


def _note_base(principal: Principal) -> Select[Any]:
    return (
        readable(Note, principal)
        .join(Encounter, Encounter.id == Note.encounter_id)
        .where(Note.signed_version.is_not(None), Note.signed_at.is_not(None))
    )


def _composition(ctx: Context, row: Note) -> JsonDict:
    assert row.signed_version is not None
    endpoint = ctx.session.execute(readable(EhrEndpoint, ctx.principal)).scalar_one_or_none()
    note = delivery.signed_note(ctx.session, row, endpoint, row.signed_version)
    resource = note_mapping.composition(note, keyed(row.id, row.signed_version, "Composition"))
    encounter = ctx.session.get(Encounter, row.encounter_id)
    assert encounter is not None
    return rr.served(
        resource,
        row.id,
        subject=rr.ref("Patient", encounter.patient_id),
        encounter=rr.ref("Encounter", encounter.id),
    )


def _doc_type() -> Column:
    return case(
        *((Document.kind == kind, literal(code)) for kind, code in _DOC_TYPE_CODES.items()),
        else_=literal(_DOC_TYPE_CODES["other"]),
    )


def _note_type() -> Column:
    whens = [(Note.template_key == key, literal(c.code)) for key, c in DOCUMENT_TYPES.items()]
    return case(*whens, else_=literal(GENERIC_NOTE.code))


def _lab_base(principal: Principal) -> Select[Any]:
    # A lab a clinician accepted into the record is served once, as the record's Observation.
    taken = select(ClinicalObservation.id).where(
        ClinicalObservation.patient_id == LabObservation.patient_id,
        ClinicalObservation.state == "active",
        ClinicalObservation.source == "document",
        ClinicalObservation.code == LabObservation.loinc,
        cast(ClinicalObservation.sources, Text).contains(LabObservation.document_id),
    )
    return readable(LabObservation, principal).where(
        LabObservation.value_sealed.is_not(None), ~exists(taken)
    )


def _lab_status() -> Column:
    return case((LabObservation.low_confidence.is_(True), "preliminary"), else_="final")


def _ready_documents(principal: Principal) -> Select[Any]:
    return readable(Document, principal).where(Document.status == "ready")


PATIENT = Source(
    base=lambda p: readable(Patient, p),
    id=Patient.id,
    patient=Patient.id,
    fields={},
    order=(Patient.created_at, Patient.id),
    render=_patient,
)
ENCOUNTER = Source(
    base=lambda p: readable(Encounter, p),
    id=Encounter.id,
    patient=Encounter.patient_id,
    fields={
        "date": DateField(Encounter.started_at),
        "status": TokenField(Encounter.status, "http://hl7.org/fhir/encounter-status"),
    },
    order=(Encounter.started_at.desc(), Encounter.id),
    render=_encounter,
)
DOCUMENT_REFERENCE = Source(
    base=_ready_documents,
    id=Document.id,
    patient=Document.patient_id,
    fields={
        "date": DateField(Document.created_at),
        "status": TokenField(literal("current"), "http://hl7.org/fhir/document-reference-status"),
        "type": TokenField(_doc_type(), LOINC),
    },
    order=(Document.created_at.desc(), Document.id),
    render=_document,
)
COMPOSITION = Source(
    base=_note_base,
    id=Note.id,
    patient=Encounter.patient_id,
    fields={
        "date": DateField(Note.signed_at),
        "status": TokenField(
            case((Note.replaces_version.is_not(None), "amended"), else_="final"),
            "http://hl7.org/fhir/composition-status",
        ),
        "type": TokenField(_note_type(), LOINC),
    },
    order=(Note.signed_at.desc(), Note.id),
    render=_composition,
)
LAB_OBSERVATION = Source(
    base=_lab_base,
    id=LabObservation.id,
    patient=LabObservation.patient_id,
    fields={
        "code": TokenField(LabObservation.loinc, LOINC),
        "category": TokenField(literal("laboratory"), OBSERVATION_CATEGORY),
        "date": DateField(LabObservation.effective_date, "day"),
        "status": TokenField(_lab_status(), "http://hl7.org/fhir/observation-status"),
    },
    order=(LabObservation.effective_date.desc(), LabObservation.id),
    render=_lab,
)
