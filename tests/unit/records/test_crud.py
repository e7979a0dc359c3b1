"""Patients and encounters: create, read, update, delete, pagination and filtering."""

from fastapi.testclient import TestClient

from tests.support import TenantWorld


def test_patients_are_created_read_updated_and_deleted(
    client: TestClient, tenant_a: TenantWorld
) -> None:
    clin, admin = tenant_a.auth("clinician"), tenant_a.auth("admin")
    created = client.post(
        "/api/v1/patients",
        json={
            "mrn": "P-100",
            "given_name": "Ines",
            "family_name": "Okafor",
            "birth_date": "1970-05-01",
            "sex": "female",
            "email": "ines@example.org",
        },
        headers=clin,
    )
    assert created.status_code == 201
    patient = created.json()
    assert created.headers["location"] == f"/api/v1/patients/{patient['id']}"
    assert client.get(f"/api/v1/patients/{patient['id']}", headers=clin).json()["mrn"] == "P-100"
    updated = client.patch(
        f"/api/v1/patients/{patient['id']}", json={"phone": "+1 555 0100"}, headers=clin
    )
    assert updated.json()["phone"] == "+1 555 0100" and updated.json()["given_name"] == "Ines"
    assert client.delete(f"/api/v1/patients/{patient['id']}", headers=admin).status_code == 204
    assert client.get(f"/api/v1/patients/{patient['id']}", headers=clin).status_code == 404


def test_deleting_a_patient_removes_their_encounters(
    client: TestClient, tenant_a: TenantWorld
) -> None:
    admin = tenant_a.auth("admin")
    assert (
        client.delete(f"/api/v1/patients/{tenant_a.patient_id}", headers=admin).status_code == 204
    )
    assert (
        client.get(f"/api/v1/encounters/{tenant_a.encounter_id}", headers=admin).status_code == 404
    )


def test_patient_lists_paginate_and_filter(client: TestClient, tenant_a: TenantWorld) -> None:
    clin = tenant_a.auth("clinician")
    for i in range(7):
        client.post(
            "/api/v1/patients",
            json={
                "mrn": f"PG-{i}",
                "given_name": f"G{i}",
                "family_name": "Pagewell" if i % 2 else "Other",
            },
            headers=clin,
        )
    first = client.get("/api/v1/patients", params={"limit": 3}, headers=clin).json()
    second = client.get("/api/v1/patients", params={"limit": 3, "offset": 3}, headers=clin).json()
    assert first["total"] == second["total"] == 8  # seven plus the world's patient
    assert len(first["items"]) == 3 and not {p["id"] for p in first["items"]} & {
        p["id"] for p in second["items"]
    }
    by_name = client.get("/api/v1/patients", params={"family_name": "pagew"}, headers=clin).json()
    assert by_name["total"] == 3
    by_mrn = client.get("/api/v1/patients", params={"mrn": "PG-4"}, headers=clin).json()
    assert [p["mrn"] for p in by_mrn["items"]] == ["PG-4"]


def test_encounters_filter_by_patient_status_type_and_time(
    client: TestClient, tenant_a: TenantWorld
) -> None:
    clin = tenant_a.auth("clinician")
    made = [
        client.post(
            "/api/v1/encounters",
            json={
                "patient_id": tenant_a.patient_id,
                "type": t,
                "status": s,
                "started_at": f"2026-03-0{d}T09:00:00+01:00",
            },
            headers=clin,
        ).json()
        for t, s, d in (
            ("telehealth", "finished", 1),
            ("ambulatory", "in-progress", 2),
            ("telehealth", "planned", 3),
        )
    ]
    assert all("id" in e for e in made)

    def ids(**params: str) -> set[str]:
        return {
            e["id"]
            for e in client.get("/api/v1/encounters", params=params, headers=clin).json()["items"]
        }

    assert ids(type="telehealth") == {made[0]["id"], made[2]["id"]}
    assert ids(status="in-progress") == {made[1]["id"]}
    assert ids(started_after="2026-03-02T00:00:00Z", started_before="2026-03-03T00:00:00Z") == {
        made[1]["id"]
    }
    assert tenant_a.encounter_id in ids(patient_id=tenant_a.patient_id)
    assert made[0]["started_at"].startswith("2026-03-01T08:00:00")  # stored and returned in UTC


def test_an_admin_creates_encounters_for_a_named_clinician_only(
    client: TestClient, tenant_a: TenantWorld
) -> None:
    admin = tenant_a.auth("admin")
    missing = client.post(
        "/api/v1/encounters", json={"patient_id": tenant_a.patient_id}, headers=admin
    )
    assert missing.status_code == 422 and "clinician_id" in missing.json()["detail"]
    reviewer = client.post(
        "/api/v1/encounters",
        json={"patient_id": tenant_a.patient_id, "clinician_id": tenant_a.users["reviewer"]},
        headers=admin,
    )
    assert reviewer.status_code == 422
