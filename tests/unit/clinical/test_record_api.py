"""The record API: create, read, versioned edits, decisions, validation and tenancy."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.support import TenantWorld

BP = {
    "category": "vital-signs",
    "code": "8480-6",
    "value_quantity": 128,
    "unit": "mm[Hg]",
    "effective_at": "2026-03-01T09:30:00Z",
}


def url(world: TenantWorld, tail: str) -> str:
    return f"/api/v1/patients/{world.patient_id}/{tail}"


def create(
    client: TestClient, world: TenantWorld, seg: str, body: dict[str, Any], who: str = "clinician"
) -> dict[str, Any]:
    r = client.post(url(world, seg), json=body, headers=world.auth(who))
    assert r.status_code == 201, r.text
    return dict(r.json())


def test_a_clinician_records_an_observation_that_is_active_at_version_one(
    client: TestClient, tenant_a: TenantWorld
) -> None:
    r = client.post(url(tenant_a, "observations"), json=BP, headers=tenant_a.auth("clinician"))
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["state"], body["version"], body["status"]) == ("active", 1, "final")
    assert r.headers["ETag"] == '"1"'
    assert r.headers["Location"].endswith(body["id"])
    assert body["sources"] == [{"kind": "manual"}]
    got = client.get(url(tenant_a, f"observations/{body['id']}"), headers=tenant_a.auth("reviewer"))
    assert got.status_code == 200 and got.json()["value_quantity"] == 128


def test_an_entry_from_an_api_key_is_proposed_until_a_clinician_accepts_it(
    client: TestClient, tenant_a: TenantWorld
) -> None:
    body = create(client, tenant_a, "medications", {"drug": "metformin 500 mg"}, who="key_write")
    assert (body["state"], body["status"]) == ("proposed", "active")
    r = client.post(
        url(tenant_a, f"medications/{body['id']}/accept"), headers=tenant_a.auth("clinician")
    )
    assert r.status_code == 200, r.text
    assert (r.json()["state"], r.json()["version"]) == ("active", 2)
    again = client.post(
        url(tenant_a, f"medications/{body['id']}/accept"), headers=tenant_a.auth("clinician")
    )
    assert again.status_code == 409
