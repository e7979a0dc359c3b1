"""Client mistakes get a clear 4xx in the one error shape, never a 500."""

from fastapi.testclient import TestClient

from tests.support import TenantWorld


def test_malformed_json_is_a_400(client: TestClient, tenant_a: TenantWorld) -> None:
    response = client.post(
        "/api/v1/patients",
        content=b'{"mrn": "A1", "given_name": ',
        headers={**tenant_a.auth("clinician"), "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json() == {
        "error": "malformed_json",
        "detail": "request body is not valid JSON",
    }


def test_wrong_types_are_a_422_with_field_paths(client: TestClient, tenant_a: TenantWorld) -> None:
    response = client.post(
        "/api/v1/patients",
        json={"mrn": 12, "given_name": ["x"], "family_name": "Ok", "birth_date": "yesterday"},
        headers=tenant_a.auth("clinician"),
    )
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "validation_error"
    locs = {tuple(f["loc"]) for f in body["fields"]}
    assert (
        ("body", "mrn") in locs
        and ("body", "given_name") in locs
        and ("body", "birth_date") in locs
    )
    assert "yesterday" not in response.text  # rejected values are never echoed back


def test_unknown_fields_and_bad_values_are_rejected(
    client: TestClient, tenant_a: TenantWorld
) -> None:
    headers = tenant_a.auth("clinician")
    cases = [
        {"mrn": "A2", "given_name": "A", "family_name": "B", "ssn": "123"},
        {"mrn": "bad mrn with spaces", "given_name": "A", "family_name": "B"},
        {"mrn": "A3", "given_name": "", "family_name": "B"},
        {"mrn": "A4", "given_name": "A", "family_name": "B", "birth_date": "2999-01-01"},
        {"mrn": "A5", "given_name": "A", "family_name": "B", "sex": "robot"},
    ]
    for body in cases:
        assert client.post("/api/v1/patients", json=body, headers=headers).status_code == 422, body


def test_encounter_periods_must_be_ordered_and_zoned(
    client: TestClient, tenant_a: TenantWorld
) -> None:
    headers = tenant_a.auth("clinician")
    backwards = client.post(
        "/api/v1/encounters",
        json={
            "patient_id": tenant_a.patient_id,
            "started_at": "2026-01-02T10:00:00Z",
            "ended_at": "2026-01-02T09:00:00Z",
        },
        headers=headers,
    )
    naive = client.post(
        "/api/v1/encounters",
        json={"patient_id": tenant_a.patient_id, "started_at": "2026-01-02T10:00:00"},
        headers=headers,
    )
    assert backwards.status_code == 422 and naive.status_code == 422
    patch = client.patch(
        f"/api/v1/encounters/{tenant_a.encounter_id}",
        json={"started_at": "2026-01-02T10:00:00Z"},
        headers=headers,
    )
    assert patch.status_code == 200
    later = client.patch(
        f"/api/v1/encounters/{tenant_a.encounter_id}",
        json={"ended_at": "2026-01-01T10:00:00Z"},
        headers=headers,
    )
    assert later.status_code == 422


def test_oversized_bodies_are_a_413(client: TestClient, tenant_a: TenantWorld) -> None:
    big = b'{"mrn": "' + b"A" * 2_000_000 + b'"}'
    response = client.post(
        "/api/v1/patients",
        content=big,
        headers={**tenant_a.auth("clinician"), "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["error"] == "payload_too_large"


def test_oversized_chunked_bodies_without_length_are_a_413(
    client: TestClient, tenant_a: TenantWorld
) -> None:
    def chunks():  # type: ignore[no-untyped-def]
        for _ in range(40):
            yield b"x" * 65536

    response = client.post(
        "/api/v1/patients",
        content=chunks(),
        headers={**tenant_a.auth("clinician"), "Content-Type": "application/json"},
    )
    assert response.status_code == 413


def test_unknown_ids_and_paths_are_404(client: TestClient, tenant_a: TenantWorld) -> None:
    headers = tenant_a.auth("admin")
    for url in (
        "/api/v1/patients/00000000-0000-0000-0000-000000000000",
        "/api/v1/encounters/nope",
        "/api/v1/users/x",
        "/api/v1/nothing-here",
    ):
        response = client.get(url, headers=headers)
        assert response.status_code == 404
        assert response.json()["error"] == "not_found"


def test_wrong_method_is_405_in_the_error_shape(client: TestClient) -> None:
    response = client.put("/healthz")
    assert response.status_code == 405
    assert response.json()["error"] == "method_not_allowed"


def test_bad_pagination_and_filters_are_422(client: TestClient, tenant_a: TenantWorld) -> None:
    headers = tenant_a.auth("admin")
    for params in (
        {"limit": 0},
        {"limit": 1000},
        {"offset": -1},
        {"limit": "ten"},
        {"status": "dancing"},
        {"started_after": "not-a-date"},
    ):
        assert client.get("/api/v1/encounters", params=params, headers=headers).status_code == 422


def test_a_malformed_authorization_header_is_a_401(client: TestClient) -> None:
    for value in ("Basic dXNlcjpwYXNz", "Bearer", "Bearer    ", "token-without-scheme"):
        response = client.get("/api/v1/patients", headers={"Authorization": value})
        assert response.status_code == 401, value


def test_duplicate_mrn_and_email_are_409(
    client: TestClient, tenant_a: TenantWorld, tenant_b: TenantWorld
) -> None:
    body = {"mrn": "DUP-1", "given_name": "A", "family_name": "B"}
    assert (
        client.post("/api/v1/patients", json=body, headers=tenant_a.auth("clinician")).status_code
        == 201
    )
    assert (
        client.post("/api/v1/patients", json=body, headers=tenant_a.auth("clinician")).status_code
        == 409
    )
    # MRNs are unique per tenant, not globally.
    assert (
        client.post("/api/v1/patients", json=body, headers=tenant_b.auth("clinician")).status_code
        == 201
    )
    user = {"email": tenant_b.emails["admin"], "role": "reviewer"}
    assert (
        client.post("/api/v1/users", json=user, headers=tenant_a.auth("admin")).status_code == 409
    )
