"""PostgreSQL restarted under load: 503 with Retry-After while it is down, never a 500, and
nothing the API accepted (2xx) is lost.

The outage is kept to a few seconds: other suites may share the server.
"""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from clinscribe.api.app import create_app
from clinscribe.config import Settings
from clinscribe.db.models import Job, Patient, Recording, Transcript
from clinscribe.db.session import session_scope
from clinscribe.security import crypto
from clinscribe.storage.blobs import LocalBlobStore
from tests.integration.conftest import PG_ADMIN_URL
from tests.support import TenantWorld, build_tenant, unique, wav_bytes

DOWN_SECONDS = 3.0
WARM_UP_ACCEPTED = 6
RECOVERY_ACCEPTED = 6
RECOVERY_TIMEOUT = 60.0


def _cluster() -> tuple[str, str]:
    """The local cluster (version, name) serving the test database's port."""
    port = str(urlsplit(PG_ADMIN_URL).port or 5432)
    listing = subprocess.run(
        ["pg_lsclusters", "--no-header"], check=True, capture_output=True, text=True, timeout=30
    ).stdout
    for line in listing.splitlines():
        version, name, cluster_port, *_ = line.split()
        if cluster_port == port:
            return version, name
    raise AssertionError(f"no local PostgreSQL cluster on port {port}")


def _ctl(action: str, *extra: str) -> None:
    version, name = _cluster()
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, name, action, *extra],
        check=True,
        capture_output=True,
        timeout=120,
    )


def _online() -> bool:
    version, name = _cluster()
    status = subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, name, "status"],
        capture_output=True,
        timeout=30,
        check=False,
    )
    return status.returncode == 0


@dataclass
class Outcome:
    kind: str
    status: int
    at: float
    object_id: str | None = None
    retry_after: str | None = None
    error: str | None = None


@dataclass
class Load:
    """Clients writing in a loop; every answer is kept."""

    client: TestClient
    world: TenantWorld
    outcomes: list[Outcome] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _upload(self) -> tuple[str, httpx.Response]:
        return "upload", self.client.post(
            f"/api/v1/encounters/{self.world.encounter_id}/recordings",
            headers=self.world.auth("clinician"),
            files={"file": ("tone.wav", wav_bytes(0.3), "audio/wav")},
        )

    def _text(self) -> tuple[str, httpx.Response]:
        return "text", self.client.post(
            f"/api/v1/encounters/{self.world.encounter_id}/text",
            headers=self.world.auth("clinician"),
            json={"text": "Doctor: Any fever?\nPatient: No fever since Monday."},
        )

    def _patient(self) -> tuple[str, httpx.Response]:
        return "patient", self.client.post(
            "/api/v1/patients",
            headers=self.world.auth("clinician"),
            json={"mrn": unique("F"), "given_name": "Fay", "family_name": "Fault"},
        )

    def run(self, steps: list[Callable[[], tuple[str, httpx.Response]]]) -> None:
        i = 0
        while not self.stop.is_set():
            kind, response = steps[i % len(steps)]()
            i += 1
            status = response.status_code
            body = response.json() if response.content else {}
            if 200 <= status < 300:
                created = body.get("recording", body)
                object_id = str(created["id"])
            else:
                object_id = None
            outcome = Outcome(
                kind=kind,
                status=status,
                at=time.monotonic(),
                object_id=object_id,
                retry_after=response.headers.get("retry-after"),
                error=body.get("error") if status >= 300 else None,
            )
            with self.lock:
                self.outcomes.append(outcome)
            if status == 503:
                time.sleep(0.05)  # a short pause, not Retry-After: the test wants to see the outage

    def accepted_since(self, since: float) -> int:
        with self.lock:
            return sum(1 for o in self.outcomes if o.at >= since and 200 <= o.status < 300)


def _wait(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def restores_postgres() -> Iterator[None]:
    """Whatever happens in the test, the server is running afterwards."""
    yield
    if not _online():
        _ctl("start")


def test_restarting_postgresql_under_load_answers_503_and_loses_nothing_accepted(
    pg_settings: Settings, restores_postgres: None
) -> None:
    # Rate limits off: the clients retry far faster than any limit allows, on purpose.
    settings = pg_settings.model_copy(
        update={"rate_limit_per_minute": 0, "rate_limit_ip_per_minute": 0}
    )
    world = build_tenant(settings)
    app = create_app(settings, start_worker=False)
    with TestClient(app, raise_server_exceptions=False) as client:
        load = Load(client, world)
        clients = [
            threading.Thread(target=load.run, args=([load._upload, load._patient],)),
            threading.Thread(target=load.run, args=([load._text, load._patient],)),
        ]
        for thread in clients:
            thread.start()
        try:
            _wait(lambda: load.accepted_since(0) >= WARM_UP_ACCEPTED, 60, "warm-up writes")
            stopping = time.monotonic()
            _ctl("stop", "-m", "fast")
            stopped = time.monotonic()
            time.sleep(DOWN_SECONDS)
            _ctl("start")
            started = time.monotonic()
            _wait(
                lambda: load.accepted_since(started) >= RECOVERY_ACCEPTED,
                RECOVERY_TIMEOUT,
                "writes to succeed again after the restart",
            )
        finally:
            load.stop.set()
            for thread in clients:
                thread.join(timeout=60)
    outcomes = list(load.outcomes)
    first_ok = min(o.at for o in outcomes if o.at >= started and 200 <= o.status < 300)

    # While it was down (and while it came up), the answer is 503 with Retry-After: never 500.
    unexpected = sorted({(o.kind, o.status, o.error) for o in outcomes if o.status >= 300})
    assert all(status == 503 for _, status, _ in unexpected), unexpected
    unavailable = [o for o in outcomes if o.status == 503]
    assert unavailable, "no request saw the outage"
    assert all(o.retry_after and int(o.retry_after) > 0 for o in unavailable)
    assert {o.error for o in unavailable} == {"database_unavailable"}
    assert all(stopping <= o.at for o in unavailable)

    # Everything accepted before, during and after is in the database.
    accepted = [o for o in outcomes if 200 <= o.status < 300]
    by_kind = {
        kind: {o.object_id for o in accepted if o.kind == kind}
        for kind in ("upload", "text", "patient")
    }
    assert all(by_kind.values()), {k: len(v) for k, v in by_kind.items()}
    recording_ids = by_kind["upload"] | by_kind["text"]
    with session_scope(pg_settings.resolved_database_url) as session:
        recordings = set(
            session.execute(select(Recording.id).where(Recording.id.in_(recording_ids))).scalars()
        )
        patients = set(
            session.execute(select(Patient.id).where(Patient.id.in_(by_kind["patient"]))).scalars()
        )
        queued = set(
            session.execute(
                select(Job.subject_id).where(Job.subject_id.in_(by_kind["upload"]))
            ).scalars()
        )
        transcribed = set(
            session.execute(
                select(Transcript.recording_id).where(Transcript.recording_id.in_(by_kind["text"]))
            ).scalars()
        )
    assert recordings == recording_ids, "accepted recordings lost"
    assert patients == by_kind["patient"], "accepted patients lost"
    assert queued == by_kind["upload"], "accepted uploads without their job"
    assert transcribed == by_kind["text"], "accepted text without its transcript"
    blobs = LocalBlobStore(pg_settings.blob_dir, crypto.key_ring(pg_settings))
    with session_scope(pg_settings.resolved_database_url) as session:
        keys = session.execute(
            select(Recording.blob_key).where(Recording.id.in_(by_kind["upload"]))
        ).scalars()
        assert all(key and blobs.exists(key) for key in keys), "accepted audio lost"

    figures = {
        "requests": len(outcomes),
        "accepted": len(accepted),
        "503": len(unavailable),
        "500": sum(1 for o in outcomes if o.status == 500),
        "lost": 0,
        "stop_s": round(stopped - stopping, 2),
        "outage_s": round(started - stopped, 2),
        "first_2xx_after_start_s": round(first_ok - started, 2),
    }
    print(f"\npostgres-restart figures: {figures}")
