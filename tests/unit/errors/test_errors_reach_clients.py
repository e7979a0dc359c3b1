"""An error raised deep in a stage reaches the client with its own code, in the one shape."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from clinscribe.asr import service as transcripts
from clinscribe.asr.core.schemas import Transcript as TranscriptModel
from clinscribe.cli import main
from clinscribe.config import Settings
from clinscribe.db.session import session_scope
from clinscribe.nlp.core import pipeline
from tests.support import TenantWorld, add_recording, wav_bytes


def refused(response: Any, status: int, code: str) -> str:
    """Assert the one error shape with this status and code; returns the detail."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "detail"} and body["error"] == code, body
    return str(body["detail"])


def test_an_audio_decode_error_on_upload_keeps_its_own_code(
    client: TestClient, tenant_a: TenantWorld
) -> None:
    wav = wav_bytes(1.0)
    cases = {
        "audio_empty": (b"", 400),
        "audio_corrupt": (wav[:30], 422),
        "audio_unsupported": (b"hello, this is not audio at all\n" * 20, 415),
    }
    for code, (data, status) in cases.items():
        response = client.post(
            f"/api/v1/encounters/{tenant_a.encounter_id}/recordings",
            headers=tenant_a.auth("clinician"),
            files={"file": ("visit-of-Quarrington.wav", data, "application/octet-stream")},
        )
        detail = refused(response, status, code)
        assert "Quarrington" not in detail  # the file name is never echoed


def test_an_nlp_input_error_on_extract_keeps_its_own_code(
    client: TestClient, tenant_a: TenantWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The request schema allows the pipeline's limit, so the pipeline's own check is what
    # refuses here: lower that limit (not the schema's) to reach it with a small body.
    monkeypatch.setattr(pipeline, "MAX_TEXT_CHARS", 20)
    text = "Zebediah Quarrington has a cough."
    for path in ("/api/v1/nlp/extract", "/api/v1/nlp/deid"):
        response = client.post(path, json={"text": text}, headers=tenant_a.auth("clinician"))
        detail = refused(response, 422, "nlp_invalid_input")
        assert "longer than 20 characters" in detail and "Quarrington" not in detail


def test_a_template_error_on_drafting_keeps_its_own_code(
    client: TestClient, tenant_a: TenantWorld
) -> None:
    headers = tenant_a.auth("clinician")
    unknown = client.post(
        f"/api/v1/encounters/{tenant_a.encounter_id}/notes",
        json={"template": "no-such-template"},
        headers=headers,
    )
    refused(unknown, 404, "unknown_template")
    for method, path in (("GET", "no-such-template"), ("DELETE", "no-such-template")):
        response = client.request(
            method, f"/api/v1/templates/{path}", headers=tenant_a.auth("admin")
        )
        refused(response, 404, "unknown_template")
    invalid = client.post(
        "/api/v1/templates",
        json={"key": "mine", "title": "Mine", "sections": [{"key": "a", "title": "A"}]},
        headers=tenant_a.auth("admin"),
    )
    assert "fact kind" in refused(invalid, 422, "invalid_template")


def test_an_empty_transcript_on_drafting_keeps_its_own_code(
    client: TestClient, settings: Settings, tenant_a: TenantWorld
) -> None:
    recording_id, _ = add_recording(settings, tenant_a, tenant_a.encounter_id)
    with session_scope(settings.resolved_database_url) as session:
        row = transcripts.store(
            session=session,
            tenant_id=tenant_a.id,
            encounter_id=tenant_a.encounter_id,
            recording_id=recording_id,
            transcript=TranscriptModel(text="", duration=0.5, engine="test", model="none"),
        )
        transcript_id = row.id
    response = client.post(
        f"/api/v1/encounters/{tenant_a.encounter_id}/notes",
        json={"template": "soap", "transcript_id": transcript_id},
        headers=tenant_a.auth("clinician"),
    )
    refused(response, 422, "empty_transcript")


class _Failing(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(500)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        return


@pytest.fixture
def failing_llm() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Failing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def test_a_failing_llm_and_an_unsafe_url_keep_their_own_codes(
    client: TestClient, tenant_a: TenantWorld, failing_llm: str
) -> None:
    admin, clinician = tenant_a.auth("admin"), tenant_a.auth("clinician")
    tenant = {"llm_base_url": failing_llm, "llm_model": "m", "phi_egress_policy": "allow"}
    assert client.patch("/api/v1/tenant", headers=admin, json=tenant).status_code == 200
    typed = client.post(
        f"/api/v1/encounters/{tenant_a.encounter_id}/text",
        json={"text": "[doctor] Any chest pain?\n[patient] No."},
        headers=clinician,
    )
    assert typed.status_code < 300, typed.text
    draft = client.post(
        f"/api/v1/encounters/{tenant_a.encounter_id}/notes",
        json={"template": "soap", "refine": True},
        headers=clinician,
    )
    assert "HTTP 500" in refused(draft, 502, "llm_failed")
    ehr = client.put(
        "/api/v1/tenant/ehr",
        headers=admin,
        json={"base_url": "http://169.254.169.254/fhir", "patient_system": "urn:oid:1.2"},
    )
    assert "metadata" in refused(ehr, 422, "unsafe_url")


def test_the_command_line_prints_any_error_of_the_tree_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(pipeline, "MAX_TEXT_CHARS", 20)
    source = tmp_path / "dictation.txt"
    source.write_text("Zebediah Quarrington has had a cough for three days.\n")
    assert main(["extract", str(source)]) == 1
    err = capsys.readouterr().err
    assert err == "clinscribe: error: text is longer than 20 characters\n"
