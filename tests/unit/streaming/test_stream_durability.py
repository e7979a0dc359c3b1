"""A live session survives a server restart: records and audio on disk, resumed by a new app."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import timedelta

import httpx
from sqlalchemy import select, update

from clinscribe.config import Settings
from clinscribe.db.base import utcnow
from clinscribe.db.models import StreamSession
from clinscribe.db.session import get_sessionmaker
from clinscribe.security import crypto
from clinscribe.streaming.core.spool import Spool
from tests.support import TenantWorld
from tests.unit.streaming.conftest import Received, Speech, collect, send_realtime, serve
from tests.unit.streaming.test_stream_transcription import normalised, open_stream


def test_a_session_resumes_on_a_restarted_server_without_losing_audio_or_finals(
    settings: Settings, tenant_a: TenantWorld, speech: Speech
) -> None:
    makers = get_sessionmaker(settings.resolved_database_url)
    # Two thirds of the dictation, then a pause that closes the utterance so that some finals
    # exist before the crash; the rest after the restart.
    pause = b"\x00\x00" * speech.rate
    first = speech.pcm[: len(speech.pcm) * 2 // 3 // 2 * 2] + pause
    rest = speech.pcm[len(first) - len(pause) :]
    cut = len(first)
    total = len(first) + len(rest)

    async def before_crash(url: str) -> tuple[str, Received]:
        ws, session = await open_stream(url, tenant_a, speech)
        early = Received()
        reader = asyncio.create_task(collect(ws, early))
        await send_realtime(ws, first, speech.rate, speed=2.0)
        for _ in range(200):  # the first sentences become finals
            if early.of("final"):
                break
            await asyncio.sleep(0.1)
        ws.transport.abort()
        await asyncio.wait_for(reader, 10)
        return str(session["session_id"]), early

    with serve(settings) as url:
        session_id, early = asyncio.run(before_crash(url))
    directory = settings.data_dir / "streams" / session_id
    # Everything received before the drop is on disk, encrypted (16 kHz, 16-bit once opened).
    assert not (directory / "audio.sealed").read_bytes().startswith(b"RIFF")
    on_disk = Spool(directory, crypto.key_ring(settings), create=False)
    assert abs(on_disk.samples / 16_000 - cut / 2 / speech.rate) < 0.1
    on_disk.close()
    # As if the process had died with the client connected: its record still says "live",
    # with a recent heartbeat. The new process must wait for that heartbeat to go stale.
    with makers() as db:
        db.execute(
            update(StreamSession)
            .where(StreamSession.id == session_id)
            .values(status="live", updated_at=utcnow() - timedelta(seconds=1))
        )
        db.commit()

    async def after_restart(url: str) -> Received:
        ws, resumed = await open_stream(url, tenant_a, speech, resume=session_id)
        assert resumed["resumed"] is True
        assert abs(resumed["received_seconds"] - cut / 2 / speech.rate) < 0.1
        late = Received()
        reader = asyncio.create_task(collect(ws, late))
        await send_realtime(ws, rest, speech.rate, speed=2.0)
        await ws.send(json.dumps({"type": "stop"}))
        await asyncio.wait_for(reader, 90)
        return late

    with serve(settings) as url:  # a new app instance on the same data dir and database
        late = asyncio.run(after_restart(url))
        assert late.messages[-1]["type"] == "done", late.messages[-3:]
        stored = httpx.get(
            f"http://{url}/api/v1/transcripts/{late.messages[-1]['transcript_id']}",
            headers=tenant_a.auth("clinician"),
        ).json()
    stored = stored.get("transcript", stored)
    assert abs(stored["duration"] - total / 2 / speech.rate) < 0.2
    text = normalised(stored["text"])
    assert "metformin" in text and "three months" in text.replace("3", "three")
    sent_early = {m["segment"]["id"]: m["segment"]["text"] for m in early.of("final")}
    late_ids = [m["segment"]["id"] for m in late.of("final")]
    assert sent_early and late_ids == sorted(set(late_ids)), "a final repeated or out of order"
    # The new node re-sends every final the old one logged (finals are logged before they are
    # sent), under the same id and with the same text, ahead of the new ones.
    assert late_ids[: len(sent_early)] == sorted(sent_early)
    for message in late.of("final"):
        segment = message["segment"]
        assert sent_early.get(segment["id"], segment["text"]) == segment["text"]
    assert [s["id"] for s in stored["segments"]] == list(range(len(stored["segments"])))
    assert late_ids == list(range(len(stored["segments"])))
    with makers() as db:
        row = db.execute(select(StreamSession).where(StreamSession.id == session_id)).scalar_one()
        assert row.status == "stored" and row.transcript_id == late.messages[-1]["transcript_id"]
        assert abs(row.samples_received / 16000 - total / 2 / speech.rate) < 0.1
        assert row.bytes_received == total
    assert not directory.exists(), "the spool outlived the stored recording"


def test_a_session_nobody_comes_back_for_is_stored_by_the_timed_sweep(
    settings: Settings, tenant_a: TenantWorld, speech: Speech
) -> None:
    makers = get_sessionmaker(settings.resolved_database_url)

    async def dropped(url: str) -> str:
        ws, session = await open_stream(url, tenant_a, speech)
        await send_realtime(ws, speech.pcm, speech.rate, speed=4.0)
        ws.transport.abort()
        return str(session["session_id"])

    with serve(settings) as url:
        session_id = asyncio.run(dropped(url))
    # As if its node had died long ago and the resume window had passed.
    with makers() as db:
        db.execute(
            update(StreamSession)
            .where(StreamSession.id == session_id)
            .values(
                status="live",
                updated_at=utcnow() - timedelta(hours=1),
                resume_until=utcnow() - timedelta(seconds=1),
            )
        )
        db.commit()
    directory = settings.data_dir / "streams" / session_id
    assert directory.is_dir()
    with serve(settings, stream_sweep_seconds=0.5) as later:  # no client connects to it
        deadline = time.monotonic() + 120
        while True:
            with makers() as db:
                row = db.get(StreamSession, session_id)
                assert row is not None
                if row.status == "stored":
                    break
            assert time.monotonic() < deadline, f"the sweep never stored it ({row.status})"
            time.sleep(0.5)
        assert row.transcript_id is not None
        stored = httpx.get(
            f"http://{later}/api/v1/transcripts/{row.transcript_id}",
            headers=tenant_a.auth("clinician"),
        )
    assert "metformin" in normalised(stored.json()["text"])
    assert not directory.exists()
