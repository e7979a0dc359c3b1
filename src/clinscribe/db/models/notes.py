"""Tenant note templates, notes and their immutable versions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from clinscribe.db.base import Base, IdMixin, TimestampMixin, UTCDateTime, utcnow
from clinscribe.db.sealed import Sealed

NOTE_STATUSES = ("draft", "in_review", "approved", "rejected", "signed")


class NoteTemplate(IdMixin, TimestampMixin, Base):
    """A tenant-defined template (built-in ones live in code and need no row)."""

    __tablename__ = "note_templates"
    __table_args__ = (UniqueConstraint("tenant_id", "key"),)

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    definition_json: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(String(64))


class Note(IdMixin, TimestampMixin, Base):
    """A clinical note; its content lives in immutable versions."""

    __tablename__ = "notes"
    __table_args__ = (
        CheckConstraint(
            "status IN ('draft', 'in_review', 'approved', 'rejected', 'signed')", name="status"
        ),
        Index("ix_notes_tenant_encounter", "tenant_id", "encounter_id"),
    )
    __sealed_scope__ = "tenant_id"

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    encounter_id: Mapped[str] = mapped_column(ForeignKey("encounters.id", ondelete="CASCADE"))
    transcript_id: Mapped[str | None] = mapped_column(
        ForeignKey("transcripts.id", ondelete="SET NULL"), index=True
    )
    template_key: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="draft")
    current_version: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[str | None] = mapped_column(String(64))
    submitted_by: Mapped[str | None] = mapped_column(String(64))
    approved_by: Mapped[str | None] = mapped_column(String(64))
    rejected_reason_sealed: Mapped[str | None] = mapped_column("rejected_reason", Text)
    rejected_reason = Sealed[str | None]("rejected_reason_sealed")
    signed_by: Mapped[str | None] = mapped_column(String(64))
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    signed_sha256: Mapped[str | None] = mapped_column(String(64))
    signed_version: Mapped[int | None] = mapped_column(Integer)
    # The version this one replaces in the EHR (set when a signed note is amended).
    replaces_version: Mapped[int | None] = mapped_column(Integer)


class NoteVersion(IdMixin, Base):
    """One immutable version of a note, with who made it and the diff from the one before."""

    __tablename__ = "note_versions"
    __table_args__ = (UniqueConstraint("note_id", "version"),)
    __sealed_scope__ = "note_id"

    note_id: Mapped[str] = mapped_column(ForeignKey("notes.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    author_id: Mapped[str | None] = mapped_column(String(64))
    reason_sealed: Mapped[str | None] = mapped_column("reason", Text)
    content_json_sealed: Mapped[str] = mapped_column("content_json", Text)
    text_sealed: Mapped[str] = mapped_column("text", Text)
    diff_sealed: Mapped[str | None] = mapped_column("diff", Text)
    reason = Sealed[str | None]("reason_sealed")
    content_json = Sealed[str]("content_json_sealed")
    text = Sealed[str]("text_sealed")
    diff = Sealed[str | None]("diff_sealed")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
