"""The job runner: claim, retry with backoff, dead-letter, stuck detection, idempotency."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from clinscribe.config import Settings
from clinscribe.db.base import utcnow
from clinscribe.db.models import Job, Transcript
from clinscribe.db.session import session_scope
from clinscribe.jobs import runtime
from clinscribe.jobs.tasks import TASKS, PermanentJobError
from clinscribe.recordings import service as recordings
from clinscribe.security import crypto
from clinscribe.storage.blobs import LocalBlobStore
from clinscribe.tasks import setup_jobs
from tests.support import TenantWorld, add_recording, wav_bytes


@pytest.fixture
def rt(settings: Settings) -> runtime.Runtime:
    return setup_jobs(settings.model_copy(update={"job_max_attempts": 3, "job_stale_seconds": 60}))


def queued_job(settings: Settings, world: TenantWorld) -> str:
    return add_recording(settings, world, world.encounter_id)[1]


def job_row(settings: Settings, job_id: str) -> Job:
    with session_scope(settings.resolved_database_url) as session:
        job = session.get(Job, job_id)
        assert job is not None
        session.expunge(job)
        return job


def test_a_failing_job_is_retried_then_dead_lettered_with_its_error(
    rt: runtime.Runtime, settings: Settings, tenant_a: TenantWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*_: object) -> tuple[str, str]:
        raise RuntimeError("decoder crashed")

    monkeypatch.setattr(TASKS["transcribe"], "run", boom)
    job_id = queued_job(rt.settings, tenant_a)
    for attempt in (1, 2):
        with pytest.raises(runtime.RetryJob):
            rt.run("transcribe", job_id)
        row = job_row(settings, job_id)
        assert row.status == "queued" and row.attempts == attempt
        assert row.last_error == "RuntimeError: decoder crashed"
    rt.run("transcribe", job_id)  # the last attempt: no retry is asked for
    row = job_row(settings, job_id)
    assert row.status == "dead" and row.attempts == 3 and row.finished_at is not None


def test_bad_input_goes_straight_to_dead(
    rt: runtime.Runtime, settings: Settings, tenant_a: TenantWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    def bad(*_: object) -> tuple[str, str]:
        raise PermanentJobError("audio_corrupt: truncated")

    monkeypatch.setattr(TASKS["transcribe"], "run", bad)
    job_id = queued_job(settings, tenant_a)
    rt.run("transcribe", job_id)
    row = job_row(settings, job_id)
    assert row.status == "dead" and row.attempts == 1 and "truncated" in (row.last_error or "")


def test_a_job_held_by_a_live_worker_is_deferred_and_a_stale_one_taken_over(
    rt: runtime.Runtime, settings: Settings, tenant_a: TenantWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(TASKS["transcribe"], "run", lambda *_: ("transcript", "t-1"))
    job_id = queued_job(settings, tenant_a)
    url = settings.resolved_database_url
    with session_scope(url) as session:
        session.execute(
            update(Job).where(Job.id == job_id).values(status="running", heartbeat_at=utcnow())
        )
    with pytest.raises(runtime.JobBusy):
        rt.run("transcribe", job_id)
    with session_scope(url) as session:  # the worker died two minutes ago
        session.execute(
            update(Job).where(Job.id == job_id).values(heartbeat_at=utcnow() - timedelta(minutes=2))
        )
    rt.run("transcribe", job_id)
    row = job_row(settings, job_id)
    assert row.status == "succeeded" and row.result_id == "t-1"
    rt.run("transcribe", job_id)  # a late duplicate delivery is a no-op
    assert job_row(settings, job_id).status == "succeeded"


def test_the_sweep_resends_lost_and_stuck_jobs_only(
    rt: runtime.Runtime, settings: Settings, tenant_a: TenantWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[str] = []
    monkeypatch.setattr(rt, "send", lambda kind, job_id: sent.append(job_id))
    fresh, lost, stuck, alive = (queued_job(settings, tenant_a) for _ in range(4))
    old = utcnow() - timedelta(hours=1)
    with session_scope(settings.resolved_database_url) as session:
        session.execute(update(Job).where(Job.id == lost).values(updated_at=old))
        session.execute(
            update(Job).where(Job.id == stuck).values(status="running", heartbeat_at=old)
        )
        session.execute(
            update(Job).where(Job.id == alive).values(status="running", heartbeat_at=utcnow())
        )
    assert sorted(sent) == sorted([fresh, lost, stuck, alive])  # each sent once, after its commit
    sent.clear()
    assert rt.sweep() == 2
    assert sorted(sent) == sorted([lost, stuck])
    assert fresh not in sent and alive not in sent


def test_duplicate_deliveries_store_exactly_one_transcript(
    settings: Settings, tenant_a: TenantWorld
) -> None:
    from clinscribe.asr import service as transcripts
    from clinscribe.asr.core.schemas import Segment
    from clinscribe.asr.core.schemas import Transcript as TranscriptModel

    with session_scope(settings.resolved_database_url) as session:
        recording, _ = recordings.upload(
            session=session,
            settings=settings,
            blobs=LocalBlobStore(settings.blob_dir, crypto.key_ring(settings)),
            principal=tenant_a.principal("clinician"),
            encounter_id=tenant_a.encounter_id,
            data=io.BytesIO(wav_bytes(0.5)),
            filename="a.wav",
            content_type="audio/wav",
            mode="dictation",
        )
        recording_id = recording.id
    model = TranscriptModel(
        text="hello",
        duration=0.5,
        engine="faster-whisper",
        model="tiny.en",
        segments=[Segment(id=0, start=0, end=0.5, text="hello")],
    )
    ids = set()
    for _ in range(3):
        with session_scope(settings.resolved_database_url) as session:
            ids.add(
                transcripts.store(
                    session=session,
                    tenant_id=tenant_a.id,
                    encounter_id=tenant_a.encounter_id,
                    recording_id=recording_id,
                    transcript=model,
                ).id
            )
    with session_scope(settings.resolved_database_url) as session:
        total = session.execute(select(func.count()).select_from(Transcript)).scalar_one()
    assert len(ids) == 1 and total == 1


def test_jobs_are_sent_only_after_the_transaction_commits(
    rt: runtime.Runtime, settings: Settings, tenant_a: TenantWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[str] = []
    monkeypatch.setattr(rt, "send", lambda kind, job_id: sent.append(job_id))
    with pytest.raises(RuntimeError), session_scope(settings.resolved_database_url) as session:
        recordings.upload(
            session=session,
            settings=settings,
            blobs=LocalBlobStore(settings.blob_dir, crypto.key_ring(settings)),
            principal=tenant_a.principal("clinician"),
            encounter_id=tenant_a.encounter_id,
            data=io.BytesIO(wav_bytes(0.5)),
            filename="a.wav",
            content_type="audio/wav",
            mode="dictation",
        )
        raise RuntimeError("the request failed after queueing")
    assert sent == []
    job_id = queued_job(settings, tenant_a)
    assert sent == [job_id]
