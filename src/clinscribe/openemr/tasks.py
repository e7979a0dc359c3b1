"""The OpenEMR write-back job: one signed note version into OpenEMR, retried with backoff."""

from __future__ import annotations

from clinscribe.config import Settings
from clinscribe.db.models import Job
from clinscribe.db.session import session_scope
from clinscribe.fhir.core import RetryPolicy, backoff_delay
from clinscribe.jobs.tasks import PermanentJobError, RetryLater, task
from clinscribe.openemr import writeback
from clinscribe.openemr.connection import OpenEmrUnavailable
from clinscribe.openemr.service import OpenEmrNotConfigured
from clinscribe.storage.blobs import BlobStore


@task(writeback.KIND)
def write_note(settings: Settings, blobs: BlobStore, job: Job) -> tuple[str, str]:
    """Write the job's note version into OpenEMR; past its attempts the job is dead-lettered.

    The job's error starts with the failure's code (`openemr_patient_missing: ...`,
    `openemr_access_denied: ...`), so the dead-letter list says what to fix before a replay.
    """
    prefix = writeback.SUBJECT_PREFIX
    if not job.subject_type.startswith(prefix):
        raise PermanentJobError("not a note version")
    version = int(job.subject_type[len(prefix) :])
    try:
        with session_scope(settings.resolved_database_url) as session:
            item = writeback.form_input(session, job.subject_id, version)
            url = writeback.tenant_url(session, settings, job.tenant_id)
        try:
            placed = writeback.write(url, item)
        except OpenEmrUnavailable:
            # The write may have reached OpenEMR before it failed: logged all the same.
            with session_scope(settings.resolved_database_url) as session:
                writeback.record_egress(session, job, item, url, "failed")
            raise
        # OpenEMR has committed; if this fails the retry finds the ledger rows and lands here.
        with session_scope(settings.resolved_database_url) as session:
            writeback.record_placement(session, item, placed)
            if not placed.already:
                writeback.record_egress(session, job, item, url, "sent")
    except (writeback.WriteBackRefused, OpenEmrNotConfigured) as exc:
        raise PermanentJobError(f"{exc.code}: {exc.message}") from exc
    except OpenEmrUnavailable as exc:
        policy = RetryPolicy(
            max_attempts=settings.delivery_max_attempts,
            base_delay=settings.delivery_base_delay,
            max_delay=settings.delivery_max_delay,
        )
        raise RetryLater(f"{exc.code}: {exc.message}", backoff_delay(job.attempts, policy)) from exc
    return "note", job.subject_id
