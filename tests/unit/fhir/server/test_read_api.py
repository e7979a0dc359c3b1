"""Read by id, the CapabilityStatement, and OperationOutcome errors of the FHIR read API."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from clinscribe.config import Settings
from clinscribe.db.models import ClinicalObservation
from clinscribe.db.session import session_scope
from clinscribe.fhir.core.capability import error_code
from clinscribe.fhir.core.search import SEARCH_PARAMS
from clinscribe.fhir.server import service
from tests.support import TenantWorld, add_note
from tests.unit.fhir.server.conftest import FhirEnv, found, get, validate
from tests.unit.fhir.server.seed import seed

READS = [
    ("Patient", "patient1"),
    ("Encounter", "encounter1"),
    ("Observation", "hr_jan"),
    ("Observation", "smoking"),
    ("Observation", "lab_creat"),
    ("Condition", "htn"),
    ("Condition", "asthma"),
    ("MedicationStatement", "lisinopril"),
    ("MedicationRequest", "amoxicillin_rx"),
    ("ServiceRequest", "a1c_order"),
    ("ServiceRequest", "referral"),
    ("AllergyIntolerance", "penicillin"),
    ("CarePlan", "plan"),
    ("Consent", "ambient"),
    ("DocumentReference", "document"),
]


@pytest.fixture(scope="module")
def note_id(env: FhirEnv) -> Iterator[str]:
    yield add_note(env.settings, env.a, env.ids["encounter1"], "signed")[0]


@pytest.mark.parametrize(("resource_type", "name"), READS)
def test_every_type_reads_by_id_as_a_valid_r4_resource(
    env: FhirEnv, resource_type: str, name: str
) -> None:
    resource = get(env.client, env.a, f"/fhir/R4/{resource_type}/{env.ids[name]}").json()
    assert resource["resourceType"] == resource_type
    assert resource["id"] == env.ids[name]
    subject = resource.get("subject") or resource.get("patient")
    if resource_type != "Patient":
        assert subject == {"reference": f"Patient/{env.ids['patient1']}"}


def test_a_signed_note_reads_and_searches_as_a_composition(env: FhirEnv, note_id: str) -> None:
    composition = get(env.client, env.a, f"/fhir/R4/Composition/{note_id}").json()
    assert composition["status"] == "final"
    assert composition["subject"] == {"reference": f"Patient/{env.ids['patient1']}"}
    assert composition["encounter"] == {"reference": f"Encounter/{env.ids['encounter1']}"}
    assert composition["section"]
    url = f"/fhir/R4/Composition?patient={env.ids['patient1']}&status=final&type=11506-3"
    assert [e["resource"]["id"] for e in get(env.client, env.a, url).json()["entry"]] == [note_id]
    assert get(env.client, env.a, "/fhir/R4/Composition?status=amended").json()["total"] == 0


def test_record_resources_carry_their_clinical_content(env: FhirEnv) -> None:
    ids, client, a = env.ids, env.client, env.a
    rx = get(client, a, f"/fhir/R4/MedicationRequest/{ids['amoxicillin_rx']}").json()
    assert rx["intent"] == "order"
    assert rx["medicationCodeableConcept"]["coding"][0]["code"] == "723"
    assert rx["dosageInstruction"][0]["text"] == "500 mg oral three times daily for 7 days"
    assert rx["note"] == [{"text": "Take with food"}]
    assert rx["encounter"] == {"reference": f"Encounter/{ids['encounter1']}"}
    plan = get(client, a, f"/fhir/R4/CarePlan/{ids['plan']}").json()
    assert plan["goal"] == [{"reference": "#goal1"}]
    assert plan["contained"][0]["target"][0]["detailQuantity"]["value"] == 130
    assert plan["activity"][0] == {"reference": {"reference": f"ServiceRequest/{ids['a1c_order']}"}}
    lab = get(client, a, f"/fhir/R4/Observation/{ids['lab_sodium']}").json()
    assert lab["status"] == "preliminary"
    assert lab["derivedFrom"][0]["reference"] == f"DocumentReference/{ids['document']}"
    glucose = get(client, a, f"/fhir/R4/Observation/{ids['glucose']}").json()
    assert glucose["referenceRange"][0]["low"]["value"] == 3.9
    assert glucose["meta"]["versionId"] == "1"


def test_every_search_parameter_has_a_column_in_every_table_of_its_type() -> None:
    for resource_type, params in SEARCH_PARAMS.items():
        for source in service.SOURCES[resource_type]:
            for name in params:
                assert name in ("_id", "patient", "subject") or name in source.fields, (
                    resource_type,
                    name,
                )


def test_the_capability_statement_lists_exactly_what_is_served(env: FhirEnv) -> None:
    response = env.client.get("/fhir/R4/metadata")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/fhir+json")
    statement = response.json()
    validate(statement)
    assert statement["fhirVersion"] == "4.0.1"
    rest = statement["rest"][0]
    served = {r["type"]: r for r in rest["resource"]}
    assert set(served) == set(service.RESOURCE_TYPES)
    for resource_type, resource in served.items():
        assert [i["code"] for i in resource["interaction"]] == ["read", "search-type"]
        assert {p["name"] for p in resource["searchParam"]} == set(SEARCH_PARAMS[resource_type])
    assert "Observation:patient" in served["Observation"]["searchInclude"]
    assert rest["security"]["service"][0]["coding"][0]["code"] == "SMART-on-FHIR"


def _outcome(env: FhirEnv, url: str, status: int, code: str, **headers: str) -> None:
    response = env.client.get(url, headers={**env.a.auth("clinician"), **headers})
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/fhir+json")
    validate(response.json())
    assert error_code(response.json()) == code


@pytest.mark.parametrize(
    ("url", "status", "code"),
    [
        ("/fhir/R4/Observation?colour=red", 400, "fhir_unknown_parameter"),
        ("/fhir/R4/Observation?code:text=pulse", 400, "fhir_unknown_parameter"),
        ("/fhir/R4/Patient?code=8867-4", 400, "fhir_unknown_parameter"),
        ("/fhir/R4/Observation?date=2024-13", 400, "fhir_invalid_search"),
        ("/fhir/R4/Observation?date=xx2024", 400, "fhir_invalid_search"),
        ("/fhir/R4/Observation?date=2024-02-30", 400, "fhir_invalid_search"),
        ("/fhir/R4/Observation?date=2024-01-01T10:00:00%2B15:00", 400, "fhir_invalid_search"),
        ("/fhir/R4/Observation?_count=-1", 400, "fhir_invalid_search"),
        ("/fhir/R4/Observation?_count=many", 400, "fhir_invalid_search"),
        ("/fhir/R4/Observation?_count=501", 400, "fhir_invalid_search"),
        ("/fhir/R4/Observation?_offset=x", 400, "fhir_invalid_search"),
        ("/fhir/R4/Observation?code=", 400, "fhir_invalid_search"),
        ("/fhir/R4/Observation?code=a|b|c", 400, "fhir_invalid_search"),
        ("/fhir/R4/Observation?patient=Group/1", 400, "fhir_invalid_search"),
        ("/fhir/R4/Observation?_id=not%20an%20id", 400, "fhir_invalid_search"),
        ("/fhir/R4/Observation?_include=Observation:encounter", 400, "fhir_invalid_search"),
        ("/fhir/R4/Observation?_format=xml", 406, "fhir_format_not_supported"),
        ("/fhir/R4/Observation/nope", 404, "not_found"),
        ("/fhir/R4/Basic/123", 404, "not_found"),
        ("/fhir/R4/Basic", 404, "not_found"),
    ],
)
def test_bad_requests_get_an_operation_outcome(
    env: FhirEnv, url: str, status: int, code: str
) -> None:
    _outcome(env, url, status, code)


def test_xml_is_refused_and_json_formats_are_accepted(env: FhirEnv) -> None:
    _outcome(
        env, "/fhir/R4/Patient", 406, "fhir_format_not_supported", accept="application/fhir+xml"
    )
    for fmt in ("json", "application/json", "application/fhir+json"):
        response = env.client.get(f"/fhir/R4/Patient?_format={fmt}", headers=env.a.auth("admin"))
        assert response.status_code == 200


def test_lenient_handling_ignores_unknown_parameters(env: FhirEnv) -> None:
    url = f"/fhir/R4/Observation?patient={env.ids['patient1']}&colour=red&code=8867-4"
    headers = {**env.a.auth("clinician"), "Prefer": "handling=lenient"}
    bundle = env.client.get(url, headers=headers).json()
    assert bundle["total"] == 2
    self_link = bundle["link"][0]["url"]
    assert "colour" not in self_link and "code=8867-4" in self_link


def test_a_proposed_entry_or_another_types_id_reads_as_not_found(env: FhirEnv) -> None:
    _outcome(env, f"/fhir/R4/Observation/{env.ids['hr_proposed']}", 404, "not_found")
    _outcome(env, f"/fhir/R4/Condition/{env.ids['hr_jan']}", 404, "not_found")


def test_without_credentials_the_api_answers_401_as_an_operation_outcome(env: FhirEnv) -> None:
    response = env.client.get(f"/fhir/R4/Patient/{env.ids['patient1']}")
    assert response.status_code == 401
    assert error_code(response.json()) == "unauthorized"
    assert response.headers["www-authenticate"] == "Bearer"


def test_a_lab_accepted_into_the_record_is_served_once(
    client: TestClient, settings: Settings, tenant_a: TenantWorld
) -> None:
    ids = seed(settings, tenant_a)
    with session_scope(settings.resolved_database_url) as session:
        accepted = ClinicalObservation(
            tenant_id=tenant_a.id,
            patient_id=ids["patient1"],
            category="laboratory",
            code="2160-0",
            value_quantity=1.4,
            unit="mg/dL",
            effective_at=datetime(2024, 3, 5, tzinfo=UTC),
            status="final",
            state="active",
            source="document",
            sources=[{"kind": "document", "document_id": ids["document"], "page": 1}],
        )
        session.add(accepted)
        session.flush()
        accepted_id = accepted.id
    url = f"/fhir/R4/Observation?patient={ids['patient1']}&code=2160-0,2951-2"
    bundle = get(client, tenant_a, url).json()
    assert found(bundle) == {accepted_id, ids["lab_sodium"]}
    assert bundle["total"] == 2
