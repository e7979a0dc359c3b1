"""Tenant IP allowlists: every credential kind, behind a trusted proxy or not, IPv4 and IPv6."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from starlette.websockets import WebSocketDisconnect

from clinscribe.api.app import create_app
from clinscribe.config import Settings
from clinscribe.db.models import AuditEvent
from clinscribe.db.session import session_scope
from clinscribe.security import networks
from tests.support import PASSWORD, TenantWorld

OFFICE = "203.0.113.7"
ELSEWHERE = "198.51.100.9"
PROXY = "10.0.0.5"
ALLOWLIST = "/api/v1/tenant/ip-allowlist"


@contextmanager
def from_address(
    settings: Settings, peer: str, trusted: list[str] | None = None
) -> Iterator[TestClient]:
    """A client whose TCP peer is `peer` (and a server trusting `trusted` as proxies).

    Without the app's lifespan (no worker, no timers): these requests need none of it.
    """
    configured = settings.model_copy(update={"trusted_proxies": trusted or []})
    app = create_app(configured, start_worker=False)
    yield TestClient(app, client=(peer, 40000), raise_server_exceptions=False)


def restrict(settings: Settings, world: TenantWorld, cidrs: list[str]) -> None:
    with from_address(settings, OFFICE) as office:
        saved = office.put(ALLOWLIST, json={"networks": cidrs}, headers=world.auth("admin"))
        assert saved.status_code == 200, saved.text


def denials(settings: Settings, tenant_id: str) -> list[tuple[str, str | None, str | None]]:
    with session_scope(settings.resolved_database_url) as session:
        rows = session.execute(
            select(AuditEvent.actor_type, AuditEvent.actor_id, AuditEvent.details)
            .where(AuditEvent.tenant_id == tenant_id, AuditEvent.action == "auth.ip_not_allowed")
            .order_by(AuditEvent.id)
        )
        return [(t, a, d) for t, a, d in rows]


def test_networks_parse_match_and_refuse_what_is_not_a_network() -> None:
    assert networks.normalise(["10.1.2.3/8", "10.0.0.0/8", "2001:DB8::1/32", "192.0.2.1"]) == [
        "10.0.0.0/8",
        "2001:db8::/32",
        "192.0.2.1/32",
    ]
    assert networks.allows([], None) and networks.allows([], "anything")
    assert networks.allows(["10.0.0.0/8"], "10.9.8.7")
    assert networks.allows(["10.0.0.0/8"], "::ffff:10.9.8.7")  # IPv4-mapped IPv6
    assert not networks.allows(["10.0.0.0/8"], "11.0.0.1")
    assert not networks.allows(["10.0.0.0/8"], "testclient")  # an unknown peer is refused
    assert not networks.allows(["2001:db8::/32"], "10.0.0.1")
    for bad in ("10.0.0.0/33", "300.1.1.1", "10.0.0.0/8/8", "", "host.example.org", "::/129"):
        with pytest.raises(ValueError):
            networks.parse_network(bad)


def test_every_credential_kind_is_refused_outside_the_list_and_audited(
    settings: Settings, tenant_a: TenantWorld, tenant_b: TenantWorld
) -> None:
    restrict(settings, tenant_a, ["203.0.113.0/24", "2001:db8::/32"])
    with from_address(settings, OFFICE) as office:
        listed = office.get(ALLOWLIST, headers=tenant_a.auth("admin")).json()
        assert listed == {
            "networks": ["203.0.113.0/24", "2001:db8::/32"],
            "your_address": OFFICE,
            "you_are_allowed": True,
        }
        for who in ("clinician", "key_read"):
            assert office.get("/api/v1/patients", headers=tenant_a.auth(who)).status_code == 200
        # A signed upload link is a credential of the tenant too.
        link = office.post(
            f"/api/v1/patients/{tenant_a.patient_id}/documents/upload-url",
            headers=tenant_a.auth("clinician"),
        ).json()["url"]
    with from_address(settings, ELSEWHERE) as outside:
        # A UI session: the page signs in with a password and uses the token it is given.
        signed_in = outside.post(
            "/api/v1/auth/login", json={"email": tenant_a.emails["reviewer"], "password": PASSWORD}
        )
        session_token = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}
        for headers in (
            tenant_a.auth("clinician"),
            {"X-API-Key": tenant_a.tokens["key_read"]},
            session_token,
        ):
            refused = outside.get("/api/v1/patients", headers=headers)
            assert refused.status_code == 403
            assert refused.json() == {
                "error": "ip_not_allowed",
                "detail": "this network may not use this tenant's credentials",
            }
        upload = outside.post(link, files={"file": ("a.txt", b"Notes.", "text/plain")})
        assert (upload.status_code, upload.json()["error"]) == (403, "ip_not_allowed")
        # Another tenant without a list is not affected.
        assert (
            outside.get("/api/v1/patients", headers=tenant_b.auth("clinician")).status_code == 200
        )
    rows = denials(settings, tenant_a.id)
    assert [(t, a) for t, a, _ in rows] == [
        ("user", tenant_a.users["clinician"]),
        ("api_key", rows[1][1]),
        ("user", tenant_a.users["reviewer"]),
        ("user", tenant_a.users["clinician"]),  # the link's
    ]
    # The refused address is not written down (an address can point at a patient's home).
    assert all(d is None for _, _, d in rows)
    assert denials(settings, tenant_b.id) == []


def test_forwarded_addresses_count_only_from_trusted_proxies(
    settings: Settings, tenant_a: TenantWorld
) -> None:
    restrict(settings, tenant_a, ["203.0.113.0/24"])
    headers = tenant_a.auth("clinician")
    with from_address(settings, PROXY, trusted=[PROXY]) as proxied:
        inside = {**headers, "X-Forwarded-For": f"{OFFICE}"}
        outside = {**headers, "X-Forwarded-For": f"{OFFICE}, {ELSEWHERE}"}
        assert proxied.get("/api/v1/patients", headers=inside).status_code == 200
        assert proxied.get("/api/v1/patients", headers=outside).status_code == 403
    with from_address(settings, ELSEWHERE, trusted=[PROXY]) as direct:
        spoofed = {**headers, "X-Forwarded-For": OFFICE}
        assert direct.get("/api/v1/patients", headers=spoofed).json()["error"] == "ip_not_allowed"


def test_ipv6_clients_are_matched_against_ipv6_networks(
    settings: Settings, tenant_a: TenantWorld
) -> None:
    restrict(settings, tenant_a, ["2001:db8:10::/48", OFFICE])
    headers = tenant_a.auth("key_read")
    with from_address(settings, "2001:db8:10::42") as inside:
        assert inside.get("/api/v1/patients", headers=headers).status_code == 200
    with from_address(settings, "2001:db8:11::42") as outside:
        assert outside.get("/api/v1/patients", headers=headers).status_code == 403
    with from_address(settings, f"::ffff:{OFFICE}") as mapped:
        assert mapped.get("/api/v1/patients", headers=headers).status_code == 200


def test_an_admin_cannot_lock_themselves_out_without_confirming(
    settings: Settings, tenant_a: TenantWorld
) -> None:
    admin = tenant_a.auth("admin")
    with from_address(settings, ELSEWHERE) as outside:
        refused = outside.put(ALLOWLIST, json={"networks": ["203.0.113.0/24"]}, headers=admin)
        assert refused.status_code == 409
        assert refused.json()["error"] == "allowlist_excludes_you"
        assert outside.get(ALLOWLIST, headers=admin).json()["networks"] == []
        confirmed = outside.put(
            ALLOWLIST,
            json={"networks": ["203.0.113.0/24"], "confirm_lockout": True},
            headers=admin,
        )
        assert confirmed.status_code == 200 and confirmed.json()["you_are_allowed"] is False
        assert outside.get(ALLOWLIST, headers=admin).json()["error"] == "ip_not_allowed"
    with from_address(settings, OFFICE) as office:
        cleared = office.put(ALLOWLIST, json={"networks": []}, headers=admin)
        assert cleared.status_code == 200 and cleared.json()["networks"] == []


def test_bad_allowlists_are_422_without_echoing_the_value(
    client: TestClient, tenant_a: TenantWorld
) -> None:
    bodies: list[dict[str, object]] = [
        {"networks": ["10.0.0.0/33"]},
        {"networks": ["not-an-address"]},
        {"networks": ["10.0.0.0/8", 7]},
        {"networks": ["10.0.0.0/8"] * 201},
        {"networks": "10.0.0.0/8"},
        {},
        {"networks": [], "extra": 1},
    ]
    for body in bodies:
        answer = client.put(ALLOWLIST, json=body, headers=tenant_a.auth("admin"))
        assert answer.status_code == 422 and answer.json()["error"] == "validation_error", body
        assert "10.0.0.0/33" not in answer.text and "not-an-address" not in answer.text
    assert client.get(ALLOWLIST, headers=tenant_a.auth("admin")).json()["networks"] == []


def refused_code(client: TestClient, url: str, headers: dict[str, str]) -> str:
    with client.websocket_connect(url, headers=headers) as ws:
        error = ws.receive_json()
        with pytest.raises(WebSocketDisconnect):
            ws.receive_json()
    return str(error["code"])


def test_the_live_stream_admits_only_listed_addresses_for_every_credential(
    settings: Settings, tenant_a: TenantWorld
) -> None:
    restrict(settings, tenant_a, ["203.0.113.0/24"])
    origin = {"Origin": "http://testserver"}
    with from_address(settings, OFFICE) as office:
        token = office.post("/api/v1/stream/tokens", headers=tenant_a.auth("clinician")).json()
        # Admitted: the socket gets as far as checking the encounter named in the config.
        with office.websocket_connect("/api/v1/stream", headers=tenant_a.auth("key_write")) as ws:
            ws.send_json({"type": "config", "encounter_id": "no-such-encounter"})
            assert ws.receive_json()["code"] == "not_found"
    with from_address(settings, ELSEWHERE) as outside:
        by_token = f"/api/v1/stream?token={token['token']}"
        assert refused_code(outside, by_token, origin) == "ip_not_allowed"
        for who in ("clinician", "key_write"):
            assert refused_code(outside, "/api/v1/stream", tenant_a.auth(who)) == "ip_not_allowed"
    assert len(denials(settings, tenant_a.id)) == 3
