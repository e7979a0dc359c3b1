"""Patients (MRN and family name searchable through blind indexes) and encounters."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from clinscribe.db.base import Base, IdMixin, TimestampMixin, UTCDateTime
from clinscribe.db.sealed import FieldCipher, Sealed

ENCOUNTER_STATUSES = ("planned", "in-progress", "finished", "cancelled")


ENCOUNTER_TYPES = ("ambulatory", "emergency", "inpatient", "telehealth", "home")


SEXES = ("female", "male", "other", "unknown")


class Patient(IdMixin, TimestampMixin, Base):
    __tablename__ = "patients"
    __table_args__ = (
        UniqueConstraint("tenant_id", "mrn_index"),
        UniqueConstraint("tenant_id", "openemr_pid", name="uq_patients_tenant_openemr_pid"),
        CheckConstraint("sex IN ('female', 'male', 'other', 'unknown')", name="sex"),
    )
    __sealed_scope__ = "tenant_id"

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    # Identifiers are stored encrypted; search goes through keyed hashes (blind indexes).
    mrn_sealed: Mapped[str] = mapped_column("mrn", Text)
    given_name_sealed: Mapped[str] = mapped_column("given_name", Text)
    family_name_sealed: Mapped[str] = mapped_column("family_name", Text)
    birth_date_sealed: Mapped[str | None] = mapped_column("birth_date", Text)
    sex: Mapped[str] = mapped_column(String(10), default="unknown")
    phone_sealed: Mapped[str | None] = mapped_column("phone", Text)
    email_sealed: Mapped[str | None] = mapped_column("email", Text)
    mrn_index: Mapped[str | None] = mapped_column(String(64))
    search_index: Mapped[str | None] = mapped_column(Text)
    # The patient's `patient_data.pid` in the tenant's OpenEMR, when it came from (or went to) it.
    openemr_pid: Mapped[int | None] = mapped_column(BigInteger)

    @property
    def external_ids(self) -> dict[str, int]:
        """Ids of this patient in other systems (shown as `external_ids`)."""
        return {} if self.openemr_pid is None else {"openemr_pid": self.openemr_pid}

    mrn = Sealed[str]("mrn_sealed")
    given_name = Sealed[str]("given_name_sealed")
    family_name = Sealed[str]("family_name_sealed")
    birth_date = Sealed[date | None]("birth_date_sealed", load=date.fromisoformat)
    phone = Sealed[str | None]("phone_sealed")
    email = Sealed[str | None]("email_sealed")

    def __after_seal__(self, cipher: FieldCipher) -> None:
        self.mrn_index = patient_mrn_index(cipher, self.tenant_id, self.mrn)
        self.search_index = " ".join(
            sorted(patient_name_tokens(cipher, self.tenant_id, self.family_name))
        )


def _norm(value: str) -> str:
    return " ".join(value.casefold().split())


def patient_mrn_index(cipher: FieldCipher, tenant_id: str, mrn: str) -> str:
    return cipher.blind("patient.mrn", f"{tenant_id}|{mrn.strip()}")


NAME_PREFIX_MAX = 12


def patient_name_tokens(cipher: FieldCipher, tenant_id: str, family_name: str) -> set[str]:
    """Keyed hashes of the family name and its prefixes (what `family_name=` search matches)."""
    name = _norm(family_name)
    prefixes = {name[:n] for n in range(1, min(len(name), NAME_PREFIX_MAX) + 1)} | {name}
    return {cipher.blind("patient.family", f"{tenant_id}|{p}")[:24] for p in prefixes}


def patient_name_query_token(cipher: FieldCipher, tenant_id: str, prefix: str) -> str | None:
    """The token to look for, or None when the prefix is longer than what is indexed."""
    name = _norm(prefix)
    if len(name) > NAME_PREFIX_MAX:
        return None
    return cipher.blind("patient.family", f"{tenant_id}|{name}")[:24]


class Encounter(IdMixin, TimestampMixin, Base):
    __tablename__ = "encounters"
    __table_args__ = (
        CheckConstraint(
            "status IN ('planned', 'in-progress', 'finished', 'cancelled')", name="status"
        ),
        Index("ix_encounters_tenant_clinician", "tenant_id", "clinician_id"),
        Index("ix_encounters_tenant_patient", "tenant_id", "patient_id"),
        UniqueConstraint("tenant_id", "openemr_encounter", name="uq_encounters_tenant_openemr"),
    )
    __sealed_scope__ = "tenant_id"

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    patient_id: Mapped[str] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    clinician_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    type: Mapped[str] = mapped_column(String(20), default="ambulatory")
    status: Mapped[str] = mapped_column(String(20), default="planned")
    reason_sealed: Mapped[str | None] = mapped_column("reason", Text)
    reason = Sealed[str | None]("reason_sealed")
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The `form_encounter.encounter` number in the tenant's OpenEMR.
    openemr_encounter: Mapped[int | None] = mapped_column(BigInteger)

    @property
    def external_ids(self) -> dict[str, int]:
        """Ids of this encounter in other systems (shown as `external_ids`)."""
        if self.openemr_encounter is None:
            return {}
        return {"openemr_encounter": self.openemr_encounter}
