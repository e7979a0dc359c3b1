"""DICOM imaging of a patient: studies, their series and instances, and notes' attached studies.

What a DICOM header says about the person or the visit (patient name and id as the modality
wrote them, descriptions, accession number, the UIDs themselves) is sealed; UIDs are found
through a keyed blind index (`uid_index`). What the service filters, sorts or renders on
(status, modality, body part, geometry, transfer syntax, SOP class, the study's start time for
FHIR date search) stays in the clear, as encounters' times do.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from clinscribe.db.base import Base, IdMixin, TimestampMixin, UTCDateTime
from clinscribe.db.sealed import Sealed

STUDY_STATUSES = ("held", "available")
INSTANCE_KINDS = ("image", "waveform", "other")


class ImagingStudy(IdMixin, TimestampMixin, Base):
    """One DICOM study of a patient; `held` until a clinician confirms a mismatched patient."""

    __tablename__ = "imaging_studies"
    __table_args__ = (
        UniqueConstraint("tenant_id", "patient_id", "uid_index"),
        Index("ix_imaging_studies_tenant_patient", "tenant_id", "patient_id"),
    )
    __sealed_scope__ = "tenant_id"

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    patient_id: Mapped[str] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    created_by: Mapped[str | None] = mapped_column(String(64))
    uid_index: Mapped[str] = mapped_column(String(64))
    uid_sealed: Mapped[str] = mapped_column("uid", Text)
    uid = Sealed[str]("uid_sealed")
    status: Mapped[str] = mapped_column(String(16), default="available")
    # Why a study is held: which of the file's patient id / name disagree with the record.
    held_reason: Mapped[str | None] = mapped_column(String(64))
    confirmed_by: Mapped[str | None] = mapped_column(String(64))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    modalities: Mapped[str] = mapped_column(String(64), default="")
    body_part: Mapped[str | None] = mapped_column(String(64))
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    series_count: Mapped[int] = mapped_column(Integer, default=0)
    instance_count: Mapped[int] = mapped_column(Integer, default=0)
    description_sealed: Mapped[str | None] = mapped_column("description", Text)
    description = Sealed[str | None]("description_sealed")
    accession_sealed: Mapped[str | None] = mapped_column("accession", Text)
    accession = Sealed[str | None]("accession_sealed")
    dicom_patient_id_sealed: Mapped[str | None] = mapped_column("dicom_patient_id", Text)
    dicom_patient_id = Sealed[str | None]("dicom_patient_id_sealed")
    dicom_patient_name_sealed: Mapped[str | None] = mapped_column("dicom_patient_name", Text)
    dicom_patient_name = Sealed[str | None]("dicom_patient_name_sealed")


class ImagingSeries(IdMixin, TimestampMixin, Base):
    """One series of a study."""

    __tablename__ = "imaging_series"
    __table_args__ = (UniqueConstraint("study_id", "uid_index"),)
    __sealed_scope__ = "tenant_id"

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    study_id: Mapped[str] = mapped_column(
        ForeignKey("imaging_studies.id", ondelete="CASCADE"), index=True
    )
    uid_index: Mapped[str] = mapped_column(String(64))
    uid_sealed: Mapped[str] = mapped_column("uid", Text)
    uid = Sealed[str]("uid_sealed")
    number: Mapped[int | None] = mapped_column(Integer)
    modality: Mapped[str] = mapped_column(String(16), default="OT")
    body_part: Mapped[str | None] = mapped_column(String(64))
    instance_count: Mapped[int] = mapped_column(Integer, default=0)
    description_sealed: Mapped[str | None] = mapped_column("description", Text)
    description = Sealed[str | None]("description_sealed")


class ImagingInstance(IdMixin, TimestampMixin, Base):
    """One DICOM instance (an image, a multi-frame image, a waveform); its file is a blob."""

    __tablename__ = "imaging_instances"
    __table_args__ = (UniqueConstraint("study_id", "uid_index"),)
    __sealed_scope__ = "tenant_id"

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    study_id: Mapped[str] = mapped_column(
        ForeignKey("imaging_studies.id", ondelete="CASCADE"), index=True
    )
    series_id: Mapped[str] = mapped_column(
        ForeignKey("imaging_series.id", ondelete="CASCADE"), index=True
    )
    uid_index: Mapped[str] = mapped_column(String(64))
    uid_sealed: Mapped[str] = mapped_column("uid", Text)
    uid = Sealed[str]("uid_sealed")
    sop_class_uid: Mapped[str] = mapped_column(String(64), default="")
    transfer_syntax: Mapped[str] = mapped_column(String(64))
    number: Mapped[int | None] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16), default="image")
    rows: Mapped[int | None] = mapped_column(Integer)
    columns: Mapped[int | None] = mapped_column(Integer)
    frames: Mapped[int] = mapped_column(Integer, default=0)
    preview_available: Mapped[bool] = mapped_column(Boolean, default=False)
    burned_in: Mapped[bool] = mapped_column(Boolean, default=False)
    window_center: Mapped[float | None] = mapped_column(Float)
    window_width: Mapped[float | None] = mapped_column(Float)
    size_bytes: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    sha256: Mapped[str] = mapped_column(String(64))
    # One upload's new instances share a blob; each starts at its offset (size_bytes long).
    blob_key: Mapped[str] = mapped_column(String(255))
    blob_offset: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), default=0
    )


class NoteStudy(IdMixin, TimestampMixin, Base):
    """A study attached to a note (the note links to it; its FHIR Bundle carries it)."""

    __tablename__ = "note_studies"
    __table_args__ = (UniqueConstraint("note_id", "study_id"),)

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    note_id: Mapped[str] = mapped_column(ForeignKey("notes.id", ondelete="CASCADE"), index=True)
    study_id: Mapped[str] = mapped_column(
        ForeignKey("imaging_studies.id", ondelete="CASCADE"), index=True
    )
    created_by: Mapped[str | None] = mapped_column(String(64))
