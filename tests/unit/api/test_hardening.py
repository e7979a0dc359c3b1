"""Security headers, CORS allow-list, rate limits and client addresses behind proxies."""

from fastapi.testclient import TestClient

from clinscribe.api.app import create_app
from clinscribe.api.hardening import client_ip
from clinscribe.config import Settings
from tests.support import TenantWorld

# A pinned clock (mid-minute): a run that straddles a minute boundary counts the same.
MID_MINUTE = 1_800_000_030.0


def pinned() -> float:
    return MID_MINUTE


def test_every_response_carries_security_and_rate_limit_headers(
    client: TestClient, tenant_a: TenantWorld
) -> None:
    response = client.get("/api/v1/patients", headers=tenant_a.auth("clinician"))
    headers = response.headers
    assert headers["x-content-type-options"] == "nosniff" and headers["x-frame-options"] == "DENY"
    assert "default-src 'self'" in headers["content-security-policy"]
    assert headers["cache-control"] == "no-store"
    assert int(headers["x-ratelimit-limit"]) == 600
    assert (
        0 <= int(headers["x-ratelimit-remaining"]) < 600 and int(headers["x-ratelimit-reset"]) > 0
    )
    error = client.get("/api/v1/patients")
    assert error.status_code == 401 and error.headers["x-content-type-options"] == "nosniff"


def test_a_credential_over_its_limit_gets_429_with_retry_after(
    settings: Settings, tenant_a: TenantWorld
) -> None:
    tight = settings.model_copy(
        update={"rate_limit_per_minute": 3, "rate_limit_ip_per_minute": 100}
    )
    with TestClient(create_app(tight, start_worker=False, clock=pinned)) as client:
        statuses = [
            client.get("/api/v1/tenant", headers=tenant_a.auth("clinician")).status_code
            for _ in range(4)
        ]
        assert statuses == [200, 200, 200, 429]
        limited = client.get("/api/v1/tenant", headers=tenant_a.auth("clinician"))
        assert limited.json()["error"] == "rate_limited"
        assert limited.headers["retry-after"] == "31"  # the 30 s left of the window, plus one
        assert limited.headers["x-ratelimit-remaining"] == "0"
        # Another credential has its own budget; health checks are never limited.
        assert client.get("/api/v1/tenant", headers=tenant_a.auth("reviewer")).status_code == 200
        assert client.get("/healthz").status_code == 200


def test_the_client_address_limit_applies_to_anonymous_callers(settings: Settings) -> None:
    tight = settings.model_copy(update={"rate_limit_ip_per_minute": 2})
    with TestClient(create_app(tight, start_worker=False, clock=pinned)) as client:
        codes = [client.get("/api/v1/patients").status_code for _ in range(3)]
    assert codes == [401, 401, 429]


def test_forwarded_addresses_are_believed_only_from_trusted_proxies() -> None:
    scope = {
        "client": ("10.0.0.5", 1234),
        "headers": [(b"x-forwarded-for", b"203.0.113.9, 10.0.0.5")],
    }
    assert client_ip(scope, trusted=[]) == "10.0.0.5"
    assert client_ip(scope, trusted=["10.0.0.5"]) == "203.0.113.9"
    spoofed = {"client": ("198.51.100.7", 1), "headers": [(b"x-forwarded-for", b"1.2.3.4")]}
    assert client_ip(spoofed, trusted=["10.0.0.5"]) == "198.51.100.7"


def test_cors_allows_only_listed_origins(settings: Settings) -> None:
    allowed = settings.model_copy(update={"cors_origins": ["https://ehr.example.org"]})
    with TestClient(create_app(allowed, start_worker=False)) as client:
        ok = client.options(
            "/api/v1/patients",
            headers={"Origin": "https://ehr.example.org", "Access-Control-Request-Method": "GET"},
        )
        evil = client.options(
            "/api/v1/patients",
            headers={"Origin": "https://evil.example.com", "Access-Control-Request-Method": "GET"},
        )
    assert ok.headers["access-control-allow-origin"] == "https://ehr.example.org"
    assert "access-control-allow-origin" not in evil.headers
