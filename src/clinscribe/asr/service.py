"""Transcript storage: one per recording, read back in the public Transcript shape."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from clinscribe.asr.core.schemas import Transcript as TranscriptModel
from clinscribe.audit import service as audit
from clinscribe.db.models import Transcript
from clinscribe.records import encounters
from clinscribe.security.principal import Principal
from clinscribe.security.scoping import get_readable, readable


def for_recording(*, session: Session, recording_id: str) -> Transcript | None:
    return session.execute(
        select(Transcript).where(Transcript.recording_id == recording_id)
    ).scalar_one_or_none()


def store(
    *,
    session: Session,
    tenant_id: str,
    encounter_id: str,
    recording_id: str,
    transcript: TranscriptModel,
) -> Transcript:
    """Store a transcript once; a redelivered job finds the first one instead of adding another."""
    existing = for_recording(session=session, recording_id=recording_id)
    if existing is not None:
        return existing
    row = Transcript(
        tenant_id=tenant_id,
        encounter_id=encounter_id,
        recording_id=recording_id,
        language=transcript.language,
        duration_s=transcript.duration,
        engine=transcript.engine,
        model=transcript.model,
        text=transcript.text,
        segments_json=json.dumps(
            [s.model_dump(mode="json") for s in transcript.segments], separators=(",", ":")
        ),
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:  # a concurrent duplicate delivery won the race
        found = for_recording(session=session, recording_id=recording_id)
        if found is None:
            raise
        return found
    audit.record(
        session,
        action="transcript.create",
        tenant_id=tenant_id,
        actor_type="system",
        object_type="transcript",
        object_id=row.id,
    )
    return row


def to_contract(row: Transcript) -> dict[str, Any]:
    """The Transcript JSON of contracts.md, plus ids that link it to its recording."""
    return {
        "id": row.id,
        "recording_id": row.recording_id,
        "encounter_id": row.encounter_id,
        "text": row.text,
        "language": row.language,
        "duration": row.duration_s,
        "engine": row.engine,
        "model": row.model,
        "segments": json.loads(row.segments_json),
        "created_at": row.created_at.isoformat(),
    }


def get(*, session: Session, principal: Principal, transcript_id: str) -> Transcript:
    """A transcript whose encounter the caller may see (PHI read: audited)."""
    row = get_readable(session, Transcript, transcript_id, principal, what="transcript")
    audit.record(
        session,
        action="transcript.read",
        principal=principal,
        object_type="transcript",
        object_id=row.id,
    )
    return row


def list_for_encounter(
    *, session: Session, principal: Principal, encounter_id: str
) -> Sequence[Transcript]:
    encounters.get(
        session=session, principal=principal, encounter_id=encounter_id, audit_read=False
    )
    rows = (
        session.execute(
            readable(Transcript, principal)
            .where(Transcript.encounter_id == encounter_id)
            .order_by(Transcript.created_at)
        )
        .scalars()
        .all()
    )
    audit.record(
        session,
        action="transcript.list",
        principal=principal,
        object_type="encounter",
        object_id=encounter_id,
    )
    return rows
