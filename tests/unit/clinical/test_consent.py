"""Recording needs the patient's ambient-recording consent when the site requires it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from clinscribe.api.app import create_app
from clinscribe.config import Settings
from clinscribe.security import crypto
from tests.support import TenantWorld, add_record_entry, wav_bytes
from tests.unit.streaming.conftest import stream_app


@pytest.fixture
def strict(settings: Settings) -> Settings:
    required = settings.model_copy(update={"require_recording_consent": True})
    crypto.install(required)
    return required


@pytest.fixture
def strict_client(strict: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(strict, start_worker=False), raise_server_exceptions=False) as c:
        yield c


def upload(client: TestClient, world: TenantWorld) -> int:
    r = client.post(
        f"/api/v1/encounters/{world.encounter_id}/recordings",
        files={"file": ("tone.wav", wav_bytes(0.3), "audio/wav")},
        headers=world.auth("clinician"),
    )
    if r.status_code == 403:
        assert r.json()["error"] == "consent_required"
    return r.status_code


def test_by_default_recording_needs_no_consent_entry(
    client: TestClient, tenant_a: TenantWorld
) -> None:
    assert upload(client, tenant_a) == 202


def test_an_upload_needs_an_accepted_consent_in_force(
    strict_client: TestClient, strict: Settings, tenant_a: TenantWorld
) -> None:
    pid = tenant_a.patient_id
    assert upload(strict_client, tenant_a) == 403
    # Proposed (nobody accepted it), for another purpose, expired or not yet begun: still no.
    add_record_entry(strict, tenant_a, pid, "consent", status="active")
    add_record_entry(
        strict, tenant_a, pid, "consent", state="active", category="research", status="active"
    )
    now = datetime.now(UTC)
    add_record_entry(
        strict,
        tenant_a,
        pid,
        "consent",
        state="active",
        status="active",
        period_end=now - timedelta(days=1),
    )
    add_record_entry(
        strict,
        tenant_a,
        pid,
        "consent",
        state="active",
        status="active",
        period_start=now + timedelta(days=1),
    )
    add_record_entry(strict, tenant_a, pid, "consent", state="active", status="inactive")
    assert upload(strict_client, tenant_a) == 403
    add_record_entry(
        strict,
        tenant_a,
        pid,
        "consent",
        state="active",
        status="active",
        period_start=now - timedelta(days=1),
        period_end=now + timedelta(days=300),
    )
    assert upload(strict_client, tenant_a) == 202


def test_a_consent_recorded_through_the_api_lets_recording_start(
    strict_client: TestClient, tenant_a: TenantWorld
) -> None:
    assert upload(strict_client, tenant_a) == 403
    r = strict_client.post(
        f"/api/v1/patients/{tenant_a.patient_id}/consents",
        json={"category": "ambient-recording", "note": "verbal consent at check-in"},
        headers=tenant_a.auth("clinician"),
    )
    assert (r.status_code, r.json()["state"], r.json()["status"]) == (201, "active", "active")
    assert upload(strict_client, tenant_a) == 202


def test_the_live_stream_refuses_to_start_without_consent(
    strict: Settings, tenant_a: TenantWorld
) -> None:
    with (
        TestClient(stream_app(strict), raise_server_exceptions=False) as client,
        client.websocket_connect("/api/v1/stream", headers=tenant_a.auth("clinician")) as ws,
    ):
        ws.send_json({"type": "config", "encounter_id": tenant_a.encounter_id})
        error = ws.receive_json()
        assert (error["type"], error["code"]) == ("error", "consent_required")
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
        assert closed.value.code == 4403
