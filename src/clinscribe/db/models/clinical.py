"""The patient's clinical record as data: observations, medications, orders, allergies, problems,
care plans and consents, their revisions, and acknowledged interaction alerts.

Every record row carries its own lifecycle `state` (`proposed` -> `active` | `rejected`: nothing
becomes `active` without a clinician's decision), a `version` bumped by each clinician edit (the
state before the edit is kept, sealed, in `record_revisions`) and `sources`, the provenance of
the entry (note version and transcript segments, document page and span, manual or device).
Codes, units, statuses and dates stay in the clear because the record is filtered and sorted on
them and they name no one; free text a clinician or patient wrote is sealed.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    Float,
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

RECORD_STATES = ("proposed", "active", "rejected")
SOURCE_KINDS = ("note", "document", "manual", "device")

OBSERVATION_CATEGORIES = ("vital-signs", "laboratory", "exam", "social-history", "other")
OBSERVATION_STATUSES = ("preliminary", "final", "amended", "entered-in-error")
INTERPRETATIONS = ("H", "L", "N", "A")

MEDICATION_KINDS = ("statement", "request")
STATEMENT_STATUSES = ("active", "completed", "stopped", "intended", "entered-in-error")
REQUEST_STATUSES = (
    "draft",
    "active",
    "on-hold",
    "cancelled",
    "completed",
    "stopped",
    "entered-in-error",
)
INTENTS = ("proposal", "plan", "order")

ORDER_CATEGORIES = ("laboratory", "imaging", "referral", "procedure")
ORDER_STATUSES = ("draft", "active", "on-hold", "revoked", "completed", "entered-in-error")
PRIORITIES = ("routine", "urgent", "asap", "stat")

ALLERGY_CATEGORIES = ("medication", "food", "environment", "biologic")
ALLERGY_SEVERITIES = ("mild", "moderate", "severe")
ALLERGY_CRITICALITIES = ("low", "high", "unable-to-assess")
ALLERGY_CLINICAL_STATUSES = ("active", "inactive", "resolved")
ALLERGY_VERIFICATION_STATUSES = ("unconfirmed", "confirmed", "refuted", "entered-in-error")

CONDITION_CLINICAL_STATUSES = (
    "active",
    "recurrence",
    "relapse",
    "inactive",
    "remission",
    "resolved",
)
CONDITION_VERIFICATION_STATUSES = ("provisional", "confirmed", "refuted", "entered-in-error")

CARE_PLAN_STATUSES = ("draft", "active", "on-hold", "revoked", "completed")

CONSENT_CATEGORIES = ("ambient-recording", "treatment", "data-sharing", "research")
CONSENT_SCOPES = ("patient-privacy", "treatment", "research", "adr")
CONSENT_STATUSES = ("draft", "proposed", "active", "rejected", "inactive", "entered-in-error")
CONSENT_GRANTORS = ("patient", "guardian", "representative")

_STATE_CHECK = "state IN ('proposed', 'active', 'rejected')"


def _json_list(value: str) -> list[dict[str, Any]]:
    loaded = json.loads(value)
    return loaded if isinstance(loaded, list) else []


class RecordMixin(IdMixin, TimestampMixin):
    """Columns every record resource shares (tenant, patient, encounter, lifecycle, provenance)."""

    __sealed_scope__ = "tenant_id"

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    patient_id: Mapped[str] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    encounter_id: Mapped[str | None] = mapped_column(
        ForeignKey("encounters.id", ondelete="SET NULL")
    )
    version: Mapped[int] = mapped_column(Integer, default=1)
    state: Mapped[str] = mapped_column(String(16), default="proposed")
    recorded_by: Mapped[str | None] = mapped_column(String(64))
    # [{"kind": "note"|"document"|"manual"|"device", "note_id", "note_version",
    #   "segment_ids": [...], "document_id", "page", "start", "end"}] (keys present as relevant)
    sources: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)


class ClinicalObservation(RecordMixin, Base):
    """A vital sign, lab result or other measurement (FHIR Observation)."""

    __tablename__ = "record_observations"
    __table_args__ = (
        CheckConstraint(_STATE_CHECK, name="state"),
        Index("ix_record_observations_tenant_patient", "tenant_id", "patient_id", "state"),
        Index("ix_record_observations_patient_code", "patient_id", "code", "effective_at"),
        # The summary's latest value per code: codes of the category's accepted entries,
        # then each code's newest one, all from the index.
        Index(
            "ix_record_observations_patient_category",
            "patient_id",
            "category",
            "state",
            "code",
            "effective_at",
        ),
        # Lists, newest first, stop after one page instead of sorting the patient's history.
        Index("ix_record_observations_patient_time", "patient_id", "effective_at"),
    )

    category: Mapped[str] = mapped_column(String(20), default="other")
    code: Mapped[str | None] = mapped_column(String(20))  # LOINC
    display: Mapped[str | None] = mapped_column(String(200))
    value_quantity: Mapped[float | None] = mapped_column(Float)
    value_text_sealed: Mapped[str | None] = mapped_column("value_text", Text)
    value_text = Sealed[str | None]("value_text_sealed")
    unit: Mapped[str | None] = mapped_column(String(40))  # UCUM
    unit_text: Mapped[str | None] = mapped_column(String(40))  # as written
    interpretation: Mapped[str | None] = mapped_column(String(2))
    ref_low: Mapped[float | None] = mapped_column(Float)
    ref_high: Mapped[float | None] = mapped_column(Float)
    effective_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(20), default="final")
    source: Mapped[str] = mapped_column(String(10), default="manual")


class MedicationEntry(RecordMixin, Base):
    """A medication the patient takes (`statement`) or one prescribed (`request`)."""

    __tablename__ = "record_medications"
    __table_args__ = (
        CheckConstraint(_STATE_CHECK, name="state"),
        CheckConstraint("kind IN ('statement', 'request')", name="kind"),
        Index("ix_record_medications_tenant_patient", "tenant_id", "patient_id", "state"),
    )

    kind: Mapped[str] = mapped_column(String(10), default="statement")
    drug: Mapped[str] = mapped_column(String(200))
    rxnorm: Mapped[str | None] = mapped_column(String(20))
    dose: Mapped[str | None] = mapped_column(String(100))
    route: Mapped[str | None] = mapped_column(String(60))
    frequency: Mapped[str | None] = mapped_column(String(100))
    duration: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), default="active")
    intent: Mapped[str | None] = mapped_column(String(10))
    note_sealed: Mapped[str | None] = mapped_column("note", Text)
    note = Sealed[str | None]("note_sealed")
    authored_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class CarePlan(RecordMixin, Base):
    """Goals with targets and dates, and activities linked to orders (FHIR CarePlan)."""

    __tablename__ = "record_care_plans"
    __table_args__ = (
        CheckConstraint(_STATE_CHECK, name="state"),
        Index("ix_record_care_plans_tenant_patient", "tenant_id", "patient_id", "state"),
    )

    title: Mapped[str] = mapped_column(String(200))
    description_sealed: Mapped[str | None] = mapped_column("description", Text)
    description = Sealed[str | None]("description_sealed")
    status: Mapped[str] = mapped_column(String(20), default="draft")
    period_start: Mapped[date | None] = mapped_column(Date)
    period_end: Mapped[date | None] = mapped_column(Date)
    # Goal and activity descriptions are free text a clinician wrote, so the lists are sealed.
    goals_json_sealed: Mapped[str | None] = mapped_column("goals", Text)
    goals_json = Sealed[str | None]("goals_json_sealed")
    activities_json_sealed: Mapped[str | None] = mapped_column("activities", Text)
    activities_json = Sealed[str | None]("activities_json_sealed")

    @property
    def goals(self) -> list[dict[str, Any]]:
        """[{"description", "measure", "target_value", "target_unit", "due_date", "status"}]"""
        raw = self.goals_json
        return _json_list(raw) if raw else []

    @goals.setter
    def goals(self, value: list[dict[str, Any]]) -> None:
        self.goals_json = json.dumps(value, sort_keys=True, default=str)

    @property
    def activities(self) -> list[dict[str, Any]]:
        """[{"description", "order_id" | None, "status"}]"""
        raw = self.activities_json
        return _json_list(raw) if raw else []

    @activities.setter
    def activities(self, value: list[dict[str, Any]]) -> None:
        self.activities_json = json.dumps(value, sort_keys=True, default=str)


class ServiceOrder(RecordMixin, Base):
    """A lab, imaging, referral or procedure order (FHIR ServiceRequest)."""

    __tablename__ = "record_orders"
    __table_args__ = (
        CheckConstraint(_STATE_CHECK, name="state"),
        Index("ix_record_orders_tenant_patient", "tenant_id", "patient_id", "state"),
    )

    category: Mapped[str] = mapped_column(String(20), default="laboratory")
    code: Mapped[str | None] = mapped_column(String(40))
    code_system: Mapped[str | None] = mapped_column(String(200))
    display: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="draft")
    intent: Mapped[str] = mapped_column(String(10), default="proposal")
    priority: Mapped[str] = mapped_column(String(10), default="routine")
    reason_sealed: Mapped[str | None] = mapped_column("reason", Text)
    reason = Sealed[str | None]("reason_sealed")
    care_plan_id: Mapped[str | None] = mapped_column(
        ForeignKey("record_care_plans.id", ondelete="SET NULL")
    )
    occurrence_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    authored_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AllergyEntry(RecordMixin, Base):
    """An allergy or intolerance (FHIR AllergyIntolerance)."""

    __tablename__ = "record_allergies"
    __table_args__ = (
        CheckConstraint(_STATE_CHECK, name="state"),
        Index("ix_record_allergies_tenant_patient", "tenant_id", "patient_id", "state"),
    )

    substance: Mapped[str] = mapped_column(String(200))
    code: Mapped[str | None] = mapped_column(String(40))
    category: Mapped[str] = mapped_column(String(20), default="medication")
    # What happened, in the patient's or clinician's words.
    reaction_sealed: Mapped[str | None] = mapped_column("reaction", Text)
    reaction = Sealed[str | None]("reaction_sealed")
    severity: Mapped[str | None] = mapped_column(String(10))
    criticality: Mapped[str | None] = mapped_column(String(20))
    clinical_status: Mapped[str] = mapped_column(String(10), default="active")
    verification_status: Mapped[str] = mapped_column(String(20), default="unconfirmed")


class ConditionEntry(RecordMixin, Base):
    """A problem-list entry (FHIR Condition)."""

    __tablename__ = "record_conditions"
    __table_args__ = (
        CheckConstraint(_STATE_CHECK, name="state"),
        Index("ix_record_conditions_tenant_patient", "tenant_id", "patient_id", "state"),
    )

    code: Mapped[str | None] = mapped_column(String(20))  # ICD-10-CM
    display: Mapped[str] = mapped_column(String(200))
    onset_date: Mapped[date | None] = mapped_column(Date)
    abatement_date: Mapped[date | None] = mapped_column(Date)
    clinical_status: Mapped[str] = mapped_column(String(12), default="active")
    verification_status: Mapped[str] = mapped_column(String(20), default="provisional")


class Consent(RecordMixin, Base):
    """A consent (to ambient recording, treatment, data sharing, research)."""

    __tablename__ = "record_consents"
    __table_args__ = (
        CheckConstraint(_STATE_CHECK, name="state"),
        Index("ix_record_consents_tenant_patient", "tenant_id", "patient_id", "category"),
    )

    category: Mapped[str] = mapped_column(String(20))
    scope: Mapped[str] = mapped_column(String(20), default="patient-privacy")
    status: Mapped[str] = mapped_column(String(20), default="draft")
    period_start: Mapped[datetime | None] = mapped_column(UTCDateTime())
    period_end: Mapped[datetime | None] = mapped_column(UTCDateTime())
    granted_by: Mapped[str] = mapped_column(String(16), default="patient")
    note_sealed: Mapped[str | None] = mapped_column("note", Text)
    note = Sealed[str | None]("note_sealed")


class RecordRevision(IdMixin, Base):
    """The state of a record row before one clinician edit (its `version` at that time)."""

    __tablename__ = "record_revisions"
    __table_args__ = (
        UniqueConstraint("resource_type", "resource_id", "version"),
        Index("ix_record_revisions_tenant_resource", "tenant_id", "resource_id"),
    )
    __sealed_scope__ = "tenant_id"

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    # Erasing the patient erases the history of their record too.
    patient_id: Mapped[str] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    resource_type: Mapped[str] = mapped_column(String(40))
    resource_id: Mapped[str] = mapped_column(String(36))
    version: Mapped[int] = mapped_column(Integer)
    snapshot_sealed: Mapped[str] = mapped_column("snapshot", Text)
    snapshot = Sealed[str]("snapshot_sealed")  # JSON of the row's fields at `version`
    changed_by: Mapped[str | None] = mapped_column(String(64))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    reason_sealed: Mapped[str | None] = mapped_column("reason", Text)
    reason = Sealed[str | None]("reason_sealed")


class InteractionAcknowledgement(IdMixin, TimestampMixin, Base):
    """A clinician's acknowledgement, with a reason, of one interaction alert for a patient."""

    __tablename__ = "interaction_acknowledgements"
    __table_args__ = (UniqueConstraint("tenant_id", "patient_id", "pair_key"),)
    __sealed_scope__ = "tenant_id"

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    patient_id: Mapped[str] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    # "<check kind>:<sorted normalized keys joined by |>", e.g. "drug-drug:simvastatin|warfarin"
    pair_key: Mapped[str] = mapped_column(String(255))
    severity: Mapped[str] = mapped_column(String(20))
    reason_sealed: Mapped[str] = mapped_column("reason", Text)
    reason = Sealed[str]("reason_sealed")
    acknowledged_by: Mapped[str | None] = mapped_column(String(64))
    acknowledged_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


RECORD_MODELS: dict[str, type[RecordMixin]] = {
    "observation": ClinicalObservation,
    "medication": MedicationEntry,
    "order": ServiceOrder,
    "allergy": AllergyEntry,
    "condition": ConditionEntry,
    "care_plan": CarePlan,
    "consent": Consent,
}
