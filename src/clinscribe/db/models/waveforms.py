"""ECG waveforms of a patient: the recording's shape, its measurements, and its blobs.

The signal and the rendered strips are sealed blobs (the blob store encrypts them); the row keeps
what the service lists and serves without opening them: lead names, sampling rate, sample count
and the measurements (numbers that name no one). The uploaded file's name is sealed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from clinscribe.db.base import Base, IdMixin, TimestampMixin, UTCDateTime
from clinscribe.db.sealed import Sealed

WAVEFORM_FORMATS = ("dicom", "wfdb")


class Waveform(IdMixin, TimestampMixin, Base):
    """One multi-lead ECG recording of a patient (from an upload or a DICOM instance)."""

    __tablename__ = "waveforms"
    __table_args__ = (
        Index("ix_waveforms_tenant_patient", "tenant_id", "patient_id"),
        Index("ix_waveforms_imaging_instance", "imaging_instance_id"),
    )
    __sealed_scope__ = "tenant_id"

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    patient_id: Mapped[str] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    created_by: Mapped[str | None] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(16), default="upload")  # upload | imaging
    # The DICOM instance of an imaging study it was read from (source imaging), else None.
    imaging_instance_id: Mapped[str | None] = mapped_column(String(36))
    format: Mapped[str] = mapped_column(String(8))  # dicom | wfdb
    filename_sealed: Mapped[str | None] = mapped_column("filename", Text)
    filename = Sealed[str | None]("filename_sealed")
    leads: Mapped[list[str]] = mapped_column(JSON, default=list)
    sampling_rate: Mapped[float] = mapped_column(Float)
    samples: Mapped[int] = mapped_column(Integer)
    acquired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # {"heart_rate": 61.1, "rr_ms": ..., ...}: keys of waveforms.core.codes.MEASURES.
    measurements: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # What the recording device measured itself (DICOM annotations), same keys.
    device_measurements: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    analysis_lead: Mapped[str | None] = mapped_column(String(16))
    method: Mapped[str] = mapped_column(String(120))
    signal_key: Mapped[str] = mapped_column(String(255))
    svg_key: Mapped[str] = mapped_column(String(255))
    png_key: Mapped[str] = mapped_column(String(255))

    @property
    def duration(self) -> float:
        return self.samples / self.sampling_rate if self.sampling_rate else 0.0
