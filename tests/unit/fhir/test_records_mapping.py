"""Facts read from documents as FHIR R4 resources, each pointing back at its document."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from clinscribe.documents.core.extract import text_page
from clinscribe.documents.core.facts import analyse_document
from clinscribe.documents.core.pages import PageText, PageWord
from clinscribe.fhir.core.bundle import validate_bundle
from clinscribe.fhir.core.records import SourceDocument, lab_observation, records_bundle
from clinscribe.fhir.core.schemas import Identifier

DOC = SourceDocument(
    id="doc-7",
    patient=Identifier(system="urn:example:mrn", value="MRN-1"),
    content_type="application/pdf",
    sha256="ab" * 32,
    size=2048,
    title="Lab report",
)
REPORT = (
    "KESTREL LAB\nCOLL : 18.02.2025 07:50\nELECTROLYTES\n"
    " POTASSIUM H 5.6 3.5 - 5.2 mmol/L\n CREATININE 142 H 60 - 110 umol/L\n"
    " EGFR L 41 > 60 mL/min/1.73m2\n"
)
LETTER = (
    "Dear Dr Vale,\n14 March 2025\nProblem list\n1. Heart failure\n2. Gout - resolved\n"
    "Medications\n- Bisoprolol 5 mg once daily\n"
    "- Stop spironolactone 25 mg once daily (hyperkalaemia)\n"
    "Allergies: Colchicine (severe diarrhoea)\nYours sincerely,\n"
)
NOW = datetime(2025, 3, 20, 9, 0, tzinfo=UTC)


def _entries(bundle: dict, kind: str) -> list[dict]:  # type: ignore[type-arg]
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def test_lab_results_become_laboratory_observations() -> None:
    facts = analyse_document([text_page(1, REPORT, "text_layer")], document_id=DOC.id)
    bundle = records_bundle(DOC, facts, recorded=NOW)
    validate_bundle(bundle)
    observations = _entries(bundle, "Observation")
    assert len(observations) == 3
    potassium = observations[0]
    assert potassium["category"][0]["coding"][0]["code"] == "laboratory"
    assert potassium["code"]["coding"][0] == {
        "system": "http://loinc.org",
        "code": "2823-3",
        "display": "Potassium",
    }
    assert potassium["valueQuantity"] == {
        "value": 5.6,
        "unit": "mmol/L",
        "system": "http://unitsofmeasure.org",
        "code": "mmol/L",
    }
    assert potassium["referenceRange"][0]["low"]["value"] == 3.5
    assert potassium["referenceRange"][0]["high"]["value"] == 5.2
    assert potassium["interpretation"][0]["coding"][0]["code"] == "H"
    assert potassium["effectiveDateTime"] == "2025-02-18"
    assert potassium["status"] == "final"
    egfr = observations[2]
    assert egfr["valueQuantity"]["code"] == "mL/min/{1.73_m2}"
    assert "high" not in egfr["referenceRange"][0]


def test_every_resource_points_back_at_its_document() -> None:
    facts = analyse_document([text_page(1, REPORT, "text_layer")], document_id=DOC.id)
    bundle = records_bundle(DOC, facts, recorded=NOW)
    docref_url = bundle["entry"][0]["fullUrl"]
    docref = bundle["entry"][0]["resource"]
    assert docref["resourceType"] == "DocumentReference"
    assert docref["type"]["coding"][0]["code"] == "11502-2"
    assert {"system": "urn:clinscribe:sha256", "value": DOC.sha256} in docref["identifier"]
    for observation in _entries(bundle, "Observation"):
        assert observation["derivedFrom"][0]["reference"] == docref_url
        assert observation["derivedFrom"][0]["display"].startswith("page 1, characters ")
    (provenance,) = _entries(bundle, "Provenance")
    assert provenance["entity"][0]["what"]["reference"] == docref_url
    assert len(provenance["target"]) == 3


def test_letter_facts_become_statements_conditions_and_allergies() -> None:
    facts = analyse_document([text_page(1, LETTER, "text_layer")], document_id=DOC.id)
    bundle = records_bundle(DOC, facts, recorded=NOW)
    validate_bundle(bundle)
    meds = {
        m["medicationCodeableConcept"]["text"]: m for m in _entries(bundle, "MedicationStatement")
    }
    assert meds["bisoprolol"]["status"] == "active"
    assert meds["spironolactone"]["status"] == "stopped"
    assert meds["spironolactone"]["reasonCode"] == [{"text": "hyperkalaemia"}]
    assert meds["bisoprolol"]["dosage"][0]["text"] == "5 mg, once daily, oral"
    conditions = _entries(bundle, "Condition")
    assert [c["clinicalStatus"]["coding"][0]["code"] for c in conditions] == ["active", "resolved"]
    assert all(
        c["evidence"][0]["detail"][0]["reference"].startswith("urn:uuid:") for c in conditions
    )
    (allergy,) = _entries(bundle, "AllergyIntolerance")
    assert allergy["code"] == {"text": "Colchicine"}
    assert allergy["reaction"][0]["manifestation"][0]["text"] == "severe diarrhoea"


def test_a_value_ocr_was_unsure_of_is_exported_as_preliminary() -> None:
    text = "ALT 38 H 6-29 U/L"
    words = tuple(
        PageWord(t, text.index(t), text.index(t) + len(t), 40.0 if t == "38" else 95.0)
        for t in text.split()
    )
    facts = analyse_document([PageText(1, text, "ocr", words)], document_id=DOC.id)
    (lab,) = facts.labs
    assert lab.low_confidence
    assert lab_observation(lab, DOC)["status"] == "preliminary"


@pytest.mark.parametrize("kind", ["clinic_letter", "discharge_summary"])
def test_the_document_type_follows_the_kind(kind: str) -> None:
    text = LETTER if kind == "clinic_letter" else "DISCHARGE SUMMARY\nDischarged: 14-MAR-2025\n"
    facts = analyse_document([text_page(1, text, "text_layer")])
    bundle = records_bundle(DOC, facts, recorded=NOW)
    code = bundle["entry"][0]["resource"]["type"]["coding"][0]["code"]
    assert code == {"clinic_letter": "34109-9", "discharge_summary": "18842-5"}[kind]
