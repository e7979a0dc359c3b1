"""Job rows: create (sent only after the surrounding transaction commits), claim, finish."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from clinscribe.db.base import utcnow
from clinscribe.db.models import Job
from clinscribe.errors import ServiceUnavailable
from clinscribe.security.principal import Principal
from clinscribe.security.scoping import get_readable

# Job ids waiting for the commit of the session that created them (see jobs.dispatch).
PENDING_KEY = "clinscribe.jobs_after_commit"
ACTIVE = ("queued", "running")


class QueueFull(ServiceUnavailable):
    """The queue is over its bound; the client should retry later."""

    status_code = 503
    code = "queue_full"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def create(
    *,
    session: Session,
    tenant_id: str,
    kind: str,
    subject_type: str,
    subject_id: str,
    max_attempts: int = 5,
) -> Job:
    """Write the job row; its message goes out only if and when this transaction commits."""
    job = Job(
        tenant_id=tenant_id,
        kind=kind,
        subject_type=subject_type,
        subject_id=subject_id,
        max_attempts=max_attempts,
    )
    session.add(job)
    session.flush()
    session.info.setdefault(PENDING_KEY, []).append((job.kind, job.id))
    return job


def check_capacity(*, session: Session, max_depth: int, retry_after: int = 30) -> None:
    """Refuse new work with 503 + Retry-After when too many jobs are waiting or running."""
    depth = session.execute(
        select(func.count()).select_from(Job).where(Job.status.in_(ACTIVE))
    ).scalar_one()
    if depth >= max_depth:
        raise QueueFull(f"job queue is full ({depth} waiting); retry later", retry_after)


def get(*, session: Session, principal: Principal, job_id: str) -> Job:
    """A job of the caller's tenant (its progress is what anyone reading encounters may see)."""
    principal.require("encounters:read")
    return get_readable(session, Job, job_id, principal, what="job")


def claim(*, session: Session, job_id: str, stale_after: timedelta) -> Job | None:
    """Mark a job running, unless it is finished or another live worker holds it."""
    now = utcnow()
    result = session.execute(
        update(Job)
        .where(
            Job.id == job_id,
            or_(
                Job.status == "queued",
                (Job.status == "running") & (Job.heartbeat_at < now - stale_after),
            ),
        )
        .values(status="running", attempts=Job.attempts + 1, started_at=now, heartbeat_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return session.get(Job, job_id, populate_existing=True)


def heartbeat(*, session: Session, job_id: str, progress: float | None = None) -> None:
    values: dict[str, object] = {"heartbeat_at": utcnow()}
    if progress is not None:
        values["progress"] = max(0.0, min(1.0, progress))
    session.execute(update(Job).where(Job.id == job_id, Job.status == "running").values(**values))


def succeed(*, session: Session, job: Job, result_type: str, result_id: str) -> None:
    job.status = "succeeded"
    job.progress = 1.0
    job.result_type = result_type
    job.result_id = result_id
    job.finished_at = utcnow()
    job.last_error = None


def fail(*, session: Session, job: Job, error: str, permanent: bool = False) -> bool:
    """Record a failure. True when the job should be retried; False when it is now dead."""
    job.last_error = error[:2000]
    if permanent or job.attempts >= job.max_attempts:
        job.status = "dead"
        job.finished_at = utcnow()
        return False
    job.status = "queued"
    return True


def due_for_resend(
    *,
    session: Session,
    now: datetime,
    unsent_after: timedelta,
    stale_after: timedelta,
    limit: int = 500,
) -> Sequence[Job]:
    """Queued jobs untouched for a while (their message may be lost), and running jobs whose
    worker stopped beating (it died)."""
    stmt = (
        select(Job)
        .where(
            or_(
                (Job.status == "queued") & (Job.updated_at < now - unsent_after),
                (Job.status == "running") & (Job.heartbeat_at < now - stale_after),
            )
        )
        .order_by(Job.created_at)
        .limit(limit)
    )
    return session.execute(stmt).scalars().all()


def touch(*, session: Session, job_ids: Sequence[str]) -> None:
    """Record a re-send, so the next sweep waits a full interval before sending again."""
    if job_ids:
        session.execute(update(Job).where(Job.id.in_(job_ids)).values(updated_at=utcnow()))


def depth(*, session: Session) -> dict[str, int]:
    rows = session.execute(
        select(Job.status, func.count()).where(Job.status.in_(ACTIVE)).group_by(Job.status)
    ).all()
    counts = {status: 0 for status in ACTIVE}
    counts.update({status: int(n) for status, n in rows})
    return counts
