"""Job rows on each server database: concurrent workers claim a job once, and a job whose
worker went silent is taken over."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sqlalchemy import update

from clinscribe.config import Settings
from clinscribe.db.base import utcnow
from clinscribe.db.models import Job
from clinscribe.db.session import session_scope
from clinscribe.jobs import queue
from tests.support import TenantWorld

STALE = timedelta(seconds=60)


def _claim(url: str, job_id: str) -> int | None:
    with session_scope(url) as session:
        job = queue.claim(session=session, job_id=job_id, stale_after=STALE)
        return None if job is None else job.attempts


def test_a_job_is_claimed_by_one_of_many_workers_and_taken_over_when_its_worker_goes_silent(
    db_settings: Settings, db_a: TenantWorld
) -> None:
    url = db_settings.resolved_database_url
    with session_scope(url) as session:
        job = Job(
            tenant_id=db_a.id, kind="transcribe", subject_type="recording", subject_id=db_a.id
        )
        session.add(job)
        session.flush()
        job_id = job.id

    with ThreadPoolExecutor(max_workers=6) as pool:
        claims = list(pool.map(lambda _: _claim(url, job_id), range(6)))
    assert sorted(claims, key=lambda c: c is None) == [1, None, None, None, None, None]

    # A live worker's job is not taken; one whose heartbeat stopped is, by exactly one worker.
    assert _claim(url, job_id) is None
    with session_scope(url) as session:
        session.execute(
            update(Job).where(Job.id == job_id).values(heartbeat_at=utcnow() - 2 * STALE)
        )
    with ThreadPoolExecutor(max_workers=4) as pool:
        takeovers = list(pool.map(lambda _: _claim(url, job_id), range(4)))
    assert sorted(takeovers, key=lambda c: c is None) == [2, None, None, None]
