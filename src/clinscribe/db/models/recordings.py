"""Recordings: stored audio (or text) of an encounter."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from clinscribe.db.base import Base, IdMixin, TimestampMixin
from clinscribe.db.sealed import Sealed


class Recording(IdMixin, TimestampMixin, Base):
    """Audio (or text) accepted for an encounter; the blob is stored before any job runs."""

    __tablename__ = "recordings"
    __table_args__ = (Index("ix_recordings_tenant_encounter", "tenant_id", "encounter_id"),)
    __sealed_scope__ = "tenant_id"

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    encounter_id: Mapped[str] = mapped_column(ForeignKey("encounters.id", ondelete="CASCADE"))
    created_by: Mapped[str | None] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(16))  # upload | tus | text | stream
    mode: Mapped[str] = mapped_column(String(16), default="dictation")  # or conversation
    status: Mapped[str] = mapped_column(String(16), default="stored")
    blob_key: Mapped[str | None] = mapped_column(String(255))
    sha256: Mapped[str | None] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), default=0)
    # Client file names often carry a patient's name.
    filename_sealed: Mapped[str | None] = mapped_column("filename", Text)
    filename = Sealed[str | None]("filename_sealed")
    content_type: Mapped[str | None] = mapped_column(String(100))
    container: Mapped[str | None] = mapped_column(String(40))
    codec: Mapped[str | None] = mapped_column(String(40))
    duration_s: Mapped[float | None] = mapped_column()
    channels: Mapped[int | None] = mapped_column(Integer)
    sample_rate: Mapped[int | None] = mapped_column(Integer)
