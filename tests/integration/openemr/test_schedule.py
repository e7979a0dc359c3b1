"""Scheduled syncs of every connected tenant, and OpenEMR in the readiness check."""

from __future__ import annotations

import socket
import time

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from clinscribe.config import Settings
from clinscribe.db.models import Patient, Tenant
from clinscribe.db.session import session_scope
from clinscribe.openemr.schedule import readiness, sync_all, sync_timer
from tests.support import TenantWorld

DEAD = "mysql://root@127.0.0.1:1/openemr"


def _connect(client: TestClient, world: TenantWorld, url: str) -> None:
    r = client.put(
        "/api/v1/tenant/openemr", json={"database_url": url}, headers=world.auth("admin")
    )
    assert r.status_code == 200, r.text


def _patients(settings: Settings, tenant_id: str) -> int:
    with session_scope(settings.resolved_database_url) as session:
        return int(
            session.execute(
                select(func.count()).where(
                    Patient.tenant_id == tenant_id, Patient.openemr_pid.is_not(None)
                )
            ).scalar_one()
        )


def test_a_scheduled_sync_imports_every_connected_tenant_and_survives_one_failing(
    client: TestClient,
    settings: Settings,
    tenant_a: TenantWorld,
    tenant_b: TenantWorld,
    openemr_url: str,
) -> None:
    assert sync_timer(settings) is None  # off by default
    _connect(client, tenant_a, openemr_url)
    _connect(client, tenant_b, DEAD)
    outcome = sync_all(settings)
    assert outcome == {tenant_a.id: "ok", tenant_b.id: "openemr_unavailable"}
    assert _patients(settings, tenant_a.id) == 3
    assert sync_all(settings)[tenant_a.id] == "ok"  # idempotent
    assert _patients(settings, tenant_a.id) == 3


def test_the_timer_runs_at_start_and_on_its_interval(
    client: TestClient, settings: Settings, tenant_a: TenantWorld, openemr_url: str
) -> None:
    _connect(client, tenant_a, openemr_url)
    timed = settings.model_copy(update={"openemr_sync_interval": 3600.0})
    timer = sync_timer(timed)
    assert timer is not None and timer.interval == 3600.0
    timer.start()
    try:
        deadline = time.monotonic() + 20
        while _patients(settings, tenant_a.id) < 3 and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        timer.stop()
    assert _patients(settings, tenant_a.id) == 3


def test_readiness_names_a_tenant_whose_openemr_is_away_as_degraded(
    client: TestClient,
    settings: Settings,
    tenant_a: TenantWorld,
    tenant_b: TenantWorld,
    openemr_url: str,
) -> None:
    # The speech model is not on disk in tests; its check is not what this test is about.
    client.app.state.model_checks = {}  # type: ignore[attr-defined]
    before = client.get("/readyz").json()
    assert before["status"] == "ready"
    assert not any(name.startswith("openemr:") for name in before["checks"])
    assert before["degraded"] == []
    _connect(client, tenant_a, openemr_url)
    ready = client.get("/readyz").json()
    assert ready["checks"][f"openemr:{tenant_a.id}"] == "ok" and ready["degraded"] == []
    _connect(client, tenant_b, DEAD)
    response = client.get("/readyz")
    body = response.json()
    assert body["degraded"] == [f"openemr:{tenant_b.id}"]
    assert body["checks"][f"openemr:{tenant_b.id}"] == "failed: openemr_unavailable"
    assert body["checks"][f"openemr:{tenant_a.id}"] == "ok"
    # Degraded is not failing: the instance stays in rotation.
    assert body["failing"] == []
    assert (response.status_code, body["status"]) == (200, "degraded")


def test_a_silent_openemr_host_cannot_hold_the_readiness_probe(
    client: TestClient, settings: Settings, tenant_a: TenantWorld
) -> None:
    # A socket that completes the TCP handshake and never says a word (a firewalled proxy).
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    try:
        port = silent.getsockname()[1]
        _connect(client, tenant_a, f"mysql://root@127.0.0.1:{port}/openemr")
        started = time.monotonic()
        with session_scope(settings.resolved_database_url) as session:
            checks = readiness(session=session, settings=settings, timeout=0.5)
        assert checks == {f"openemr:{tenant_a.id}": "failed: timeout"}
        assert time.monotonic() - started < 3  # the driver alone would wait 5 s
    finally:
        silent.close()


def test_a_connection_sealed_under_another_key_degrades_that_tenant_not_the_probe(
    client: TestClient,
    settings: Settings,
    tenant_a: TenantWorld,
    tenant_b: TenantWorld,
    openemr_url: str,
) -> None:
    # A shared database written by a node with another key (or a restored row) must not turn
    # the readiness probe into a 500: that tenant is degraded by code and the others checked.
    client.app.state.model_checks = {}  # type: ignore[attr-defined]
    _connect(client, tenant_a, openemr_url)
    _connect(client, tenant_b, openemr_url)
    with session_scope(settings.resolved_database_url) as session:
        tenant = session.get(Tenant, tenant_b.id)
        assert tenant is not None and tenant.openemr_url_encrypted
        sealed = tenant.openemr_url_encrypted
        middle = len(sealed) // 2
        flipped = "A" if sealed[middle] != "A" else "B"
        tenant.openemr_url_encrypted = sealed[:middle] + flipped + sealed[middle + 1 :]
    response = client.get("/readyz")
    body = response.json()
    assert (response.status_code, body["status"]) == (200, "degraded"), response.text
    assert body["checks"][f"openemr:{tenant_b.id}"] == "failed: decryption_failed"
    assert body["checks"][f"openemr:{tenant_a.id}"] == "ok"
    assert body["degraded"] == [f"openemr:{tenant_b.id}"]
