from fastapi.testclient import TestClient

from clinscribe.api.app import create_app
from clinscribe.config import Settings
from tests.authz_matrix import POLICY, PUBLIC, check_matrix, operations
from tests.support import TenantWorld


def test_every_route_is_classified_in_the_policy(client: TestClient) -> None:
    ops = set(operations(client))
    unclassified = ops - set(POLICY) - PUBLIC
    assert not unclassified, f"routes without an authorization policy: {sorted(unclassified)}"
    assert not (set(POLICY) - ops), "policy names routes that no longer exist"


def test_every_route_enforces_roles_scopes_and_tenancy(
    settings: Settings, tenant_a: TenantWorld, tenant_b: TenantWorld
) -> None:
    # The matrix sends well over a thousand requests with a handful of credentials from one
    # address; rate limits (tested on their own) would answer 429 instead of the policy.
    unlimited = settings.model_copy(
        update={"rate_limit_per_minute": 0, "rate_limit_ip_per_minute": 0}
    )
    with TestClient(
        create_app(unlimited, start_worker=False), raise_server_exceptions=False
    ) as client:
        checked = check_matrix(client, unlimited, tenant_a, tenant_b)
    assert checked >= len(POLICY) * 7


def test_a_clinician_sees_only_their_own_encounters_unless_granted(
    client: TestClient, settings: Settings, tenant_a: TenantWorld
) -> None:
    admin = tenant_a.auth("admin")
    other = client.post(
        "/api/v1/users",
        json={
            "email": "second.clin@example.org",
            "role": "clinician",
            "password": "a-long-password-1",
        },
        headers=admin,
    ).json()
    created = client.post(
        "/api/v1/encounters",
        json={"patient_id": tenant_a.patient_id, "clinician_id": other["id"]},
        headers=admin,
    )
    assert created.status_code == 201
    theirs = created.json()["id"]
    mine = tenant_a.auth("clinician")
    assert client.get(f"/api/v1/encounters/{theirs}", headers=mine).status_code == 404
    listed = client.get("/api/v1/encounters", headers=mine).json()
    assert theirs not in {e["id"] for e in listed["items"]}
    assert tenant_a.encounter_id in {e["id"] for e in listed["items"]}
    client.patch(
        f"/api/v1/users/{tenant_a.users['clinician']}",
        json={"can_view_all_encounters": True},
        headers=admin,
    )
    assert client.get(f"/api/v1/encounters/{theirs}", headers=mine).status_code == 200
    assert (
        client.get(f"/api/v1/encounters/{theirs}", headers=tenant_a.auth("reviewer")).status_code
        == 200
    )


def test_a_clinician_cannot_create_encounters_for_another_clinician(
    client: TestClient, tenant_a: TenantWorld
) -> None:
    admin = tenant_a.auth("admin")
    other = client.post(
        "/api/v1/users", json={"email": "c3@example.org", "role": "clinician"}, headers=admin
    ).json()
    response = client.post(
        "/api/v1/encounters",
        json={"patient_id": tenant_a.patient_id, "clinician_id": other["id"]},
        headers=tenant_a.auth("clinician"),
    )
    assert response.status_code == 403


def test_another_tenants_patient_cannot_be_used_for_an_encounter(
    client: TestClient, tenant_a: TenantWorld, tenant_b: TenantWorld
) -> None:
    response = client.post(
        "/api/v1/encounters",
        json={"patient_id": tenant_b.patient_id},
        headers=tenant_a.auth("clinician"),
    )
    assert response.status_code == 422
    assert tenant_b.patient_id not in response.text
