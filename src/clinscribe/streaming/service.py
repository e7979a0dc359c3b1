"""Database work of a live session, run in worker threads (SQLAlchemy sessions are sync).

Every function takes the caller's `session=` and never commits: the caller owns the unit of
work (`StreamRegistry.run`, or the request's session) and commits it once.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, BinaryIO

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from clinscribe.accounts import auth, mfa
from clinscribe.asr.core.schemas import Transcript
from clinscribe.audit import service as audit
from clinscribe.clinical import consent
from clinscribe.config import Settings
from clinscribe.db.base import utcnow
from clinscribe.db.models import StreamSession, StreamToken, User
from clinscribe.errors import MfaEnrolmentRequired
from clinscribe.recordings import service as recordings
from clinscribe.records import encounters
from clinscribe.security.principal import Principal
from clinscribe.security.scoping import owned_by, readable
from clinscribe.storage.blobs import BlobStore

TOKEN_MEMORY = timedelta(hours=1)


def authenticate(*, session: Session, settings: Settings, credential: str) -> Principal:
    """The principal behind a bearer token or API key (raises Unauthorized).

    A session limited to second-factor enrolment (an MFA-mandatory role) may not stream either.
    """
    principal = auth.authenticate(session=session, settings=settings, credential=credential)
    if mfa.enrolment_pending(session=session, principal=principal):
        raise MfaEnrolmentRequired("this role must enrol a second factor first")
    return principal


def check_encounter(
    *, session: Session, principal: Principal, encounter_id: str, settings: Settings | None = None
) -> None:
    """The caller may write to the encounter (raises Forbidden or NotFound), and the patient
    consented to recording when `settings` requires it (raises ConsentRequired)."""
    principal.require("encounters:write")
    encounters.get(
        session=session, principal=principal, encounter_id=encounter_id, audit_read=False
    )
    if settings is not None:
        consent.require_recording_consent(
            session=session,
            settings=settings,
            tenant_id=principal.tenant_id,
            encounter_id=encounter_id,
        )


def store(
    *,
    session: Session,
    settings: Settings,
    blobs: BlobStore,
    principal: Principal,
    encounter_id: str,
    wav: BinaryIO,
    transcript: Transcript,
    mode: str,
) -> str:
    """Store the session's audio and transcript on the encounter; returns the transcript id."""
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
    return transcript_id


# --- single-use browser tokens ------------------------------------------------------------


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def mint_token(
    *, session: Session, principal: Principal, seconds: float, permission: str = "encounters:write"
) -> str:
    """A random token for `?token=`; only its hash is stored, so the table cannot leak it.

    Only for callers who may use it (`permission`: streaming writes to encounters; a note's
    live channel needs `notes:read`). A token carries its principal's own role and scopes, so
    it never opens more than that principal's bearer token would.
    """
    principal.require(permission)
    token = secrets.token_urlsafe(32)
    session.add(
        StreamToken(
            token_hash=token_digest(token),
            tenant_id=principal.tenant_id,
            principal_kind=principal.kind,
            actor_id=principal.actor_id,
            user_id=principal.user_id,
            role=principal.role,
            scopes=",".join(sorted(principal.scopes)),
            can_view_all_encounters=principal.can_view_all_encounters,
            expires_at=utcnow() + timedelta(seconds=seconds),
        )
    )
    # Spent and expired tokens are only kept long enough to tell a replay from a typo.
    session.execute(delete(StreamToken).where(StreamToken.expires_at < utcnow() - TOKEN_MEMORY))
    session.flush()
    return token


@dataclass(frozen=True)
class TokenRefused:
    """Why a token was refused: unknown, expired or reused (the refusal is already audited)."""

    reason: str


def redeem_token(*, session: Session, token: str) -> Principal | TokenRefused:
    """The principal that minted the token; the first redeemer on any node wins.

    A refused token is audited (unknown, expired or reused) and comes back as `TokenRefused`
    rather than raised: either way the caller commits, the spent token or the audit row.
    """
    digest = token_digest(token)
    now = utcnow()
    # One conditional UPDATE is atomic on every backend: two nodes cannot both win.
    won = session.execute(
        update(StreamToken)
        .where(
            StreamToken.token_hash == digest,
            StreamToken.used_at.is_(None),
            StreamToken.expires_at > now,
        )
        .values(used_at=now)
    )
    row = session.execute(
        select(StreamToken).where(StreamToken.token_hash == digest)
    ).scalar_one_or_none()
    if won.rowcount == 1 and row is not None:  # type: ignore[attr-defined]
        return Principal(
            kind=row.principal_kind,  # type: ignore[arg-type]
            tenant_id=row.tenant_id,
            actor_id=row.actor_id,
            user_id=row.user_id,
            role=row.role,
            scopes=frozenset(s for s in row.scopes.split(",") if s),
            can_view_all_encounters=row.can_view_all_encounters,
        )
    reason = "unknown" if row is None else "reused" if row.used_at else "expired"
    audit.record(
        session,
        action=f"stream.token_{reason}",
        outcome="denied",
        tenant_id=row.tenant_id if row is not None else None,
        actor_type="anonymous",
        object_type="stream_token",
        object_id=row.id if row is not None else None,
    )
    return TokenRefused(reason)


def audit_rejected(*, session: Session, action: str, object_type: str = "/api/v1/stream") -> None:
    """A refused WebSocket credential or Origin (the caller commits it on its own)."""
    audit.record(
        session,
        action=action,
        outcome="denied",
        actor_type="anonymous",
        object_type=object_type,
    )


# --- session records ----------------------------------------------------------------------


@dataclass(frozen=True)
class SessionRecord:
    """What a node needs to take over a session: who owns it and where its spool is."""

    id: str
    tenant_id: str
    encounter_id: str
    actor_id: str
    mode: str
    spool_path: str
    bytes_received: int


def create_session(
    *,
    session: Session,
    session_id: str,
    principal: Principal,
    encounter_id: str,
    mode: str,
    encoding: str,
    sample_rate: int,
    spool_path: str,
    node: str,
    resume_until: datetime,
) -> None:
    """Record a new live session held by `node`."""
    session.add(
        StreamSession(
            id=session_id,
            tenant_id=principal.tenant_id,
            encounter_id=encounter_id,
            actor_id=principal.actor_id,
            user_id=principal.user_id,
            status="live",
            mode=mode,
            encoding=encoding,
            sample_rate=sample_rate,
            bytes_received=0,
            samples_received=0,
            spool_path=spool_path,
            node=node,
            resume_until=resume_until,
        )
    )
    session.flush()


def touch(
    *,
    session: Session,
    session_id: str,
    node: str,
    status: str | None = None,
    resume_until: datetime | None = None,
    bytes_received: int | None = None,
    samples_received: int | None = None,
    transcript_id: str | None = None,
) -> bool:
    """Update a session this node holds; False when another node has taken it over."""
    values: dict[str, Any] = {"updated_at": utcnow()}
    for name, value in (
        ("status", status),
        ("resume_until", resume_until),
        ("bytes_received", bytes_received),
        ("samples_received", samples_received),
        ("transcript_id", transcript_id),
    ):
        if value is not None:
            values[name] = value
    result = session.execute(
        update(StreamSession)
        .where(
            StreamSession.id == session_id,
            StreamSession.node == node,
            StreamSession.status.in_(("live", "detached")),
        )
        .values(**values)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def claim(
    *,
    session: Session,
    session_id: str,
    principal: Principal,
    node: str,
    resume_until: datetime,
    stale_before: datetime,
) -> SessionRecord | None:
    """Take over a session of this caller that no live node holds (dropped, or its node died).

    None when there is no such session within its resume window.
    """
    if _own(session, session_id, principal) is None:
        return None
    now = utcnow()
    # Whose it is never changes; whether it is free does, so that is the atomic UPDATE's test.
    result = session.execute(
        update(StreamSession)
        .where(
            StreamSession.id == session_id,
            StreamSession.resume_until > now,
            (StreamSession.status == "detached")
            | ((StreamSession.status == "live") & (StreamSession.updated_at < stale_before)),
        )
        .values(status="live", node=node, resume_until=resume_until, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        return None
    return _record(session.get_one(StreamSession, session_id, populate_existing=True))


def _own(session: Session, session_id: str, principal: Principal) -> StreamSession | None:
    """The caller's own session record (their tenant, opened by them), if it exists."""
    return session.execute(
        readable(StreamSession, principal).where(
            StreamSession.id == session_id, StreamSession.actor_id == principal.actor_id
        )
    ).scalar_one_or_none()


def held_elsewhere(*, session: Session, session_id: str, principal: Principal) -> bool:
    """The caller's session is live on a node that is still sending heartbeats."""
    row = _own(session, session_id, principal)
    return row is not None and row.status == "live" and row.resume_until > utcnow()


def orphans(*, session: Session, stale_before: datetime) -> list[str]:
    """Sessions past their resume window that no live node will store: ids to recover."""
    now = utcnow()
    return list(
        session.execute(
            select(StreamSession.id).where(
                StreamSession.resume_until <= now,
                (StreamSession.status == "detached")
                | ((StreamSession.status == "live") & (StreamSession.updated_at < stale_before)),
            )
        ).scalars()
    )


def take_orphan(
    *, session: Session, session_id: str, node: str, stale_before: datetime
) -> SessionRecord | None:
    """Claim an expired orphan for storing; None if another node got there first."""
    now = utcnow()
    result = session.execute(
        update(StreamSession)
        .where(
            StreamSession.id == session_id,
            (StreamSession.status == "detached")
            | ((StreamSession.status == "live") & (StreamSession.updated_at < stale_before)),
        )
        .values(status="live", node=node, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        return None
    return _record(session.get_one(StreamSession, session_id, populate_existing=True))


def principal_of(*, session: Session, record: SessionRecord) -> Principal:
    """The session's owner, as the database knows them now (to store an orphan for them)."""
    user = session.execute(
        owned_by(User, record.tenant_id).where(User.id == record.actor_id)
    ).scalar_one_or_none()
    if user is not None:
        # They could write to the encounter when they opened the session; storing what
        # they dictated must not fail because the encounter was reassigned since.
        return Principal(
            kind="user",
            tenant_id=user.tenant_id,
            actor_id=user.id,
            user_id=user.id,
            role=user.role,
            can_view_all_encounters=True,
        )
    # An API key (or a user since removed): the audio still belongs on the encounter.
    return Principal(
        kind="api_key",
        tenant_id=record.tenant_id,
        actor_id=record.actor_id,
        scopes=frozenset({"write"}),
    )


def _record(row: StreamSession) -> SessionRecord:
    return SessionRecord(
        id=row.id,
        tenant_id=row.tenant_id,
        encounter_id=row.encounter_id,
        actor_id=row.actor_id,
        mode=row.mode,
        spool_path=row.spool_path,
        bytes_received=row.bytes_received,
    )
