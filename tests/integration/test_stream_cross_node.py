"""A live session opened on node A is resumed on node B: two servers that share only PostgreSQL
and the S3 blob store (no data dir in common), and the stored transcript is complete."""

from __future__ import annotations

import asyncio
import base64
import json
import os
from pathlib import Path

import httpx
import pytest

from clinscribe.config import Settings
from tests import s3server
from tests.conftest import make_settings
from tests.support import TenantWorld, build_tenant
from tests.unit.streaming.conftest import Received, Speech, collect, send_realtime, serve
from tests.unit.streaming.conftest import speech as speech
from tests.unit.streaming.test_stream_transcription import normalised, open_stream

pytestmark = pytest.mark.slow  # two servers and a live decode: about 40 s here

KEYS = [f"k1:{base64.b64encode(os.urandom(32)).decode()}"]


def node(data_dir: Path, database_url: str, bucket: str) -> Settings:
    data_dir.mkdir(parents=True, exist_ok=True)
    return make_settings(
        data_dir,
        database_url=database_url,
        encryption_keys=KEYS,  # one key ring for the cluster: B must open what A sealed
        blob_url=f"s3://{bucket}/clinscribe",
        s3_endpoint_url=s3server.ENDPOINT,
        s3_access_key=s3server.ACCESS_KEY,
        s3_secret_key=s3server.SECRET_KEY,
    )


def test_a_stream_dropped_on_node_a_resumes_on_node_b(
    pg_migrated: str, tmp_path: Path, speech: Speech
) -> None:
    bucket = s3server.new_bucket()
    node_a = node(tmp_path / "a", pg_migrated, bucket)
    node_b = node(tmp_path / "b", pg_migrated, bucket)
    world: TenantWorld = build_tenant(node_a)
    # A pause closes the first utterance, so node A has sent finals before the drop.
    pause = b"\x00\x00" * speech.rate
    first = speech.pcm[: len(speech.pcm) * 2 // 3 // 2 * 2] + pause
    rest = speech.pcm[len(first) - len(pause) :]
    total = len(first) + len(rest)

    async def on_a(url: str) -> tuple[str, Received]:
        ws, session = await open_stream(url, world, speech)
        early = Received()
        reader = asyncio.create_task(collect(ws, early))
        await send_realtime(ws, first, speech.rate, speed=2.0)
        for _ in range(200):
            if early.of("final"):
                break
            await asyncio.sleep(0.1)
        ws.transport.abort()  # the client's network drops
        await asyncio.wait_for(reader, 10)
        return str(session["session_id"]), early

    async def on_b(url: str, session_id: str) -> Received:
        for _ in range(100):  # node A detaches the session once it notices the drop
            try:
                ws, resumed = await open_stream(url, world, speech, resume=session_id)
                break
            except AssertionError:
                await asyncio.sleep(0.1)
        assert resumed["resumed"] is True
        assert abs(resumed["received_seconds"] - len(first) / 2 / speech.rate) < 0.1
        late = Received()
        reader = asyncio.create_task(collect(ws, late))
        await send_realtime(ws, rest, speech.rate, speed=2.0)
        await ws.send(json.dumps({"type": "stop"}))
        await asyncio.wait_for(reader, 90)
        return late

    with serve(node_a) as url_a, serve(node_b) as url_b:
        session_id, early = asyncio.run(on_a(url_a))
        late = asyncio.run(on_b(url_b, session_id))
        assert late.messages[-1]["type"] == "done", late.messages[-3:]
        stored = httpx.get(
            f"http://{url_a}/api/v1/transcripts/{late.messages[-1]['transcript_id']}",
            headers=world.auth("clinician"),
        ).json()
    stored = stored.get("transcript", stored)
    assert abs(stored["duration"] - total / 2 / speech.rate) < 0.2
    text = normalised(stored["text"])
    assert "metformin" in text and "three months" in text.replace("3", "three")
    sent_early = sorted(m["segment"]["id"] for m in early.of("final"))
    late_ids = [m["segment"]["id"] for m in late.of("final")]
    assert sent_early and late_ids[: len(sent_early)] == sent_early
    assert late_ids == list(range(len(stored["segments"])))
    # Nothing of the session was ever on either node's disk.
    assert not list((tmp_path / "a").rglob("*.sealed"))
    assert not list((tmp_path / "b").rglob("*.sealed"))
