"""Shared by the database fault suites: clients writing in a loop while the database fails,
and the check that everything the API accepted (2xx) is in the database afterwards."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import select

from clinscribe.config import Settings
from clinscribe.db.models import Job, Patient, Recording, Transcript
from clinscribe.db.session import session_scope
from clinscribe.security import crypto
from clinscribe.storage.blobs import LocalBlobStore
from tests.support import TenantWorld, unique, wav_bytes


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

    def clients(self) -> list[threading.Thread]:
        """Two writers: audio uploads and text, each alternating with new patients."""
        return [
            threading.Thread(target=self.run, args=([self._upload, self._patient],)),
            threading.Thread(target=self.run, args=([self._text, self._patient],)),
        ]

    def accepted_since(self, since: float) -> int:
        with self.lock:
            return sum(1 for o in self.outcomes if o.at >= since and 200 <= o.status < 300)


def wait(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def assert_only_503_while_failing(outcomes: list[Outcome], failing_from: float) -> list[Outcome]:
    """Every non-2xx answer is a 503 `database_unavailable` with Retry-After, never a 500,
    and none came before the fault began; the 503s are returned."""
    unexpected = sorted({(o.kind, o.status, o.error) for o in outcomes if o.status >= 300})
    assert all(status == 503 for _, status, _ in unexpected), unexpected
    unavailable = [o for o in outcomes if o.status == 503]
    assert unavailable, "no request saw the outage"
    assert all(o.retry_after and int(o.retry_after) > 0 for o in unavailable)
    assert {o.error for o in unavailable} == {"database_unavailable"}
    assert all(failing_from <= o.at for o in unavailable)
    return unavailable


def assert_nothing_accepted_was_lost(settings: Settings, outcomes: list[Outcome]) -> None:
    """Every accepted recording, patient, job, transcript and audio file is stored."""
    accepted = [o for o in outcomes if 200 <= o.status < 300]
    by_kind = {
        kind: {o.object_id for o in accepted if o.kind == kind}
        for kind in ("upload", "text", "patient")
    }
    assert all(by_kind.values()), {k: len(v) for k, v in by_kind.items()}
    recording_ids = by_kind["upload"] | by_kind["text"]
    with session_scope(settings.resolved_database_url) as session:
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
    blobs = LocalBlobStore(settings.blob_dir, crypto.key_ring(settings))
    with session_scope(settings.resolved_database_url) as session:
        keys = session.execute(
            select(Recording.blob_key).where(Recording.id.in_(by_kind["upload"]))
        ).scalars()
        assert all(key and blobs.exists(key) for key in keys), "accepted audio lost"
