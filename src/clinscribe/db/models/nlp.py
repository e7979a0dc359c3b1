"""Clinical facts extracted from a transcript, stored once per transcript."""

from __future__ import annotations

from sqlalchemy import (
    ForeignKey,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from clinscribe.db.base import Base, IdMixin, TimestampMixin
from clinscribe.db.sealed import Sealed


class ExtractionRecord(IdMixin, TimestampMixin, Base):
    """Clinical facts extracted from one transcript (the Extraction JSON of the contract)."""

    __tablename__ = "extractions"
    __sealed_scope__ = "tenant_id"

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    transcript_id: Mapped[str] = mapped_column(
        ForeignKey("transcripts.id", ondelete="CASCADE"), unique=True
    )
    engine_version: Mapped[str] = mapped_column(String(40))
    extraction_json_sealed: Mapped[str] = mapped_column("extraction_json", Text)
    extraction_json = Sealed[str]("extraction_json_sealed")
