"""Transcripts: one per recording, in the public Transcript shape."""

from __future__ import annotations

from sqlalchemy import (
    ForeignKey,
    Index,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from clinscribe.db.base import Base, IdMixin, TimestampMixin
from clinscribe.db.sealed import Sealed


class Transcript(IdMixin, TimestampMixin, Base):
    """One transcript per recording (the unique key makes redelivered jobs idempotent)."""

    __tablename__ = "transcripts"
    __table_args__ = (Index("ix_transcripts_tenant_encounter", "tenant_id", "encounter_id"),)
    __sealed_scope__ = "tenant_id"

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    encounter_id: Mapped[str] = mapped_column(ForeignKey("encounters.id", ondelete="CASCADE"))
    recording_id: Mapped[str] = mapped_column(
        ForeignKey("recordings.id", ondelete="CASCADE"), unique=True
    )
    language: Mapped[str] = mapped_column(String(8), default="en")
    duration_s: Mapped[float] = mapped_column(default=0.0)
    engine: Mapped[str] = mapped_column(String(40))
    model: Mapped[str | None] = mapped_column(String(100))
    text_sealed: Mapped[str] = mapped_column("text", Text)
    segments_json_sealed: Mapped[str] = mapped_column("segments_json", Text)
    text = Sealed[str]("text_sealed")
    segments_json = Sealed[str]("segments_json_sealed")
