"""Mapping a signed note to a FHIR R4 transaction Bundle (validated with the R4B models)."""

from __future__ import annotations

import base64
import hashlib
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle

from clinscribe.fhir.core import (
    BundleValidationError,
    MappingError,
    build_bundle,
    document_identifier,
    validate_bundle,
)
from tests.unit.fhir.conftest import ENCOUNTER_SYSTEM, PATIENT_SYSTEM, make_note

Json = dict[str, Any]


def resources(bundle: Json, rtype: str) -> list[Json]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == rtype]


def one(bundle: Json, rtype: str) -> Json:
    (found,) = resources(bundle, rtype)
    return found


def by_loinc(bundle: Json, code: str) -> Json:
    for obs in resources(bundle, "Observation"):
        if any(c["code"] == code for c in obs["code"]["coding"]):
            return obs
    raise AssertionError(code)


def test_every_resource_of_the_bundle_parses_with_the_r4b_models() -> None:
    bundle = build_bundle(make_note(), profiles=True)
    validate_bundle(bundle)
    parsed = Bundle.model_validate(bundle)
    kinds = [e.resource.get_resource_type() for e in parsed.entry or [] if e.resource]
    assert kinds[:2] == ["DocumentReference", "Composition"]
    assert kinds.count("Observation") == 9
    assert kinds.count("Condition") == 3
    assert kinds.count("MedicationStatement") == 1
    assert kinds[-1] == "Provenance"


def test_the_bundle_is_a_transaction_of_conditional_creates_with_stable_identifiers() -> None:
    bundle = build_bundle(make_note())
    assert bundle["type"] == "transaction"
    for entry in bundle["entry"]:
        assert entry["fullUrl"].startswith("urn:uuid:")
        assert entry["request"]["method"] == "POST"
        assert entry["request"]["url"] == entry["resource"]["resourceType"]
        assert entry["request"]["ifNoneExist"].endswith("|" + entry["fullUrl"])
    assert build_bundle(make_note()) == bundle
    again = build_bundle(make_note(version=2))
    assert not {e["fullUrl"] for e in bundle["entry"]} & {e["fullUrl"] for e in again["entry"]}


def test_the_document_reference_carries_the_signed_text_with_its_hash_and_size() -> None:
    note = make_note()
    doc = one(build_bundle(note), "DocumentReference")
    attachment = doc["content"][0]["attachment"]
    data = base64.b64decode(attachment["data"])
    assert data.decode() == note.text
    assert attachment["size"] == len(data)
    assert attachment["hash"] == base64.b64encode(hashlib.sha1(data).digest()).decode()  # noqa: S324
    assert attachment["contentType"].startswith("text/plain")
    assert doc["type"]["coding"][0]["code"] == "11506-3"
    assert doc["docStatus"] == "final"
    assert "relatesTo" not in doc
    assert doc["subject"]["reference"] == f"Patient?identifier={PATIENT_SYSTEM}|MRN-1001"
    assert doc["context"]["encounter"][0]["reference"] == (
        f"Encounter?identifier={ENCOUNTER_SYSTEM}|ENC-1"
    )
    assert doc["author"][0]["display"] == "Dr Ada Lovelace"
    assert doc["authenticator"]["identifier"]["value"] == "clin-7"


@pytest.mark.parametrize(
    ("template", "code"),
    [
        ("soap", "11506-3"),
        ("progress_note", "11506-3"),
        ("apso", "11506-3"),
        ("history_and_physical", "34117-2"),
        ("custom_clinic", "34109-9"),
    ],
)
def test_the_document_type_follows_the_template(template: str, code: str) -> None:
    bundle = build_bundle(make_note(template=template))
    assert one(bundle, "DocumentReference")["type"]["coding"][0]["code"] == code
    assert one(bundle, "Composition")["type"]["coding"][0]["code"] == code


def test_an_amendment_replaces_the_previous_version_and_is_marked_amended() -> None:
    bundle = build_bundle(make_note(version=2))
    validate_bundle(bundle)
    doc = one(bundle, "DocumentReference")
    assert doc["docStatus"] == "amended"
    assert one(bundle, "Composition")["status"] == "amended"
    (relation,) = doc["relatesTo"]
    assert relation["code"] == "replaces"
    assert relation["target"]["identifier"] == document_identifier("note-1", 1).model_dump()
    first = one(build_bundle(make_note()), "DocumentReference")
    assert relation["target"]["identifier"] == first["identifier"][0]


def test_the_composition_has_loinc_coded_sections_with_escaped_xhtml() -> None:
    hp = [
        ("chief_complaint", "Chief Complaint", 'Pain <3 days & "sharp"'),
        ("history_of_present_illness", "HPI", "Line one\nline two\n\nNew paragraph\x07"),
        ("review_of_systems", "ROS", "Negative."),
        ("past_medical_history", "PMH", "None."),
        ("medications", "Medications", "Aspirin."),
        ("allergies", "Allergies", "NKDA."),
        ("family_history", "Family History", "Diabetes in mother."),
        ("social_history", "Social History", "Non-smoker."),
        ("physical_examination", "Exam", "BP 142/88."),
        ("results", "Results", "None."),
        ("assessment", "Assessment", "Hypertension."),
        ("plan", "Plan", ""),
    ]
    bundle = build_bundle(make_note(template="history_and_physical", sections=hp))
    validate_bundle(bundle)
    sections = one(bundle, "Composition")["section"]
    codes = [s["code"]["coding"][0]["code"] for s in sections]
    assert codes == [
        "10154-3",
        "10164-2",
        "10187-3",
        "11348-0",
        "10160-0",
        "48765-2",
        "10157-6",
        "29762-2",
        "29545-1",
        "30954-2",
        "51848-0",
        "18776-5",
    ]
    for section in sections:
        ET.fromstring(section["text"]["div"])  # noqa: S314 - our own output: must be well-formed
    assert "Pain &lt;3 days &amp; &quot;sharp&quot;" in sections[0]["text"]["div"]
    assert sections[1]["text"]["div"].count("<p>") == 2
    assert "<br/>" in sections[1]["text"]["div"]
    assert sections[-1]["emptyReason"]["coding"][0]["code"] == "unavailable"
    assert len(sections[8]["entry"]) == 9  # the vitals under the physical examination
    assert len(sections[4]["entry"]) == 1  # the medication statement


@pytest.mark.parametrize(
    ("key", "code"),
    [("subjective", "61150-9"), ("objective", "61149-1"), ("assessment_and_plan", "51847-2")],
)
def test_soap_and_progress_sections_get_their_loinc_codes(key: str, code: str) -> None:
    bundle = build_bundle(make_note(sections=[(key, key.title(), "Text.")]))
    assert one(bundle, "Composition")["section"][0]["code"]["coding"][0]["code"] == code


def test_blood_pressure_is_a_panel_with_systolic_and_diastolic_components() -> None:
    bp = by_loinc(build_bundle(make_note(), profiles=True), "85354-9")
    assert "valueQuantity" not in bp
    components = {c["code"]["coding"][0]["code"]: c["valueQuantity"] for c in bp["component"]}
    assert components["8480-6"] == {
        "value": 142,
        "unit": "mmHg",
        "system": "http://unitsofmeasure.org",
        "code": "mm[Hg]",
    }
    assert components["8462-4"]["value"] == 88
    assert bp["category"][0]["coding"][0]["code"] == "vital-signs"
    assert bp["meta"]["profile"] == ["http://hl7.org/fhir/StructureDefinition/bp"]


@pytest.mark.parametrize(
    ("loinc", "value", "ucum"),
    [
        ("8867-4", 96, "/min"),
        ("9279-1", 16, "/min"),
        ("8310-5", 37.2, "Cel"),
        ("59408-5", 97, "%"),
        ("29463-7", 180, "[lb_av]"),
        ("8302-2", 170, "cm"),
        ("39156-5", 28.2, "kg/m2"),
        ("2339-0", 104, "mg/dL"),
    ],
)
def test_vitals_map_to_loinc_with_ucum_units(loinc: str, value: float, ucum: str) -> None:
    obs = by_loinc(build_bundle(make_note()), loinc)
    assert obs["valueQuantity"]["value"] == value
    assert obs["valueQuantity"]["code"] == ucum
    assert obs["valueQuantity"]["system"] == "http://unitsofmeasure.org"
    assert obs["status"] == "final"
    expected = "laboratory" if loinc == "2339-0" else "vital-signs"
    assert obs["category"][0]["coding"][0]["code"] == expected


def test_fahrenheit_and_unknown_vitals_are_handled() -> None:
    vitals = [
        {"type": "temperature", "value": 99.1, "unit": "F"},
        {"type": "pain_score", "value": 7, "unit": "1"},
        {"type": "heart_rate", "value": None, "unit": "/min"},
    ]
    bundle = build_bundle(make_note(vitals=vitals))
    (obs,) = resources(bundle, "Observation")
    assert obs["valueQuantity"]["code"] == "[degF]"


def test_negated_hypothetical_and_family_history_conditions_are_skipped() -> None:
    conditions = resources(build_bundle(make_note()), "Condition")
    texts = {c["code"]["text"] for c in conditions}
    assert texts == {"chest pain", "hypertension", "angina"}


def test_conditions_use_icd_10_cm_and_are_provisional_unless_a_confirmed_diagnosis() -> None:
    conditions = {c["code"]["text"]: c for c in resources(build_bundle(make_note()), "Condition")}
    status = {t: c["verificationStatus"]["coding"][0]["code"] for t, c in conditions.items()}
    assert status == {
        "chest pain": "provisional",
        "hypertension": "confirmed",
        "angina": "provisional",
    }
    coding = conditions["hypertension"]["code"]["coding"][0]
    assert coding == {
        "system": "http://hl7.org/fhir/sid/icd-10-cm",
        "code": "I10",
        "display": "Essential (primary) hypertension",
    }
    assert "coding" not in conditions["angina"]["code"]


def test_medication_statements_carry_dosage_route_and_timing_and_skip_negated_ones() -> None:
    (med,) = resources(build_bundle(make_note()), "MedicationStatement")
    assert med["medicationCodeableConcept"]["coding"][0]["code"] == "1191"
    assert med["status"] == "active"
    (dosage,) = med["dosage"]
    assert dosage["text"] == "81 mg oral daily"
    assert dosage["route"]["coding"][0]["code"] == "26643006"
    assert dosage["timing"]["repeat"] == {"frequency": 1, "period": 1, "periodUnit": "d"}
    assert dosage["doseAndRate"][0]["doseQuantity"]["code"] == "mg"


def test_repeated_mentions_map_to_one_resource_each() -> None:
    note = make_note()
    doubled = make_note(entities=[e.model_dump() for e in note.entities] * 2)
    bundle = build_bundle(doubled)
    validate_bundle(bundle)
    assert len(resources(bundle, "Condition")) == 3
    assert len(resources(bundle, "MedicationStatement")) == 1


def test_provenance_names_the_clinician_and_clinscribe_and_the_sources() -> None:
    bundle = build_bundle(make_note())
    prov = one(bundle, "Provenance")
    doc_url = bundle["entry"][0]["fullUrl"]
    targets = [t["reference"] for t in prov["target"]]
    assert targets[0] == doc_url
    assert len(targets) == len(bundle["entry"]) - 1
    roles = [a["type"]["coding"][0]["code"] for a in prov["agent"]]
    assert roles == ["author", "assembler"]
    assert prov["agent"][0]["who"]["display"] == "Dr Ada Lovelace"
    assert prov["agent"][1]["who"]["display"].startswith("Clinscribe")
    sources = {e["what"]["identifier"]["value"] for e in prov["entity"]}
    assert sources == {"rec-note-1", "tr-note-1"}
    assert prov["meta"]["tag"][0]["code"] in bundle["entry"][-1]["request"]["ifNoneExist"]


def test_a_text_that_does_not_match_its_signed_hash_is_refused() -> None:
    with pytest.raises(MappingError):
        build_bundle(make_note(content_sha256="0" * 64))


def test_validation_names_the_resource_that_fails() -> None:
    bundle = build_bundle(make_note())
    bundle["entry"][3]["resource"]["status"] = "not-a-status"
    with pytest.raises(BundleValidationError) as caught:
        validate_bundle(bundle)
    assert caught.value.index == 3
    assert caught.value.resource_type == "Observation"
    assert caught.value.full_url == bundle["entry"][3]["fullUrl"]
    assert "not-a-status" not in caught.value.message


def test_validation_refuses_a_dangling_local_reference() -> None:
    bundle = build_bundle(make_note())
    del bundle["entry"][0]
    with pytest.raises(BundleValidationError) as caught:
        validate_bundle(bundle)
    assert caught.value.resource_type == "Observation"  # derivedFrom the missing document


def test_a_note_without_findings_maps_to_document_composition_and_provenance() -> None:
    note = make_note(
        entities=[],
        vitals=[],
        sections=[("custom", "Free Text", "Seen today.")],
        recording_id=None,
        transcript_id=None,
        template="custom",
    )
    bundle = build_bundle(note)
    validate_bundle(bundle)
    kinds = [e["resource"]["resourceType"] for e in bundle["entry"]]
    assert kinds == ["DocumentReference", "Composition", "Provenance"]
    assert "code" not in one(bundle, "Composition")["section"][0]
    assert "entity" not in one(bundle, "Provenance")


def test_validation_refuses_empty_values_that_fhir_json_forbids() -> None:
    bundle = build_bundle(make_note())
    bundle["entry"][-1]["resource"]["entity"] = []
    with pytest.raises(BundleValidationError, match=r"Provenance\.entity"):
        validate_bundle(bundle)
