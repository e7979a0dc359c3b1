"""Request ids, metrics by route template, health and readiness, and logs free of PHI."""

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from clinscribe import __version__
from clinscribe.api.app import create_app
from clinscribe.config import Settings
from tests.fakes import FakeAsrEngine, use_fake_asr
from tests.support import TenantWorld

OK = {"database": "ok", "broker": "ok", "blob_store": "ok", "speech_model": "ok"}


def test_healthz_reports_liveness_and_version(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok", "version": __version__}


def test_readyz_is_ready_on_the_embedded_profile(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"] == {
        "database": "ok",
        "broker": "ok",
        "blob_store": "ok",
        "speech_model": "ok",
    }


def test_readyz_names_a_failing_database_and_broker(settings: Settings) -> None:
    broken = settings.model_copy(
        update={
            "database_url": "postgresql://nobody@127.0.0.1:1/none",
            "broker": "rabbitmq",
            "broker_url": "amqp://guest:guest@127.0.0.1:1/",
        }
    )
    with TestClient(create_app(broken, start_worker=False)) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    assert set(response.json()["failing"]) == {"database", "broker"}


def test_readyz_asks_the_configured_speech_engine_without_loading_it(
    settings: Settings, tmp_path: Path
) -> None:
    def ready(configured: Settings) -> tuple[int, dict[str, str]]:
        with TestClient(create_app(configured, start_worker=False)) as client:
            response = client.get("/readyz")
        return response.status_code, response.json()["checks"]

    unknown = settings.model_copy(update={"asr_local_engine": "no-such-engine"})
    assert ready(unknown) == (503, {**OK, "speech_model": "failed: ModelUnavailableError"})
    missing = settings.model_copy(update={"asr_model": str(tmp_path / "no-model")})
    assert ready(missing)[0] == 503 and ready(missing)[1]["speech_model"].startswith("failed")

    engine = FakeAsrEngine()
    use_fake_asr(settings, engine, name="ready-fake")
    fake = missing.model_copy(update={"asr_local_engine": "ready-fake"})
    assert ready(fake) == (200, OK)  # the fake needs no model directory
    assert engine.loaded == 0  # readiness built nothing


def test_request_ids_are_accepted_returned_or_generated(client: TestClient) -> None:
    assert (
        client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["x-request-id"]
        == "abc-123"
    )
    generated = client.get("/healthz").headers["x-request-id"]
    assert len(generated) == 32
    hostile = client.get("/healthz", headers={"X-Request-ID": "x" * 500}).headers["x-request-id"]
    assert hostile != "x" * 500


def test_metrics_count_requests_by_route_template(
    client: TestClient, tenant_a: TenantWorld
) -> None:
    client.get(f"/api/v1/patients/{tenant_a.patient_id}", headers=tenant_a.auth("clinician"))
    text = client.get("/metrics").text
    assert 'route="/api/v1/patients/{patient_id}"' in text
    assert "clinscribe_http_request_duration_seconds_bucket" in text
    assert tenant_a.patient_id not in text


def test_logs_never_contain_patient_identity(
    client: TestClient, tenant_a: TenantWorld, capfd: pytest.CaptureFixture[str]
) -> None:
    client.post(
        "/api/v1/patients",
        json={"mrn": "LOGCANARY77", "given_name": "Wilhelminaqz", "family_name": "Canarylog"},
        headers=tenant_a.auth("clinician"),
    )
    client.post(
        "/api/v1/patients",
        json={"mrn": "bad mrn", "given_name": "Wilhelminaqz", "family_name": "X"},
        headers=tenant_a.auth("clinician"),
    )
    out, err = capfd.readouterr()
    logs = out + err
    assert '"route": "/api/v1/patients"' in logs
    for marker in ("LOGCANARY77", "Wilhelminaqz", "Canarylog"):
        assert marker not in logs


def test_a_database_outage_is_503_with_retry_after_not_500(settings: Settings) -> None:
    down = settings.model_copy(update={"database_url": "postgresql://nobody@127.0.0.1:1/none"})
    with TestClient(create_app(down, start_worker=False), raise_server_exceptions=False) as client:
        response = client.get("/api/v1/patients", headers={"Authorization": "Bearer x.y.z"})
    assert response.status_code == 503
    assert response.json()["error"] == "database_unavailable" and response.headers["retry-after"]
