"""A synthesised dictation streamed to a real server: partials, finals, storage and resume."""

from __future__ import annotations

import asyncio
import io
import itertools
import json
import re
from typing import Any

import av
import httpx
import jiwer
import numpy as np
import websockets

from clinscribe.asr.core.engine import FasterWhisperEngine
from tests.support import TenantWorld
from tests.unit.streaming.conftest import Received, Speech, collect, send_realtime


def normalised(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[^a-z0-9 ]", " ", text.lower())).strip()


async def open_stream(
    url: str, world: TenantWorld, speech: Speech, **extra: Any
) -> tuple[Any, dict[str, Any]]:
    ws = await websockets.connect(
        f"ws://{url}/api/v1/stream", additional_headers=world.auth("clinician")
    )
    config = {
        "type": "config",
        "sample_rate": speech.rate,
        "encoding": "pcm_s16le",
        "mode": "dictation",
        "encounter_id": world.encounter_id,
        **extra,
    }
    await ws.send(json.dumps(config))
    session = json.loads(await ws.recv())
    assert session["type"] == "session", session
    return ws, session


async def dictate(url: str, world: TenantWorld, speech: Speech) -> Received:
    ws, _ = await open_stream(url, world, speech)
    received = Received()
    reader = asyncio.create_task(collect(ws, received))
    await send_realtime(ws, speech.pcm, speech.rate)
    await ws.send(json.dumps({"type": "stop"}))
    await asyncio.wait_for(reader, 60)
    return received


def test_a_dictation_streamed_in_real_time_gives_partials_then_finals_matching_offline(
    live_url: str, tenant_a: TenantWorld, speech: Speech
) -> None:
    received = asyncio.run(dictate(live_url, tenant_a, speech))

    kinds = [m["type"] for m in received.messages]
    assert received.close_code == 1000, received.messages[-1:]
    assert kinds[-1] == "done"
    assert "partial" in kinds and kinds.index("partial") < kinds.index("final")
    finals = [m["segment"] for m in received.of("final")]
    assert [s["id"] for s in finals] == list(range(len(finals)))
    assert all(a["end"] <= b["start"] + 0.5 for a, b in itertools.pairwise(finals))
    streamed = " ".join(s["text"] for s in finals)
    offline = FasterWhisperEngine().transcribe(speech.samples).text
    assert jiwer.wer(normalised(offline), normalised(streamed)) <= 0.1, (offline, streamed)
    assert "metformin" in streamed.lower()

    done = received.of("done")[0]
    transcript = httpx.get(
        f"http://{live_url}/api/v1/transcripts/{done['transcript_id']}",
        headers=tenant_a.auth("clinician"),
    )
    assert transcript.status_code == 200, transcript.text
    body = transcript.json()
    stored = body.get("transcript", body)
    assert normalised(stored["text"]) == normalised(streamed)
    assert abs(stored["duration"] - len(speech.pcm) / 2 / speech.rate) < 0.2


async def drop_and_resume(url: str, world: TenantWorld, speech: Speech) -> tuple[str, Received]:
    half = len(speech.pcm) // 2 // 2 * 2
    first, session = await open_stream(url, world, speech)
    early = Received()
    reader = asyncio.create_task(collect(first, early))
    await send_realtime(first, speech.pcm[:half], speech.rate, speed=3.0)
    first.transport.abort()  # a dropped network, not a clean close
    await asyncio.wait_for(reader, 10)

    second, resumed = await open_stream(url, world, speech, resume=session["session_id"])
    assert resumed["resumed"] is True
    assert abs(resumed["received_seconds"] - half / 2 / speech.rate) < 0.1
    late = Received(messages=early.messages)
    reader = asyncio.create_task(collect(second, late))
    await send_realtime(second, speech.pcm[half:], speech.rate, speed=3.0)
    await second.send(json.dumps({"type": "stop"}))
    await asyncio.wait_for(reader, 60)
    return session["session_id"], late


def test_a_dropped_connection_resumes_with_its_session_id_and_keeps_all_audio(
    live_url: str, tenant_a: TenantWorld, speech: Speech
) -> None:
    _, received = asyncio.run(drop_and_resume(live_url, tenant_a, speech))

    assert received.messages[-1]["type"] == "done", received.messages[-3:]
    finals = [m["segment"] for m in received.of("final")]
    ids = [s["id"] for s in finals]
    assert ids == sorted(set(ids)), "a final was sent twice or out of order"
    stored = httpx.get(
        f"http://{live_url}/api/v1/transcripts/{received.messages[-1]['transcript_id']}",
        headers=tenant_a.auth("clinician"),
    ).json()
    stored = stored.get("transcript", stored)
    assert abs(stored["duration"] - len(speech.pcm) / 2 / speech.rate) < 0.2
    text = normalised(stored["text"])
    # Words from before the drop and from the very end both made it into the transcript.
    assert "metformin" in text and "three months" in text.replace("3", "three")


def test_a_session_cannot_be_resumed_by_another_tenant(
    live_url: str, tenant_a: TenantWorld, tenant_b: TenantWorld, speech: Speech
) -> None:
    async def attempt() -> int | None:
        ws, session = await open_stream(live_url, tenant_a, speech)
        ws.transport.abort()
        await asyncio.sleep(0.3)
        other = await websockets.connect(
            f"ws://{live_url}/api/v1/stream?session_id={session['session_id']}",
            additional_headers=tenant_b.auth("clinician"),
        )
        await other.send(json.dumps({"type": "config", "encounter_id": tenant_b.encounter_id}))
        received = Received()
        await asyncio.wait_for(collect(other, received), 10)
        return received.close_code

    assert asyncio.run(attempt()) == 4404


def webm_opus(speech: Speech) -> bytes:
    """The dictation as a browser's MediaRecorder sends it: live webm, Opus at 48 kHz."""
    buffer = io.BytesIO()
    resampler = av.AudioResampler(format="flt", layout="mono", rate=48000)
    with av.open(buffer, "w", format="webm", options={"live": "1"}) as container:
        stream = container.add_stream("libopus", rate=48000, layout="mono")
        source = av.AudioFrame.from_ndarray(
            speech.samples[None, :].astype(np.float32), format="flt", layout="mono"
        )
        source.sample_rate = 16000
        resampled = np.concatenate(
            [
                f.to_ndarray().reshape(-1)
                for f in [*resampler.resample(source), *resampler.resample(None)]
            ]
        )
        for i in range(0, len(resampled), 960):  # 20 ms Opus frames
            frame = av.AudioFrame.from_ndarray(
                resampled[None, i : i + 960], format="flt", layout="mono"
            )
            frame.sample_rate = 48000
            frame.pts = i
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return buffer.getvalue()


def test_a_webm_opus_dictation_sent_in_mediarecorder_slices_gives_a_final_transcript(
    live_url: str, tenant_a: TenantWorld, speech: Speech
) -> None:
    data = webm_opus(speech)
    seconds = len(speech.samples) / 16000

    async def run() -> Received:
        ws, _ = await open_stream(live_url, tenant_a, speech, encoding="webm_opus")
        received = Received()
        reader = asyncio.create_task(collect(ws, received))
        # MediaRecorder with a 250 ms timeslice: one blob of roughly equal size per slice.
        slices = max(1, int(seconds / 0.25))
        size = len(data) // slices + 1
        for offset in range(0, len(data), size):
            await ws.send(data[offset : offset + size])
            await asyncio.sleep(0.25 / 3)  # three times real time
        await ws.send(json.dumps({"type": "stop"}))
        await asyncio.wait_for(reader, 90)
        return received

    received = asyncio.run(run())
    assert received.close_code == 1000, received.messages[-1:]
    finals = " ".join(m["segment"]["text"] for m in received.of("final"))
    offline = FasterWhisperEngine().transcribe(speech.samples).text
    assert jiwer.wer(normalised(offline), normalised(finals)) <= 0.15, (offline, finals)
    assert "metformin" in finals.lower()
    done = received.of("done")[0]
    stored = httpx.get(
        f"http://{live_url}/api/v1/transcripts/{done['transcript_id']}",
        headers=tenant_a.auth("clinician"),
    ).json()
    stored = stored.get("transcript", stored)
    assert abs(stored["duration"] - seconds) < 0.2
