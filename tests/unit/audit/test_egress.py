"""The PHI egress log: one event per call that sends PHI out, in the audit chain, no content."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from clinscribe.audit import service as audit
from clinscribe.config import Settings
from clinscribe.db.models import AuditEvent, Delivery, Job, Tenant
from clinscribe.db.session import session_scope
from clinscribe.tasks import setup_jobs
from tests.canary import markers
from tests.fhir_server import FhirTestServer
from tests.support import TenantWorld, add_recording, configure_ehr
from tests.unit.fhir.test_delivery import encounter_seeder, seed_patient

EGRESS = "/api/v1/admin/egress"


class _Remote(BaseHTTPRequestHandler):
    """A remote processor on loopback: OpenAI-compatible transcription and chat endpoints."""

    chat_status: ClassVar[int] = 200

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        if self.path.endswith("/chat/completions") and self.chat_status != 200:
            self.send_response(self.chat_status)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if self.path.endswith("/audio/transcriptions"):
            answer: dict[str, Any] = {
                "text": "Remote words.",
                "segments": [{"id": 0, "start": 0.0, "end": 0.5, "text": " Remote words."}],
            }
        else:
            sections = [
                {"key": "subjective", "sentences": [{"text": "Cough.", "evidence": [1]}]},
                {"key": "plan", "sentences": [{"text": "Start benzonatate.", "evidence": [2]}]},
            ]
            content = json.dumps({"sections": sections})
            answer = {
                "choices": [{"index": 0, "message": {"role": "assistant", "content": content}}]
            }
        body = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        return


@pytest.fixture
def remote() -> Iterator[str]:
    _Remote.chat_status = 200
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Remote)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def events(client: TestClient, world: TenantWorld, **params: str) -> list[dict[str, Any]]:
    answer = client.get(EGRESS, params=params, headers=world.auth("admin"))
    assert answer.status_code == 200, answer.text
    return list(answer.json()["items"])


def test_remote_transcription_logs_one_egress_event(
    settings: Settings, client: TestClient, tenant_a: TenantWorld, remote: str
) -> None:
    configured = settings.model_copy(update={"asr_remote_base_url": remote})
    with session_scope(settings.resolved_database_url) as session:
        session.execute(
            update(Tenant)
            .where(Tenant.id == tenant_a.id)
            .values(asr_engine="remote", phi_egress_policy="allow")
        )
    recording_id, job_id = add_recording(configured, tenant_a, tenant_a.encounter_id)
    setup_jobs(configured).run("transcribe", job_id)
    [event] = events(client, tenant_a)
    assert event["processor"] == "remote_asr" and event["purpose"] == "transcription"
    assert event["destination"] == remote.split("//")[1].removesuffix("/v1")  # host:port only
    assert event["object_type"] == "recording" and event["object_ids"] == [recording_id]
    assert event["bytes"] == 44 + 2 * 8000  # half a second of 16 kHz 16-bit WAV
    assert (event["outcome"], event["actor_type"], event["actor_id"]) == ("sent", "system", job_id)


def test_llm_and_ehr_egress_is_logged_and_no_content_reaches_the_log(
    settings: Settings, client: TestClient, tenant_a: TenantWorld, remote: str
) -> None:
    marks = markers()
    clinician, admin = tenant_a.auth("clinician"), tenant_a.auth("admin")
    client.patch(
        f"/api/v1/patients/{tenant_a.patient_id}",
        json={"given_name": marks["given"], "family_name": marks["family"]},
        headers=clinician,
    )
    client.patch(
        "/api/v1/tenant",
        json={"llm_base_url": remote, "llm_model": "m", "phi_egress_policy": "allow"},
        headers=admin,
    )
    dialogue = (
        f"[doctor] Hello Mr. {marks['family']}, what brings you in?\n"
        f"[patient] A cough for three days, {marks['spoken']}.\n"
        "[doctor] Let's start benzonatate 100 mg three times a day.\n"
    )
    url = f"/api/v1/encounters/{tenant_a.encounter_id}"
    client.post(f"{url}/text", json={"text": dialogue}, headers=clinician)
    drafted = client.post(
        f"{url}/notes", json={"template": "soap", "refine": True}, headers=clinician
    )
    assert drafted.status_code == 201, drafted.text
    note_id = drafted.json()["id"]

    with FhirTestServer() as ehr:
        configure_ehr(settings, tenant_a, ehr.base_url)
        seed_patient(ehr, settings, tenant_a)
        encounter_seeder(ehr)(tenant_a.encounter_id)
        for step, who in (("submit", clinician), ("approve", tenant_a.auth("reviewer"))):
            assert client.post(f"/api/v1/notes/{note_id}/{step}", headers=who).status_code == 200
        assert client.post(f"/api/v1/notes/{note_id}/sign", headers=clinician).status_code == 200
        with session_scope(settings.resolved_database_url) as session:
            job_id = session.execute(select(Job.id).where(Job.kind == "deliver")).scalar_one()
            delivery_id = session.execute(select(Delivery.id)).scalar_one()
        setup_jobs(settings).run("deliver", job_id)
        ehr_host = ehr.base_url.split("//")[1].split("/")[0]

    delivered, refined = events(client, tenant_a)  # newest first
    assert (refined["processor"], refined["purpose"]) == ("llm", "note_refinement")
    assert refined["actor_id"] == tenant_a.users["clinician"] and refined["outcome"] == "sent"
    assert refined["object_type"] == "transcript" and refined["bytes"] > len(dialogue)
    assert (delivered["processor"], delivered["destination"]) == ("ehr_fhir", ehr_host)
    assert delivered["object_ids"] == [note_id, delivery_id] and delivered["outcome"] == "sent"
    assert delivered["bytes"] > 1000 and delivered["actor_id"] == job_id
    assert [e["id"] for e in events(client, tenant_a, processor="llm")] == [refined["id"]]
    assert events(client, tenant_a, since="2999-01-01T00:00:00Z") == []

    csv_export = client.get(EGRESS, params={"format": "csv"}, headers=admin)
    assert csv_export.headers["content-type"].startswith("text/csv")
    lines = csv_export.text.strip().splitlines()
    assert lines[0].startswith("id,occurred_at,") and len(lines) == 3
    # No content: none of the canary markers anywhere in the audit rows or the exports.
    with session_scope(settings.resolved_database_url) as session:
        rows = session.execute(select(AuditEvent).where(AuditEvent.tenant_id == tenant_a.id))
        logged = json.dumps([[str(v) for v in vars(r).values()] for r in rows.scalars()])
        assert audit.verify(session).ok  # egress details are in the hash chain
    json_export = client.get(EGRESS, headers=admin).text
    for marker in marks.values():
        assert marker not in logged and marker not in json_export and marker not in csv_export.text


def test_edited_egress_details_break_the_audit_chain(
    settings: Settings, tenant_a: TenantWorld
) -> None:
    from clinscribe.audit import egress

    with session_scope(settings.resolved_database_url) as session:
        event = egress.record(
            session,
            tenant_id=tenant_a.id,
            processor="ehr_fhir",
            destination_url="https://user:secret@ehr.example.org:8443/fhir?token=abc",
            purpose="note_delivery",
            object_type="note",
            object_ids=["n1"],
            byte_count=10,
            outcome="sent",
            actor_type="system",
        )
        assert json.loads(event.details or "")["destination"] == "ehr.example.org:8443"
        event_id = event.id
    with session_scope(settings.resolved_database_url) as session:
        assert audit.verify(session).ok
        session.execute(
            update(AuditEvent)
            .where(AuditEvent.id == event_id)
            .values(details=(event.details or "").replace('"bytes":10', '"bytes":1'))
        )
    with session_scope(settings.resolved_database_url) as session:
        result = audit.verify(session)
        assert not result.ok and result.first_bad_id == event_id


def test_bad_egress_queries_are_422(client: TestClient, tenant_a: TenantWorld) -> None:
    admin = tenant_a.auth("admin")
    for params in ({"processor": "email"}, {"since": "yesterday"}, {"format": "xml"}):
        answer = client.get(EGRESS, params=params, headers=admin)
        assert answer.status_code == 422 and answer.json()["error"] == "validation_error"


def test_a_failed_llm_call_is_still_logged_though_the_request_fails(
    client: TestClient, tenant_a: TenantWorld, remote: str
) -> None:
    _Remote.chat_status = 500
    clinician = tenant_a.auth("clinician")
    client.patch(
        "/api/v1/tenant",
        json={"llm_base_url": remote, "llm_model": "m", "phi_egress_policy": "allow"},
        headers=tenant_a.auth("admin"),
    )
    url = f"/api/v1/encounters/{tenant_a.encounter_id}"
    client.post(
        f"{url}/text", json={"text": "[doctor] Any cough?\n[patient] Yes."}, headers=clinician
    )
    failed = client.post(
        f"{url}/notes", json={"template": "soap", "refine": True}, headers=clinician
    )
    assert (failed.status_code, failed.json()["error"]) == (502, "llm_failed")
    [event] = events(client, tenant_a)
    assert (event["processor"], event["outcome"]) == ("llm", "failed") and event["bytes"] > 0
