"""SMART App Launches between leaving for the EHR's authorize endpoint and coming back."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from clinscribe.db.base import Base, UTCDateTime, utcnow


class SmartLaunch(Base):
    """One pending launch, keyed by a digest of its state; used once, then kept as spent."""

    __tablename__ = "smart_launches"

    # sha256 of the `state` sent to the EHR: the row cannot be replayed from a database dump.
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    # sha256 of the browser-binding cookie: the answer must come back to the browser that left.
    browser_hash: Mapped[str] = mapped_column(String(64))
    verifier_encrypted: Mapped[str] = mapped_column(Text)  # the PKCE verifier, sealed
    nonce: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
