"""Live streams decode with whatever engine the factory offers for live use, or refuse."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from clinscribe.asr.core.lexicon import MEDICAL_PROMPT
from clinscribe.config import Settings
from clinscribe.db.models import Transcript
from clinscribe.db.session import session_scope
from tests.fakes import FakeAsrEngine, FakeStreamingEngine, use_fake_asr
from tests.support import TenantWorld
from tests.unit.streaming.conftest import Speech, stream_app

URL = "/api/v1/stream"


def config(world: TenantWorld) -> dict[str, Any]:
    return {
        "type": "config",
        "sample_rate": 16000,
        "encoding": "pcm_s16le",
        "mode": "dictation",
        "encounter_id": world.encounter_id,
    }


@pytest.fixture
def offline_only(settings: Settings) -> Iterator[TestClient]:
    use_fake_asr(settings, FakeAsrEngine(), name="fake-offline-only")
    configured = settings.model_copy(update={"asr_local_engine": "fake-offline-only"})
    with TestClient(stream_app(configured), raise_server_exceptions=False) as client:
        yield client


def test_an_engine_that_cannot_stream_is_refused_with_4500(
    offline_only: TestClient, tenant_a: TenantWorld
) -> None:
    with offline_only.websocket_connect(URL, headers=tenant_a.auth("clinician")) as ws:
        ws.send_json(config(tenant_a))
        error = ws.receive_json()
        assert (error["type"], error["code"]) == ("error", "engine_unavailable")
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
    assert closed.value.code == 4500


def test_a_streaming_engine_from_the_factory_decodes_the_session(
    settings: Settings, tenant_a: TenantWorld, speech: Speech
) -> None:
    fake = FakeStreamingEngine("Metformin twice daily.")
    built = use_fake_asr(settings, fake, name="fake-live")
    configured = settings.model_copy(
        update={"asr_local_engine": "fake-live", "stream_cpu_threads": 2}
    )
    pcm = (np.clip(speech.samples, -1.0, 1.0) * 32767).astype("<i2").tobytes()
    pcm += b"\x00\x00" * 16000  # a closing pause
    messages: list[dict[str, Any]] = []
    with (
        TestClient(stream_app(configured), raise_server_exceptions=False) as client,
        client.websocket_connect(URL, headers=tenant_a.auth("clinician")) as ws,
    ):
        ws.send_json(config(tenant_a))
        assert ws.receive_json()["type"] == "session"
        for offset in range(0, len(pcm), 3200):
            ws.send_bytes(pcm[offset : offset + 3200])
        ws.send_json({"type": "stop"})
        while not messages or messages[-1]["type"] not in ("done", "error"):
            messages.append(ws.receive_json())
    finals = [m["segment"] for m in messages if m["type"] == "final"]
    assert messages[-1]["type"] == "done", messages[-1]
    assert finals and {f["text"] for f in finals} == {"Metformin twice daily."}
    assert [s.cpu_threads for s in built.specs] == [2]  # the live instance
    assert fake.prompts == [MEDICAL_PROMPT]  # one partial decoder for the one session
    with session_scope(configured.resolved_database_url) as session:
        stored = session.get(Transcript, messages[-1]["transcript_id"])
        assert stored is not None
        assert (stored.engine, stored.model) == ("fake-asr", "fake-model")
        assert stored.text == " ".join(f["text"] for f in finals)
