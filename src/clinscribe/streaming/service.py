"""Database work of a live session, run in worker threads (SQLAlchemy sessions are sync)."""

from __future__ import annotations

from typing import Any, BinaryIO

from sqlalchemy.orm import Session, sessionmaker

from clinscribe.accounts import auth
from clinscribe.asr.schemas import Transcript
from clinscribe.config import Settings
from clinscribe.encounters import service as encounters
from clinscribe.recordings import service as recordings
from clinscribe.recordings.blobs import BlobStore
from clinscribe.security.principal import Principal


def authenticate(makers: sessionmaker[Session], settings: Settings, credential: str) -> Principal:
    """The principal behind a bearer token or API key (raises Unauthorized)."""
    with makers() as session:
        return auth.authenticate(session=session, settings=settings, credential=credential)


def check_encounter(makers: sessionmaker[Session], principal: Principal, encounter_id: str) -> None:
    """The caller may write to the encounter (raises Forbidden or NotFound)."""
    principal.require("encounters:write")
    with makers() as session:
        encounters.get(
            session=session, principal=principal, encounter_id=encounter_id, audit_read=False
        )


def store(
    makers: sessionmaker[Session],
    *,
    settings: Settings,
    blobs: BlobStore,
    principal: Principal,
    encounter_id: str,
    wav: BinaryIO,
    transcript: Transcript,
    mode: str,
) -> str:
    """Store the session's audio and transcript on the encounter; returns the transcript id."""
    session: Any = makers()
    try:
        _, transcript_id = recordings.from_stream(
            session=session,
            settings=settings,
            blobs=blobs,
            principal=principal,
            encounter_id=encounter_id,
            wav=wav,
            transcript=transcript,
            mode=mode,
        )
        session.commit()
        return transcript_id
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
