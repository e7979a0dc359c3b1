"""The remote ASR engine is used only where the tenant's PHI egress policy allows; audited."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest
from sqlalchemy import select, update

from clinscribe.config import Settings
from clinscribe.db.models import AuditEvent, Job, Tenant, Transcript
from clinscribe.db.session import session_scope
from clinscribe.recordings import service as recordings
from clinscribe.security import crypto
from clinscribe.storage.blobs import LocalBlobStore
from clinscribe.tasks import setup_jobs
from tests.support import TenantWorld, wav_bytes


class _Transcriptions(BaseHTTPRequestHandler):
    received: ClassVar[list[str]] = []

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append(self.path)
        body = json.dumps(
            {
                "text": "Remote words.",
                "language": "english",
                "duration": 0.5,
                "segments": [{"id": 0, "start": 0.0, "end": 0.5, "text": " Remote words."}],
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        return


@pytest.fixture
def remote(settings: Settings) -> Iterator[Settings]:
    _Transcriptions.received.clear()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Transcriptions)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield settings.model_copy(
        update={"asr_remote_base_url": f"http://127.0.0.1:{server.server_address[1]}/v1"}
    )
    server.shutdown()
    server.server_close()


def transcribe_with(settings: Settings, world: TenantWorld, policy: str) -> Transcript:
    rt = setup_jobs(settings)
    url = settings.resolved_database_url
    with session_scope(url) as session:
        session.execute(
            update(Tenant)
            .where(Tenant.id == world.id)
            .values(asr_engine="remote", phi_egress_policy=policy)
        )
        _, job = recordings.upload(
            session=session,
            settings=settings,
            blobs=LocalBlobStore(settings.blob_dir, crypto.key_ring(settings)),
            principal=world.principal("clinician"),
            encounter_id=world.encounter_id,
            data=io.BytesIO(wav_bytes(0.5)),
            filename="a.wav",
            content_type="audio/wav",
            mode="dictation",
        )
        job_id = job.id
    rt.run("transcribe", job_id)
    with session_scope(url) as session:
        row = session.get(Job, job_id)
        assert row is not None and row.status == "succeeded", row and row.last_error
        transcript = session.get(Transcript, row.result_id)
        assert transcript is not None
        session.expunge(transcript)
        return transcript


def egress_outcomes(settings: Settings, world: TenantWorld) -> list[str]:
    with session_scope(settings.resolved_database_url) as session:
        return list(
            session.execute(
                select(AuditEvent.outcome).where(
                    AuditEvent.tenant_id == world.id, AuditEvent.action == "asr.egress"
                )
            ).scalars()
        )


def test_audio_goes_to_the_remote_engine_only_when_policy_allows(
    remote: Settings, tenant_a: TenantWorld
) -> None:
    allowed = transcribe_with(remote, tenant_a, "allow")
    assert allowed.text == "Remote words." and allowed.engine != "faster-whisper"
    assert _Transcriptions.received == ["/v1/audio/transcriptions"]
    assert egress_outcomes(remote, tenant_a) == ["allowed"]


@pytest.mark.parametrize("policy", ["deny", "deidentify"])
def test_audio_stays_local_when_policy_forbids(
    remote: Settings, tenant_a: TenantWorld, policy: str
) -> None:
    local = transcribe_with(remote, tenant_a, policy)
    assert local.engine == "faster-whisper"
    assert _Transcriptions.received == []
    assert egress_outcomes(remote, tenant_a) == ["denied"]


def test_admins_set_the_policy_and_others_cannot(client, tenant_a: TenantWorld) -> None:  # type: ignore[no-untyped-def]
    body = {"phi_egress_policy": "allow", "asr_engine": "remote"}
    assert (
        client.patch("/api/v1/tenant", json=body, headers=tenant_a.auth("clinician")).status_code
        == 403
    )
    changed = client.patch("/api/v1/tenant", json=body, headers=tenant_a.auth("admin"))
    assert changed.status_code == 200 and changed.json()["phi_egress_policy"] == "allow"
    bad = client.patch(
        "/api/v1/tenant", json={"phi_egress_policy": "sometimes"}, headers=tenant_a.auth("admin")
    )
    assert bad.status_code == 422
