"""Retrieval chunks of a patient's document pages, with their embeddings and lexical terms.

The chunk text is sealed like page text. What full-text search indexes (`terms`) is the chunk's
words as tenant-keyed blind hashes, so the lexical index (SQLite FTS5, PostgreSQL tsvector,
MariaDB FULLTEXT) matches exact words without holding a readable word of the record.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from clinscribe.db.base import Base, IdMixin, UTCDateTime, utcnow
from clinscribe.db.sealed import Sealed


class RetrievalChunk(IdMixin, Base):
    """One chunk: a span [begin_offset, end_offset) of one page of one document."""

    __tablename__ = "retrieval_chunks"
    __table_args__ = (
        Index("ix_retrieval_chunks_tenant_patient", "tenant_id", "patient_id"),
        # Covers search's index-version query (count and newest chunk of a patient).
        Index("ix_retrieval_chunks_index_version", "tenant_id", "patient_id", "created_at"),
    )
    __sealed_scope__ = "tenant_id"

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    patient_id: Mapped[str] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    document_id: Mapped[str] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    page: Mapped[int] = mapped_column(Integer)
    begin_offset: Mapped[int] = mapped_column(Integer)
    end_offset: Mapped[int] = mapped_column(Integer)
    ordinal: Mapped[int] = mapped_column(Integer)
    text_sealed: Mapped[str] = mapped_column("text", Text)
    text = Sealed[str]("text_sealed")
    # Space-separated blind hashes of the chunk's words (see module doc).
    terms: Mapped[str] = mapped_column(Text)
    # float32, little-endian, unit length; `model` names the embedder that made it.
    embedding: Mapped[bytes] = mapped_column(LargeBinary)
    model: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
