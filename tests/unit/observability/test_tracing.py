"""Tracing: one trace from the request through the jobs it starts, exported over OTLP to a
local receiver, with trace ids in the logs and no PHI in any exported span."""

from __future__ import annotations

import gzip
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from fastapi.testclient import TestClient
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from clinscribe.api.app import create_app
from clinscribe.config import Settings
from clinscribe.observability import tracing
from clinscribe.observability.otel_export import scrub_attributes
from tests import canary
from tests.fakes import FakeContextEngine, FakePhiEngine, use_fake_nlp
from tests.fhir_server import FhirTestServer
from tests.support import TenantWorld, add_note, configure_ehr
from tests.unit.fhir.test_delivery import encounter_seeder, seed_patient


class Receiver:
    """A minimal OTLP/HTTP traces endpoint keeping every request body it gets."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []
        received = self.bodies

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                if self.path == "/v1/traces":
                    received.append(body)
                reply = ExportTraceServiceResponse().SerializeToString()
                self.send_response(200 if self.path == "/v1/traces" else 404)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *_: object) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/v1/traces"

    def spans(self) -> list[dict[str, object]]:
        found: list[dict[str, object]] = []
        for body in list(self.bodies):
            request = ExportTraceServiceRequest.FromString(body)
            for resource in request.resource_spans:
                service = next(
                    a.value.string_value
                    for a in resource.resource.attributes
                    if a.key == "service.name"
                )
                for scope in resource.scope_spans:
                    for span in scope.spans:
                        attributes = {a.key: _value(a.value) for a in span.attributes}
                        found.append(
                            {
                                "name": span.name,
                                "trace": span.trace_id.hex(),
                                "span": span.span_id.hex(),
                                "parent": span.parent_span_id.hex(),
                                "service": service,
                                "attributes": attributes,
                            }
                        )
        return found


def _value(value: object) -> object:
    kind = value.WhichOneof("value")  # type: ignore[attr-defined]
    return getattr(value, kind) if kind else None


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.server.shutdown()


@pytest.fixture
def traced(
    settings: Settings, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Settings]:
    # The SDK reads its own variables; the settings decide that tracing is on.
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", receiver.url)
    monkeypatch.setenv("OTEL_BSP_SCHEDULE_DELAY", "200")
    # The NLP models are not what is under test here; the pipeline around them is.
    use_fake_nlp(FakeContextEngine(), FakePhiEngine([]), name="tracing-fake")
    # The stale-job window stays the default: a job the sweep re-sends starts a new trace (job
    # rows carry no trace context), and a busy machine must not make that happen here.
    yield settings.model_copy(
        update={
            "otel_exporter_otlp_traces_endpoint": receiver.url,
            "nlp_context_engine": "tracing-fake",
            "nlp_phi_engine": "tracing-fake",
        }
    )
    tracing.shutdown()


def _visit(client: TestClient, world: TenantWorld, marks: dict[str, str]) -> None:
    """Patient data in through every kind of request: JSON bodies, a query, text, a file."""
    admin, clin = world.auth("admin"), world.auth("clinician")
    patient = client.post(
        "/api/v1/patients",
        json={"mrn": marks["mrn"], "given_name": marks["given"], "family_name": marks["family"]},
        headers=admin,
    )
    assert patient.status_code == 201, patient.text
    encounter = client.post(
        "/api/v1/encounters",
        json={"patient_id": patient.json()["id"], "reason": marks["reason"]},
        headers=clin,
    )
    url = f"/api/v1/encounters/{encounter.json()['id']}"
    dialogue = f"[doctor] Hello {marks['given']}.\n[patient] I have a {marks['spoken']} cough."
    assert client.post(f"{url}/text", json={"text": dialogue}, headers=clin).status_code == 201
    upload = client.post(
        f"{url}/recordings",
        files={"file": (f"{marks['file']}.wav", canary._wav_with_tag(marks["tag"]), "audio/wav")},
        headers=clin,
    )
    assert upload.status_code == 202, upload.text
    found = client.get("/api/v1/patients", params={"mrn": marks["mrn"]}, headers=admin)
    assert found.json()["items"][0]["given_name"] == marks["given"]


def _wait_for(
    receiver: Receiver, names: dict[str, int], within: dict[str, set[str]] | None = None
) -> list[dict[str, object]]:
    """The spans once `names` have arrived (at least so many of each) and, for each request
    span named in `within`, its trace holds those job spans (a re-sent job, which starts a
    trace of its own, must not stand in for the one the request caused)."""
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        provider = tracing.provider()
        assert provider is not None
        provider.force_flush()
        spans = receiver.spans()
        in_trace = {(s["trace"], s["name"]) for s in spans}
        if all(sum(s["name"] == n for s in spans) >= k for n, k in names.items()) and all(
            any(
                all((s["trace"], job) in in_trace for job in jobs)
                for s in spans
                if s["name"] == request
            )
            for request, jobs in (within or {}).items()
        ):
            return spans
        time.sleep(0.3)
    raise AssertionError(f"spans never arrived: {sorted({str(s['name']) for s in spans})}")


def test_an_upload_is_one_trace_through_its_jobs_and_no_span_carries_phi(
    traced: Settings,
    tenant_a: TenantWorld,
    receiver: Receiver,
    capsys: pytest.CaptureFixture[str],
) -> None:
    marks = canary.markers()
    with TestClient(create_app(traced, start_worker=True)) as client:
        _visit(client, tenant_a, marks)
        # The text visit starts one extraction; the upload a transcription and then another.
        spans = _wait_for(
            receiver,
            {"job clinscribe.transcribe": 1, "job clinscribe.extract": 2},
            within={
                "POST /api/v1/encounters/{encounter_id}/recordings": {
                    "job clinscribe.transcribe",
                    "job clinscribe.extract",
                },
                "POST /api/v1/encounters/{encounter_id}/text": {"job clinscribe.extract"},
            },
        )
    by_name: dict[str, list[dict[str, object]]] = {}
    for span in spans:
        by_name.setdefault(str(span["name"]), []).append(span)

    upload = by_name["POST /api/v1/encounters/{encounter_id}/recordings"][0]
    assert upload["service"] == "clinscribe-api"
    trace_of_upload = [s for s in spans if s["trace"] == upload["trace"]]
    names = {str(s["name"]) for s in trace_of_upload}
    assert {"job clinscribe.transcribe", "job clinscribe.extract"} <= names
    job = next(s for s in trace_of_upload if s["name"] == "job clinscribe.transcribe")
    assert isinstance(job["attributes"], dict)
    assert job["attributes"]["messaging.system"] == "dramatiq"
    # The database work of the request and of the jobs belongs to the same trace.
    assert any("db.system" in s["attributes"] for s in trace_of_upload)  # type: ignore[operator]

    text = by_name["POST /api/v1/encounters/{encounter_id}/text"][0]
    assert any(s["trace"] == text["trace"] and s["name"] == "job clinscribe.extract" for s in spans)

    # Log lines written inside the job carry its trace and span ids.
    logged = [json.loads(line) for line in capsys.readouterr().err.splitlines() if "{" in line]
    started = [e for e in logged if e.get("event") == "job_started" and e["kind"] == "transcribe"]
    assert started and started[0]["trace_id"] == upload["trace"]
    assert started[0]["span_id"] == job["span"]

    # Every byte that left the process: no marker of patient data in any span.
    assert receiver.bodies
    canary.assert_absent(marks, {"exported spans": b"".join(receiver.bodies)})
    listed = by_name.get("GET /api/v1/patients", [])
    assert listed and "url.query" not in listed[0]["attributes"]  # type: ignore[operator]


def test_signing_a_note_is_one_trace_through_its_delivery_to_the_ehr(
    traced: Settings, tenant_a: TenantWorld, receiver: Receiver
) -> None:
    with FhirTestServer() as server, TestClient(create_app(traced, start_worker=True)) as client:
        configure_ehr(traced, tenant_a, server.base_url)
        note_id, _ = add_note(traced, tenant_a, tenant_a.encounter_id, "approved")
        seed_patient(server, traced, tenant_a)
        encounter_seeder(server)(tenant_a.encounter_id)
        signed = client.post(f"/api/v1/notes/{note_id}/sign", headers=tenant_a.auth("clinician"))
        assert signed.status_code == 200
        spans = _wait_for(receiver, {"job clinscribe.deliver": 1})
    sign = next(s for s in spans if s["name"] == "POST /api/v1/notes/{note_id}/sign")
    in_trace = [s for s in spans if s["trace"] == sign["trace"]]
    deliver = next(s for s in in_trace if s["name"] == "job clinscribe.deliver")
    # The EHR call (httpx) is a child of the delivery job, its URL without any query string.
    calls = [s for s in in_trace if s["parent"] == deliver["span"] and s["name"] == "POST"]
    assert calls, sorted(str(s["name"]) for s in in_trace)
    attributes = calls[0]["attributes"]
    assert isinstance(attributes, dict)
    url = str(attributes.get("url.full") or attributes.get("http.url"))
    assert url.startswith(server.base_url) and "?" not in url


def test_exported_attributes_lose_query_strings_client_addresses_and_raw_paths() -> None:
    clean = scrub_attributes(
        {
            "http.route": "/api/v1/patients/{patient_id}",
            "http.target": "/api/v1/patients/p1?name=Smith",
            "url.path": "/api/v1/patients/p1",
            "url.query": "name=Smith",
            "url.full": "https://user:pw@ehr.example/fhir/Patient?name=Smith",
            "client.address": "10.0.0.7",
            "http.request.header.x_patient": "Smith",
            "db.statement": "SELECT * FROM patients WHERE id = ?",
        }
    )
    assert clean == {
        "http.route": "/api/v1/patients/{patient_id}",
        "http.target": "/api/v1/patients/{patient_id}",
        "url.path": "/api/v1/patients/{patient_id}",
        "url.full": "https://ehr.example/fhir/Patient",
        "db.statement": "SELECT * FROM patients WHERE id = ?",
    }


def test_tracing_is_off_unless_an_endpoint_or_exporter_is_named(settings: Settings) -> None:
    assert not tracing.tracing_enabled(settings)
    on = settings.model_copy(update={"otel_exporter_otlp_endpoint": "http://collector:4318"})
    assert tracing.tracing_enabled(on)
    assert tracing.exporter_names(on) == ["otlp"]
    none = on.model_copy(update={"otel_traces_exporter": "none"})
    assert not tracing.tracing_enabled(none)
    disabled = on.model_copy(update={"otel_sdk_disabled": True})
    assert not tracing.tracing_enabled(disabled)
