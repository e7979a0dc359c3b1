"""Live sessions: single-use browser tokens and durable session records."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from clinscribe.db.base import Base, IdMixin, TimestampMixin, UTCDateTime, utcnow


class StreamToken(IdMixin, Base):
    """A single-use browser credential for the live stream; only a hash of the token is kept."""

    __tablename__ = "stream_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    # The principal that minted it, so any node can redeem it.
    principal_kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[str | None] = mapped_column(String(64))
    role: Mapped[str | None] = mapped_column(String(20))
    scopes: Mapped[str] = mapped_column(String(200), default="")
    can_view_all_encounters: Mapped[bool] = mapped_column(Boolean, default=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Set once, by a conditional UPDATE: the first redeemer wins on every node.
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class StreamSession(TimestampMixin, Base):
    """A live dictation, so a reconnect to any node (or after a restart) can resume it."""

    __tablename__ = "stream_sessions"
    __table_args__ = (
        CheckConstraint("status IN ('live', 'detached', 'stored', 'discarded')", name="status"),
        Index("ix_stream_sessions_status_resume_until", "status", "resume_until"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    encounter_id: Mapped[str] = mapped_column(
        ForeignKey("encounters.id", ondelete="CASCADE"), index=True
    )
    actor_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="live")
    mode: Mapped[str] = mapped_column(String(16))
    encoding: Mapped[str] = mapped_column(String(16))
    sample_rate: Mapped[int] = mapped_column(Integer)  # as the client declared it
    bytes_received: Mapped[int] = mapped_column(BigInteger, default=0)
    samples_received: Mapped[int] = mapped_column(BigInteger, default=0)  # at 16 kHz
    # Relative to the data dir: the 16 kHz audio spool and the finals sent so far.
    spool_path: Mapped[str] = mapped_column(String(500))
    node: Mapped[str] = mapped_column(String(100))
    # Refreshed while connected (a heartbeat); past it a detached session is stored.
    resume_until: Mapped[datetime] = mapped_column(UTCDateTime())
    transcript_id: Mapped[str | None] = mapped_column(String(36))
