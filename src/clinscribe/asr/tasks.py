"""The transcription task: decode the stored recording, run ASR, store the transcript."""

from __future__ import annotations

import time
from contextlib import nullcontext

from sqlalchemy.orm import Session

from clinscribe.asr import service as transcripts
from clinscribe.asr.core.engine import AsrEngine
from clinscribe.asr.core.openai_engine import wav_size
from clinscribe.asr.core.schemas import TranscribeOptions
from clinscribe.asr.engines import AsrEngineProvider
from clinscribe.audio import decode as audio
from clinscribe.audit import egress
from clinscribe.audit import service as audit
from clinscribe.config import Settings
from clinscribe.db.models import Job, Recording, Tenant
from clinscribe.db.session import session_scope
from clinscribe.jobs import queue as workqueue
from clinscribe.jobs import slots
from clinscribe.jobs.tasks import PermanentJobError, task
from clinscribe.observability.metrics import ASR_SLOT_WAIT, AUDIO_SECONDS, REAL_TIME_FACTOR
from clinscribe.storage.blobs import BlobStore


def warm(settings: Settings) -> None:
    """Load the offline model (tenants on the remote engine simply never use it)."""
    AsrEngineProvider(settings).local()


@task("transcribe", warm=warm)
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
        engine, remote_url = _choose_engine(session, settings, tenant_id, recording_id)
    # A remote engine's work is elsewhere; a local one waits for a host slot first, and holds
    # it for the audio decoding too: past the cores, a decoder outside the slots only preempts
    # the ones inside them.
    slot = slots.held(slots.slot_count(settings)) if remote_url is None else nullcontext(0.0)
    with slot as waited:
        ASR_SLOT_WAIT.observe(waited)
        decoded = _decoded(settings, blobs, blob_key)
        started = time.perf_counter()
        try:
            result = engine.transcribe(
                decoded,
                options=TranscribeOptions(mode=mode, beam_size=settings.asr_beam_size),
            )
        except Exception:
            if remote_url is not None:
                # The audio may have left before the call failed: logged all the same.
                _log_egress(settings, job, remote_url, recording_id, decoded, "failed")
            raise
    if remote_url is not None:
        _log_egress(settings, job, remote_url, recording_id, decoded, "sent")
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


def _decoded(settings: Settings, blobs: BlobStore, blob_key: str) -> audio.DecodedAudio:
    try:
        with blobs.open(blob_key, whole=True) as stored:
            return audio.decode_audio(
                stored,
                max_seconds=settings.max_audio_seconds,
                max_bytes=settings.max_upload_bytes,
            )
    except audio.AudioError as exc:
        raise PermanentJobError(f"{exc.code}: {exc.message}") from exc
    except FileNotFoundError as exc:
        raise PermanentJobError("the recording's blob is missing") from exc


def _log_egress(
    settings: Settings,
    job: Job,
    remote_url: str,
    recording_id: str,
    decoded: audio.DecodedAudio,
    outcome: egress.Outcome,
) -> None:
    with session_scope(settings.resolved_database_url) as session:
        egress.record(
            session,
            tenant_id=job.tenant_id,
            processor="remote_asr",
            destination_url=remote_url,
            purpose="transcription",
            object_type="recording",
            object_ids=[recording_id],
            byte_count=wav_size(decoded.samples),
            outcome=outcome,
            actor_type="system",
            actor_id=job.id,
        )


def _choose_engine(
    session: Session, settings: Settings, tenant_id: str, recording_id: str
) -> tuple[AsrEngine, str | None]:
    """Offline unless the tenant asks for the remote engine and its policy lets audio leave;
    with it, the remote endpoint's URL (for the egress log).

    Audio cannot be de-identified, so only `allow` sends it; every decision is audited.
    """
    engines = AsrEngineProvider(settings)
    tenant = session.get(Tenant, tenant_id)
    if tenant is None or tenant.asr_engine != "remote":
        return engines.local(), None
    remote = engines.remote()
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
    if allowed and remote is not None and settings.asr_remote_base_url:
        return remote, settings.asr_remote_base_url
    return engines.local(), None


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
