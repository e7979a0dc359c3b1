"""What each job kind does. Handlers take a job id, open their own sessions, call services."""

from __future__ import annotations

import time

from sqlalchemy.orm import Session

from clinscribe import nlp
from clinscribe.asr.engine import AsrEngine
from clinscribe.asr.schemas import TranscribeOptions
from clinscribe.audit import service as audit
from clinscribe.config import Settings
from clinscribe.db.models import Job, Recording, Tenant, Transcript
from clinscribe.db.session import session_scope
from clinscribe.errors import NotFound
from clinscribe.extractions import service as extractions
from clinscribe.jobs.engines import asr_engine, remote_asr_engine
from clinscribe.observability.metrics import AUDIO_SECONDS, REAL_TIME_FACTOR
from clinscribe.recordings import audio
from clinscribe.recordings.blobs import BlobStore
from clinscribe.transcripts import service as transcripts
from clinscribe.workqueue import service as workqueue


class PermanentJobError(Exception):
    """Retrying cannot help (the input itself is bad): the job goes straight to dead."""


def transcribe(settings: Settings, blobs: BlobStore, job: Job) -> tuple[str, str]:
    """Decode the stored recording, run ASR, store the transcript (once)."""
    url = settings.resolved_database_url
    with session_scope(url) as session:
        recording = session.get(Recording, job.subject_id)
        if recording is None or recording.blob_key is None:
            raise PermanentJobError("recording no longer exists")
        done = transcripts.for_recording(session=session, recording_id=recording.id)
        if done is not None:
            return "transcript", done.id
        blob_key, mode = recording.blob_key, recording.mode
        tenant_id, encounter_id, recording_id = (
            recording.tenant_id,
            recording.encounter_id,
            recording.id,
        )
        engine = _choose_engine(session, settings, tenant_id, recording_id)
    try:
        with blobs.open(blob_key) as stored:
            decoded = audio.decode_audio(
                stored,
                max_seconds=settings.max_audio_seconds,
                max_bytes=settings.max_upload_bytes,
            )
    except audio.AudioError as exc:
        raise PermanentJobError(f"{exc.code}: {exc.message}") from exc
    except FileNotFoundError as exc:
        raise PermanentJobError("the recording's blob is missing") from exc
    started = time.perf_counter()
    result = engine.transcribe(
        decoded,
        options=TranscribeOptions(mode=mode, beam_size=settings.asr_beam_size),
    )
    elapsed = time.perf_counter() - started
    AUDIO_SECONDS.inc(decoded.duration)
    if elapsed > 0:
        REAL_TIME_FACTOR.observe(decoded.duration / elapsed)
    with session_scope(url) as session:
        recording_row = session.get(Recording, recording_id)
        if recording_row is None:
            raise PermanentJobError("recording was deleted during transcription")
        row = transcripts.store(
            session=session,
            tenant_id=tenant_id,
            encounter_id=encounter_id,
            recording_id=recording_id,
            transcript=result,
        )
        recording_row.status = "transcribed"
        queue_extraction(session, settings, row.tenant_id, row.id)
        return "transcript", row.id


def _choose_engine(
    session: Session, settings: Settings, tenant_id: str, recording_id: str
) -> AsrEngine:
    """Offline unless the tenant asks for the remote engine and its policy lets audio leave.

    Audio cannot be de-identified, so only `allow` sends it; every decision is audited.
    """
    tenant = session.get(Tenant, tenant_id)
    if tenant is None or tenant.asr_engine != "remote":
        return asr_engine(settings)
    remote = remote_asr_engine(settings)
    allowed = tenant.phi_egress_policy == "allow" and remote is not None
    audit.record(
        session,
        action="asr.egress",
        tenant_id=tenant_id,
        actor_type="system",
        object_type="recording",
        object_id=recording_id,
        outcome="allowed" if allowed else "denied",
    )
    if allowed and remote is not None:
        return remote
    return asr_engine(settings)


def queue_extraction(
    session: Session, settings: Settings, tenant_id: str, transcript_id: str
) -> None:
    """A finished transcript moves on to clinical NLP."""
    workqueue.create(
        session=session,
        tenant_id=tenant_id,
        kind="extract",
        subject_type="transcript",
        subject_id=transcript_id,
        max_attempts=settings.job_max_attempts,
    )


def extract(settings: Settings, blobs: BlobStore, job: Job) -> tuple[str, str]:
    """Clinical NLP over a stored transcript; the Extraction is kept per transcript."""
    url = settings.resolved_database_url
    with session_scope(url) as session:
        transcript = session.get(Transcript, job.subject_id)
        if transcript is None:
            raise PermanentJobError("transcript no longer exists")
        done = extractions.for_transcript(session=session, transcript_id=transcript.id)
        if done is not None:
            return "extraction", done.id
        text = extractions.transcript_text(transcript)
    try:
        result = nlp.extract(text)
    except nlp.NlpInputError as exc:
        raise PermanentJobError(str(exc)) from exc
    with session_scope(url) as session:
        transcript = session.get(Transcript, job.subject_id)
        if transcript is None:
            raise PermanentJobError("transcript was deleted during extraction")
        record = extractions.store(session=session, transcript=transcript, extraction=result)
        return "extraction", record.id


PERMANENT = (PermanentJobError, NotFound)


class RetryLater(Exception):
    """A retryable failure with a chosen delay (e.g. the server's Retry-After)."""

    def __init__(self, reason: str, delay: float) -> None:
        super().__init__(reason)
        self.delay = delay


def deliver(settings: Settings, blobs: BlobStore, job: Job) -> tuple[str, str]:
    """Map the signed version to a Bundle and POST it; classify the answer."""
    from clinscribe import fhir
    from clinscribe.db.models import Delivery, Note
    from clinscribe.delivery import service as delivery_service

    url = settings.resolved_database_url
    with session_scope(url) as session:
        delivery = session.get(Delivery, job.subject_id)
        note = session.get(Note, delivery.note_id) if delivery else None
        if delivery is None or note is None:
            raise PermanentJobError("delivery or note no longer exists")
        if delivery.status == "delivered":
            return "delivery", delivery.id
        endpoint = delivery_service.get_endpoint(session=session, tenant_id=delivery.tenant_id)
        if endpoint is None:
            raise PermanentJobError("the tenant's EHR endpoint was removed")
        try:
            bundle = fhir.build_bundle(
                delivery_service.signed_note(session, note, endpoint, delivery.version)
            )
            fhir.validate_bundle(bundle)
        except fhir.FhirError as exc:
            raise PermanentJobError(f"bundle: {exc}") from exc
        config = delivery_service.client_config(settings=settings, endpoint=endpoint)
    try:
        with fhir.FhirClient(config) as client:
            result = client.post_bundle(bundle)
    except fhir.FhirError as exc:  # unsafe URL, token refused: retrying will not help
        result = fhir.DeliveryResult(outcome="permanent", reason=str(exc)[:500])
    with session_scope(url) as session:
        row = session.get(Delivery, job.subject_id)
        if row is None:
            raise PermanentJobError("delivery disappeared")
        delivery_service.record_attempt(session=session, delivery=row, result=result)
        if result.delivered:
            return "delivery", row.id
        if result.outcome == "permanent":
            row.status = "dead"
    if result.outcome == "permanent":
        raise PermanentJobError(f"EHR refused the bundle: {result.status_code} {result.reason}")
    policy = fhir.RetryPolicy(
        max_attempts=settings.delivery_max_attempts,
        base_delay=settings.delivery_base_delay,
        max_delay=settings.delivery_max_delay,
    )
    delay = fhir.backoff_delay(job.attempts, policy, retry_after=result.retry_after)
    raise RetryLater(f"EHR answered {result.status_code or result.reason}", delay)
