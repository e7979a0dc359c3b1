"""Facts read from a patient's documents as FHIR R4: results, medications, problems, allergies.

Every resource points back at the document it was read from: Observation and
MedicationStatement through `derivedFrom`, Condition through `evidence.detail`, an allergy
through its note, and one Provenance per bundle names the DocumentReference as the source of
all of them; the page and character span go in each reference's display. Values OCR was
unsure of are exported with `status: preliminary` so no receiving system treats them as
verified.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from clinscribe.documents.core.facts import DocumentFacts
from clinscribe.documents.core.labs import LabResult
from clinscribe.documents.core.letters import AllergyFact, MedicationFact, ProblemFact
from clinscribe.documents.core.pages import Citation
from clinscribe.fhir.core.codes import (
    CONDITION_CATEGORY,
    CONDITION_CLINICAL,
    CONDITION_VERIFICATION,
    LOINC,
    OBSERVATION_CATEGORY,
    UCUM,
    URI_SYSTEM,
)
from clinscribe.fhir.core.ids import JsonDict, conditional_reference, item_urn
from clinscribe.fhir.core.schemas import Identifier

_INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
_ALLERGY_CLINICAL = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
_ALLERGY_VERIFICATION = "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification"
DOC_TYPES = {
    "lab_report": ("11502-2", "Laboratory report"),
    "lab_slip": ("11502-2", "Laboratory report"),
    "discharge_summary": ("18842-5", "Discharge summary"),
    "clinic_letter": ("34109-9", "Note"),
    "other": ("34109-9", "Note"),
}
_MED_STATUS = {"new": "active", "changed": "active", "continued": "active", "stopped": "stopped"}


@dataclass(frozen=True)
class SourceDocument:
    """The stored document the facts were read from."""

    id: str
    patient: Identifier
    content_type: str
    sha256: str  # hex digest of the stored bytes
    size: int
    title: str
    created: datetime | None = None


def _ref(doc: SourceDocument) -> str:
    return item_urn(doc.id, 1, "DocumentReference")


def _span(citation: Citation) -> str:
    return f"page {citation.page}, characters {citation.begin}-{citation.end}"


def _date(value: date | None) -> str | None:
    return value.isoformat() if value else None


def document_reference(doc: SourceDocument, facts: DocumentFacts) -> JsonDict:
    """The DocumentReference of the source file (its hash and size, not its bytes)."""
    code, display = DOC_TYPES.get(facts.kind, DOC_TYPES["other"])
    attachment: JsonDict = {
        "contentType": doc.content_type,
        "size": doc.size,
        "title": doc.title,
        # R4 Attachment.hash is SHA-1 by definition; the SHA-256 goes in the identifier.
        "url": f"urn:clinscribe:document:{doc.id}",
    }
    if doc.created is not None:
        attachment["creation"] = doc.created.astimezone(UTC).isoformat()
    resource: JsonDict = {
        "resourceType": "DocumentReference",
        "identifier": [
            {"system": URI_SYSTEM, "value": _ref(doc)},
            {"system": "urn:clinscribe:sha256", "value": doc.sha256},
        ],
        "status": "current",
        "type": {"coding": [{"system": LOINC, "code": code, "display": display}]},
        "subject": conditional_reference("Patient", doc.patient),
        "description": doc.title,
        "content": [{"attachment": attachment}],
    }
    if facts.date is not None:
        resource["context"] = {"period": {"start": facts.date.isoformat()}}
    return resource


def lab_observation(lab: LabResult, doc: SourceDocument) -> JsonDict:
    """An Observation (category laboratory) with LOINC code, UCUM quantity and range."""
    coding = [{"system": LOINC, "code": lab.loinc, "display": lab.canonical}] if lab.loinc else []
    quantity: JsonDict = {"value": lab.value}
    if lab.comparator in {"<", ">"}:
        quantity["comparator"] = lab.comparator
    if lab.unit:
        quantity["unit"] = lab.unit
    if lab.ucum:
        quantity.update(system=UCUM, code=lab.ucum)
    resource: JsonDict = {
        "resourceType": "Observation",
        # A number OCR was unsure of is not a final result until someone has checked it.
        "status": "preliminary" if lab.low_confidence else "final",
        "category": [
            {
                "coding": [
                    {"system": OBSERVATION_CATEGORY, "code": "laboratory", "display": "Laboratory"}
                ]
            }
        ],
        "code": {"text": lab.analyte, **({"coding": coding} if coding else {})},
        "subject": conditional_reference("Patient", doc.patient),
        "valueQuantity": quantity,
        "derivedFrom": [{"reference": _ref(doc), "display": _span(lab.citation)}],
    }
    if lab.collected is not None:
        resource["effectiveDateTime"] = lab.collected.isoformat()
    if lab.ref_low is not None or lab.ref_high is not None:
        ref: JsonDict = {}
        for key, bound in (("low", lab.ref_low), ("high", lab.ref_high)):
            if bound is not None:
                ref[key] = {
                    "value": bound,
                    **({"system": UCUM, "code": lab.ucum} if lab.ucum else {}),
                }
                if lab.unit:
                    ref[key]["unit"] = lab.unit
        if lab.ref_as_printed:
            ref["text"] = lab.ref_as_printed
        resource["referenceRange"] = [ref]
    if lab.flag is not None:
        display = "High" if lab.flag == "H" else "Low"
        resource["interpretation"] = [
            {"coding": [{"system": _INTERPRETATION, "code": lab.flag, "display": display}]}
        ]
    return resource


def medication_statement(med: MedicationFact, doc: SourceDocument, when: date | None) -> JsonDict:
    """A MedicationStatement: the drug as text, its dosage as stated, and its status."""
    dosage_text = ", ".join(p for p in (med.dose, med.frequency, med.route) if p)
    resource: JsonDict = {
        "resourceType": "MedicationStatement",
        "status": _MED_STATUS[med.status],
        "medicationCodeableConcept": {"text": med.name},
        "subject": conditional_reference("Patient", doc.patient),
        "derivedFrom": [{"reference": _ref(doc), "display": _span(med.citation)}],
        "dosage": [{"text": dosage_text or med.as_printed}],
        "note": [{"text": med.as_printed}],
    }
    if med.route:
        resource["dosage"][0]["route"] = {"text": med.route}
    if when is not None:
        resource["dateAsserted"] = when.isoformat()
    if med.reason:
        resource["reasonCode"] = [{"text": med.reason}]
    if med.status == "changed" and med.previous_dose:
        before = " ".join(p for p in (med.previous_dose, med.previous_frequency) if p)
        resource["note"].append({"text": f"Changed from {before}"})
    return resource


def condition(problem: ProblemFact, doc: SourceDocument) -> JsonDict:
    """A Condition (problem-list item) with its clinical status and its source."""
    return {
        "resourceType": "Condition",
        "clinicalStatus": {"coding": [{"system": CONDITION_CLINICAL, "code": problem.status}]},
        "verificationStatus": {
            "coding": [{"system": CONDITION_VERIFICATION, "code": "unconfirmed"}]
        },
        "category": [{"coding": [{"system": CONDITION_CATEGORY, "code": "problem-list-item"}]}],
        "code": {"text": problem.text},
        "subject": conditional_reference("Patient", doc.patient),
        "evidence": [{"detail": [{"reference": _ref(doc), "display": _span(problem.citation)}]}],
    }


def allergy_intolerance(allergy: AllergyFact, doc: SourceDocument) -> JsonDict:
    """An AllergyIntolerance: the substance as text, the reaction when stated."""
    resource: JsonDict = {
        "resourceType": "AllergyIntolerance",
        "clinicalStatus": {"coding": [{"system": _ALLERGY_CLINICAL, "code": "active"}]},
        "verificationStatus": {
            "coding": [{"system": _ALLERGY_VERIFICATION, "code": "unconfirmed"}]
        },
        "code": {"text": allergy.substance},
        "patient": conditional_reference("Patient", doc.patient),
        "note": [{"text": f"Source: {doc.title}, {_span(allergy.citation)}"}],
    }
    if allergy.reaction:
        resource["reaction"] = [{"manifestation": [{"text": allergy.reaction}]}]
    return resource


def records_bundle(doc: SourceDocument, facts: DocumentFacts, *, recorded: datetime) -> JsonDict:
    """A transaction Bundle: the DocumentReference, every fact, and one Provenance."""
    resources: list[JsonDict] = []
    for lab in facts.labs:
        resources.append(lab_observation(lab, doc))
    if facts.letter is not None:
        for med in facts.letter.medications:
            resources.append(medication_statement(med, doc, facts.date))
        resources.extend(condition(p, doc) for p in facts.letter.problems)
        resources.extend(allergy_intolerance(a, doc) for a in facts.letter.allergies)
    docref = _ref(doc)
    entries: list[JsonDict] = [
        {
            "fullUrl": docref,
            "resource": document_reference(doc, facts),
            "request": {"method": "POST", "url": "DocumentReference"},
        }
    ]
    urls: list[str] = []
    for index, resource in enumerate(resources):
        url = item_urn(doc.id, 1, f"{resource['resourceType']}/{index}")
        urls.append(url)
        entries.append(
            {
                "fullUrl": url,
                "resource": resource,
                "request": {"method": "POST", "url": resource["resourceType"]},
            }
        )
    if urls:
        provenance: JsonDict = {
            "resourceType": "Provenance",
            "target": [{"reference": u} for u in urls],
            "recorded": recorded.astimezone(UTC).isoformat(),
            "agent": [{"who": {"display": "Clinscribe document extraction"}}],
            "entity": [{"role": "source", "what": {"reference": docref}}],
        }
        entries.append(
            {
                "fullUrl": item_urn(doc.id, 1, "Provenance"),
                "resource": provenance,
                "request": {"method": "POST", "url": "Provenance"},
            }
        )
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}
