"""A patient's document results and facts export as FHIR R4 with DocumentReference provenance."""

from __future__ import annotations

from fastapi.testclient import TestClient

from clinscribe.config import Settings
from clinscribe.fhir.core.bundle import validate_bundle
from tests.support import TenantWorld
from tests.unit.documents import samples
from tests.unit.documents.test_api import ingest


def test_labs_and_letter_facts_export_as_a_valid_bundle_citing_their_documents(
    client: TestClient, settings: Settings, tenant_a: TenantWorld, tenant_b: TenantWorld
) -> None:
    report = ingest(client, settings, tenant_a, samples.text_pdf([samples.LAB_LINES]))
    letter = ingest(client, settings, tenant_a, samples.LETTER.encode())
    url = f"/api/v1/patients/{tenant_a.patient_id}/documents/fhir"
    response = client.get(url, headers=tenant_a.auth("reviewer"))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/fhir+json")
    bundle = response.json()
    validate_bundle(bundle)
    resources = [e["resource"] for e in bundle["entry"]]
    kinds = [r["resourceType"] for r in resources]
    assert kinds.count("DocumentReference") == 2 and kinds.count("Provenance") == 2
    assert {"Observation", "MedicationStatement", "Condition", "AllergyIntolerance"} <= set(kinds)
    refs = {
        e["fullUrl"]: e["resource"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "DocumentReference"
    }
    urls = {r["content"][0]["attachment"]["url"] for r in refs.values()}
    assert urls == {f"urn:clinscribe:document:{report}", f"urn:clinscribe:document:{letter}"}
    glucose = next(
        r
        for r in resources
        if r["resourceType"] == "Observation" and r["valueQuantity"]["value"] == 7.9
    )
    assert glucose["derivedFrom"][0]["reference"] in refs
    assert glucose["interpretation"][0]["coding"][0]["code"] == "H"
    assert glucose["valueQuantity"]["code"] == "mmol/L"
    other = client.get(url, headers=tenant_b.auth("admin"))
    assert other.status_code == 404
