"""Intake: store the bytes, validate them, then queue transcription — in that order.

Also reading recordings back (metadata, job, audio for playback). Erasing a patient or an
encounter with its audio is `records.erase`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from clinscribe.asr import service as transcripts
from clinscribe.asr.core.schemas import Transcript as TranscriptModel
from clinscribe.asr.core.text import transcript_from_text
from clinscribe.audio import decode as audio
from clinscribe.audit import service as audit
from clinscribe.clinical import consent
from clinscribe.config import Settings
from clinscribe.db.base import new_id
from clinscribe.db.models import Job, Recording
from clinscribe.db.session import after_rollback
from clinscribe.errors import ClinscribeError, NotFound, PayloadTooLarge, Unprocessable
from clinscribe.jobs import queue as workqueue
from clinscribe.records import encounters
from clinscribe.security.principal import Principal
from clinscribe.security.scoping import get_readable, readable
from clinscribe.storage.blobs import BlobStore

_SAFE_NAME = re.compile(r"[^A-Za-z0-9._\-]+")


def _blob_key(tenant_id: str, encounter_id: str, recording_id: str) -> str:
    return f"{tenant_id}/{encounter_id}/{recording_id}"


def _clean_filename(name: str | None) -> str | None:
    if not name:
        return None
    return _SAFE_NAME.sub("_", Path(name).name)[:200] or None


def _probe(settings: Settings, source: BinaryIO) -> audio.AudioInfo:
    """What the container says; an AudioError (its own code and status) when it is refused."""
    info = audio.probe_audio(source, max_bytes=settings.max_upload_bytes)
    if info.duration is not None and info.duration > settings.max_audio_seconds:
        raise audio.AudioTooLongError(
            f"audio lasts {info.duration:.0f} s; the limit is {settings.max_audio_seconds:.0f} s"
        )
    if info.duration is not None and info.duration <= 0:
        raise audio.EmptyAudioError("the recording contains no audio")
    return info


def _accept(
    *,
    session: Session,
    settings: Settings,
    blobs: BlobStore,
    principal: Principal,
    encounter_id: str,
    source: str,
    mode: str,
    filename: str | None,
    content_type: str | None,
    store: Callable[[str], tuple[str, int]],
    local: BinaryIO | None = None,
) -> tuple[Recording, Job]:
    """Store the bytes under a new key (`store` returns SHA-256 and size), probe, then queue.

    `local` is the same bytes in a seekable spool on this node: probed there before anything is
    stored, so refused audio never reaches the store and accepted audio is not read back from
    it (with object storage that read-back was ranged GETs and decryption on every upload).
    """
    info = None
    if local is not None and local.seekable():
        start, length = local.tell(), audio.size_of(local)
        # An empty upload is refused by the probe; an oversized one by put's own 413.
        if length is not None and length <= settings.max_upload_bytes:
            info = _probe(settings, local)
            local.seek(start)
    recording_id = new_id()
    key = _blob_key(principal.tenant_id, encounter_id, recording_id)
    sha256, size = store(key)
    # The blob is written before its row commits; if the row never lands, neither does it.
    after_rollback(session, lambda: blobs.delete(key))
    if size == 0:
        blobs.delete(key)
        raise audio.EmptyAudioError("the upload is empty (0 bytes)")
    if info is None:
        try:
            with blobs.open(key) as stored:
                info = _probe(settings, stored)
        except ClinscribeError:
            blobs.delete(key)
            raise
    recording = Recording(
        id=recording_id,
        tenant_id=principal.tenant_id,
        encounter_id=encounter_id,
        created_by=principal.actor_id,
        source=source,
        mode=mode,
        status="stored",
        blob_key=key,
        sha256=sha256,
        size_bytes=size,
        filename=_clean_filename(filename),
        content_type=(content_type or "")[:100] or None,
        container=info.format[:40],
        codec=info.codec[:40],
        duration_s=info.duration,
        channels=info.channels,
        sample_rate=info.sample_rate,
    )
    session.add(recording)
    session.flush()
    job = workqueue.create(
        session=session,
        tenant_id=principal.tenant_id,
        kind="transcribe",
        subject_type="recording",
        subject_id=recording.id,
        max_attempts=settings.job_max_attempts,
    )
    audit.record(
        session,
        action="recording.create",
        principal=principal,
        object_type="recording",
        object_id=recording.id,
    )
    return recording, job


def _writable_encounter(session: Session, principal: Principal, encounter_id: str) -> None:
    principal.require("encounters:write")
    encounters.get(
        session=session, principal=principal, encounter_id=encounter_id, audit_read=False
    )


def upload(
    *,
    session: Session,
    settings: Settings,
    blobs: BlobStore,
    principal: Principal,
    encounter_id: str,
    data: BinaryIO,
    filename: str | None,
    content_type: str | None,
    mode: str,
) -> tuple[Recording, Job]:
    """Accept a whole file: stored and hashed, probed, then a transcription job queued."""
    _writable_encounter(session, principal, encounter_id)
    consent.require_recording_consent(
        session=session, settings=settings, tenant_id=principal.tenant_id, encounter_id=encounter_id
    )
    workqueue.check_capacity(session=session, max_depth=settings.max_queue_depth)
    return _accept(
        session=session,
        settings=settings,
        blobs=blobs,
        principal=principal,
        encounter_id=encounter_id,
        source="upload",
        mode=mode,
        filename=filename,
        content_type=content_type,
        store=lambda key: blobs.put(key, data, max_bytes=settings.max_upload_bytes),
        local=data,
    )


def adopt_upload(
    *,
    session: Session,
    settings: Settings,
    blobs: BlobStore,
    principal: Principal,
    encounter_id: str,
    source: BinaryIO,
    filename: str | None,
    content_type: str | None,
    mode: str,
) -> tuple[Recording, Job]:
    """Accept a completed resumable upload, read from `source`."""
    _writable_encounter(session, principal, encounter_id)
    consent.require_recording_consent(
        session=session, settings=settings, tenant_id=principal.tenant_id, encounter_id=encounter_id
    )
    return _accept(
        session=session,
        settings=settings,
        blobs=blobs,
        principal=principal,
        encounter_id=encounter_id,
        source="tus",
        mode=mode,
        filename=filename,
        content_type=content_type,
        store=lambda key: blobs.put(key, source, max_bytes=settings.max_upload_bytes),
    )


def _keep_transcribed(
    session: Session,
    settings: Settings,
    principal: Principal,
    recording: Recording,
    transcript: TranscriptModel,
) -> str:
    """Store a recording that arrives with its transcript; the pipeline continues at NLP."""
    session.add(recording)
    session.flush()
    row = transcripts.store(
        session=session,
        tenant_id=recording.tenant_id,
        encounter_id=recording.encounter_id,
        recording_id=recording.id,
        transcript=transcript,
    )
    audit.record(
        session,
        action="recording.create",
        principal=principal,
        object_type="recording",
        object_id=recording.id,
    )
    workqueue.create(
        session=session,
        tenant_id=recording.tenant_id,
        kind="extract",
        subject_type="transcript",
        subject_id=row.id,
        max_attempts=settings.job_max_attempts,
    )
    return row.id


def from_text(
    *,
    session: Session,
    settings: Settings,
    principal: Principal,
    encounter_id: str,
    text: str,
    mode: str | None,
) -> tuple[Recording, str]:
    """Ambient/typed text: a recording without audio and its transcript, in one transaction."""
    _writable_encounter(session, principal, encounter_id)
    if len(text) > settings.max_text_chars:
        raise PayloadTooLarge(
            f"text exceeds {settings.max_text_chars} characters", code="text_too_large"
        )
    if not text.strip():
        raise Unprocessable("text is empty")
    transcript = transcript_from_text(text)
    recording = Recording(
        tenant_id=principal.tenant_id,
        encounter_id=encounter_id,
        created_by=principal.actor_id,
        source="text",
        mode=mode or transcript.mode,
        status="transcribed",
        size_bytes=len(text.encode()),
    )
    return recording, _keep_transcribed(session, settings, principal, recording, transcript)


def get(*, session: Session, principal: Principal, recording_id: str) -> Recording:
    principal.require("encounters:read")
    return get_readable(session, Recording, recording_id, principal, what="recording")


def job_for(*, session: Session, recording_id: str) -> Job | None:
    return session.execute(
        select(Job)
        .where(Job.subject_type == "recording", Job.subject_id == recording_id)
        .order_by(Job.created_at.desc())
        .limit(1)
    ).scalar_one_or_none()


def list_for_encounter(
    *, session: Session, principal: Principal, encounter_id: str
) -> list[Recording]:
    encounters.get(
        session=session, principal=principal, encounter_id=encounter_id, audit_read=False
    )
    return list(
        session.execute(
            readable(Recording, principal)
            .where(Recording.encounter_id == encounter_id)
            .order_by(Recording.created_at)
        ).scalars()
    )


def from_stream(
    *,
    session: Session,
    settings: Settings,
    blobs: BlobStore,
    principal: Principal,
    encounter_id: str,
    wav: BinaryIO,
    transcript: TranscriptModel,
    mode: str,
) -> tuple[Recording, str]:
    """A finished live session: its whole audio (16 kHz WAV) and the transcript it produced.

    Stored like an upload, but the transcript is already there, so the pipeline continues
    at clinical NLP.
    """
    _writable_encounter(session, principal, encounter_id)
    recording_id = new_id()
    key = _blob_key(principal.tenant_id, encounter_id, recording_id)
    sha256, size = blobs.put(key, wav, max_bytes=settings.max_upload_bytes)
    recording = Recording(
        id=recording_id,
        tenant_id=principal.tenant_id,
        encounter_id=encounter_id,
        created_by=principal.actor_id,
        source="stream",
        mode=mode,
        status="transcribed",
        blob_key=key,
        sha256=sha256,
        size_bytes=size,
        filename="live.wav",
        content_type="audio/wav",
        container="wav",
        codec="pcm_s16le",
        duration_s=transcript.duration,
        channels=1,
        sample_rate=audio.SAMPLE_RATE,
    )
    return recording, _keep_transcribed(session, settings, principal, recording, transcript)


def audio_file(
    *, session: Session, principal: Principal, blobs: BlobStore, recording_id: str
) -> tuple[BinaryIO, str, str]:
    """A reader of a recording's audio, for playback (a PHI read: audited)."""
    recording = get(session=session, principal=principal, recording_id=recording_id)
    if recording.blob_key is None or not blobs.exists(recording.blob_key):
        raise NotFound("this recording has no audio")
    audit.record(
        session,
        action="recording.audio",
        principal=principal,
        object_type="recording",
        object_id=recording.id,
    )
    media = recording.content_type if (recording.content_type or "").startswith("audio/") else None
    return (
        blobs.open(recording.blob_key),
        media or "application/octet-stream",
        recording.filename or "audio",
    )
