"""The live model is loaded and warmed when the server starts; readiness waits for it."""

from __future__ import annotations

import threading
import time

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from clinscribe.api.app import create_app
from clinscribe.asr.core.engine import FasterWhisperConfig, FasterWhisperEngine
from clinscribe.asr.engines import AsrEngineProvider, LocalEngineSpec, register_local_engine
from clinscribe.config import Settings
from tests.support import TenantWorld
from tests.unit.streaming.conftest import stream_app

URL = "/api/v1/stream"


def ready_within(client: TestClient, seconds: float) -> dict[str, object]:
    deadline = time.monotonic() + seconds
    while True:
        response = client.get("/readyz")
        if response.status_code == 200 or time.monotonic() > deadline:
            return dict(response.json())
        time.sleep(0.1)


def test_readiness_waits_until_the_live_model_is_warm(
    settings: Settings, tenant_a: TenantWorld
) -> None:
    # The real engine through the factory's registration point, held back until released,
    # so "still warming" lasts as long as the test needs it to.
    release = threading.Event()
    built: list[FasterWhisperEngine] = []

    def build(spec: LocalEngineSpec) -> FasterWhisperEngine:
        release.wait(60)
        engine = FasterWhisperEngine(FasterWhisperConfig(cpu_threads=spec.cpu_threads or 1))
        engine.load()
        built.append(engine)
        return engine

    register_local_engine("held-whisper", build)
    configured = settings.model_copy(
        update={"asr_local_engine": "held-whisper", "stream_warmup": True}
    )
    with TestClient(stream_app(configured), raise_server_exceptions=False) as client:
        warming = client.get("/readyz")
        assert warming.status_code == 503
        assert warming.json()["failing"] == ["live_model"]
        assert warming.json()["checks"]["live_model"] == "failed: LiveModelWarming"
        # Bad input is answered at once with the protocol's error, warm model or not.
        with client.websocket_connect(URL, headers=tenant_a.auth("clinician")) as ws:
            ws.send_json({"type": "stop"})
            error = ws.receive_json()
            assert (error["type"], error["code"]) == ("error", "bad_message")
            with pytest.raises(WebSocketDisconnect) as closed:
                ws.receive_json()
            assert closed.value.code == 4400
        release.set()
        body = ready_within(client, 120)
        assert body["status"] == "ready", body
        assert body["checks"] == {
            "database": "ok",
            "broker": "ok",
            "blob_store": "ok",
            "speech_model": "ok",
            "live_model": "ok",
        }
        warmup = client.app.state.live_warmup  # type: ignore[attr-defined]
        assert warmup.seconds is not None and warmup.seconds > 0
    # Streams get the engine that was warmed: nothing is loaded again.
    assert len(built) == 1
    assert AsrEngineProvider(configured).live() is built[0]


def test_a_live_model_that_cannot_load_keeps_the_node_not_ready(settings: Settings) -> None:
    configured = settings.model_copy(
        update={"asr_model": str(settings.data_dir / "no-model"), "stream_warmup": True}
    )
    with TestClient(stream_app(configured), raise_server_exceptions=False) as client:
        client.app.state.live_warmup.wait(60)  # type: ignore[attr-defined]
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["live_model"] == "failed: ModelUnavailableError"


def test_apps_built_without_warm_up_load_nothing_and_are_ready_at_once(
    settings: Settings,
) -> None:
    assert Settings().stream_warmup  # a server warms by default; the tests' settings do not
    app = create_app(settings, start_worker=False)
    assert app.state.live_warmup is None and "live_model" not in app.state.model_checks
    with TestClient(app) as client:
        assert client.get("/readyz").status_code == 200
