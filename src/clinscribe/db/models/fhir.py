"""EHR endpoints per tenant and the delivery outbox."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from clinscribe.db.base import Base, IdMixin, TimestampMixin, UTCDateTime


class EhrEndpoint(IdMixin, TimestampMixin, Base):
    """A tenant's EHR FHIR endpoint; its auth settings (with secrets) are stored encrypted."""

    __tablename__ = "ehr_endpoints"

    tenant_id: Mapped[str] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), unique=True
    )
    base_url: Mapped[str] = mapped_column(String(500))
    auth_type: Mapped[str] = mapped_column(String(20))
    auth_encrypted: Mapped[str] = mapped_column(Text)
    patient_system: Mapped[str] = mapped_column(String(255))
    encounter_system: Mapped[str] = mapped_column(String(255))
    allow_loopback: Mapped[bool] = mapped_column(Boolean, default=False)


class Delivery(IdMixin, TimestampMixin, Base):
    """The outbox: one row per note version to deliver, written with the signature."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("note_id", "version"),
        Index("ix_deliveries_tenant_status", "tenant_id", "status"),
    )

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    note_id: Mapped[str] = mapped_column(ForeignKey("notes.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # delivered | dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    operation_outcome_json: Mapped[str | None] = mapped_column(Text)
    locations_json: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
