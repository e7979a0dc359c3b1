"""Run clinical NLP over a stored transcript and keep the result (once per transcript)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from clinscribe.asr import service as transcripts
from clinscribe.audit import service as audit
from clinscribe.db.models import ExtractionRecord, Transcript
from clinscribe.errors import NotFound
from clinscribe.nlp import core as nlp
from clinscribe.security.principal import Principal

ENGINE_VERSION = "clinscribe-nlp-1"


def for_transcript(*, session: Session, transcript_id: str) -> ExtractionRecord | None:
    return session.execute(
        select(ExtractionRecord).where(ExtractionRecord.transcript_id == transcript_id)
    ).scalar_one_or_none()


def transcript_text(row: Transcript) -> str:
    """Dialogue turns keep their speakers so the NLP can read questions and answers."""
    segments = json.loads(row.segments_json)
    if any(s.get("speaker") for s in segments):
        tags = {"clinician": "[doctor]", "patient": "[patient]"}
        return "\n".join(
            f"{tags.get(s.get('speaker') or '', '')} {s['text']}".strip() for s in segments
        )
    return row.text


def store(
    *, session: Session, transcript: Transcript, extraction: nlp.Extraction
) -> ExtractionRecord:
    """Keep the extraction; a duplicate delivery finds the first one."""
    existing = for_transcript(session=session, transcript_id=transcript.id)
    if existing is not None:
        return existing
    record = ExtractionRecord(
        tenant_id=transcript.tenant_id,
        transcript_id=transcript.id,
        engine_version=ENGINE_VERSION,
        extraction_json=extraction.model_dump_json(),
    )
    try:
        with session.begin_nested():
            session.add(record)
    except IntegrityError:
        found = for_transcript(session=session, transcript_id=transcript.id)
        if found is None:
            raise
        return found
    audit.record(
        session,
        action="extraction.create",
        tenant_id=transcript.tenant_id,
        actor_type="system",
        object_type="extraction",
        object_id=record.id,
    )
    return record


def get_for_transcript(
    *, session: Session, principal: Principal, transcript_id: str
) -> dict[str, Any]:
    """The stored Extraction of a transcript the caller may read."""
    transcripts.get(session=session, principal=principal, transcript_id=transcript_id)
    record = for_transcript(session=session, transcript_id=transcript_id)
    if record is None:
        raise NotFound("no extraction yet for this transcript")
    result: dict[str, Any] = json.loads(record.extraction_json)
    return result
