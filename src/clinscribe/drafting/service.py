"""Draft (or re-draft) an encounter's note from its transcript; drafts are note versions."""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from clinscribe import notes
from clinscribe.asr.schemas import Segment
from clinscribe.asr.schemas import Transcript as TranscriptModel
from clinscribe.db.models import Note, Transcript
from clinscribe.drafting import templates
from clinscribe.encounters import service as encounters
from clinscribe.errors import NotFound, Unprocessable
from clinscribe.review import service as review
from clinscribe.security.principal import Principal


def transcript_model(row: Transcript) -> TranscriptModel:
    return TranscriptModel(
        text=row.text,
        language=row.language,
        duration=row.duration_s,
        engine=row.engine,
        model=row.model or "",
        segments=[Segment.model_validate(s) for s in json.loads(row.segments_json)],
    )


def _latest_transcript(session: Session, tenant_id: str, encounter_id: str) -> Transcript:
    row = session.execute(
        select(Transcript)
        .where(Transcript.tenant_id == tenant_id, Transcript.encounter_id == encounter_id)
        .order_by(Transcript.created_at.desc(), Transcript.id)
        .limit(1)
    ).scalar_one_or_none()
    if row is None:
        raise Unprocessable("the encounter has no transcript to draft from yet")
    return row


def draft_for_encounter(
    *,
    session: Session,
    principal: Principal,
    encounter_id: str,
    template_key: str,
    transcript_id: str | None = None,
) -> Note:
    """Draft with `template_key`. An open draft of the same template gets a new version."""
    principal.require("notes:write")
    encounters.get(
        session=session, principal=principal, encounter_id=encounter_id, audit_read=False
    )
    template = templates.resolve(session=session, tenant_id=principal.tenant_id, key=template_key)
    if transcript_id:
        transcript = session.get(Transcript, transcript_id)
        if transcript is None or transcript.encounter_id != encounter_id:
            raise NotFound("transcript not found for this encounter")
    else:
        transcript = _latest_transcript(session, principal.tenant_id, encounter_id)
    try:
        drafted = notes.draft_note(transcript_model(transcript), template)
    except notes.EmptyTranscriptError as exc:
        raise Unprocessable(str(exc)) from exc
    return review.store_draft(
        session=session,
        principal=principal,
        encounter_id=encounter_id,
        transcript_id=transcript.id,
        template_key=template.key,
        drafted=drafted,
    )
