"""Request and response shapes of the record API (`XCreate` / `XUpdate` / `XRead`).

Field types and vocabularies are checked here (422 from the request parser); what depends on
several fields or on code tables (a unit against its LOINC code, a status against the kind of
medication entry) is checked on the merged entry by `clinical.core.rules`, for creates and edits
alike.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

State = Literal["proposed", "active", "rejected"]
Text200 = Field(default=None, min_length=1, max_length=200)


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SourceRef(_In):
    """Provenance of an entry (keys present as relevant to the kind)."""

    kind: Literal["note", "document", "manual", "device"]
    note_id: str | None = Field(default=None, max_length=36)
    note_version: int | None = Field(default=None, ge=1)
    segment_ids: list[int] | None = Field(default=None, max_length=200)
    document_id: str | None = Field(default=None, max_length=36)
    page: int | None = Field(default=None, ge=1)
    start: int | None = Field(default=None, ge=0)
    end: int | None = Field(default=None, ge=0)
    device: str | None = Field(default=None, max_length=100)
    waveform_id: str | None = Field(default=None, max_length=36)


class _EntryIn(_In):
    encounter_id: str | None = Field(default=None, max_length=36)


class ObservationFields(_EntryIn):
    category: Literal["vital-signs", "laboratory", "exam", "social-history", "other"] = "other"
    code: str | None = Field(default=None, max_length=20)
    display: str | None = Text200
    value_quantity: float | None = Field(default=None, allow_inf_nan=False)
    value_text: str | None = Field(default=None, min_length=1, max_length=2000)
    unit: str | None = Field(default=None, max_length=40)
    unit_text: str | None = Field(default=None, max_length=40)
    interpretation: Literal["H", "L", "N", "A"] | None = None
    ref_low: float | None = Field(default=None, allow_inf_nan=False)
    ref_high: float | None = Field(default=None, allow_inf_nan=False)
    effective_at: datetime | None = None
    status: Literal["preliminary", "final", "amended", "entered-in-error"] = "final"
    source: Literal["note", "document", "manual", "device"] = "manual"


class MedicationFields(_EntryIn):
    kind: Literal["statement", "request"] = "statement"
    drug: str = Field(min_length=1, max_length=200)
    rxnorm: str | None = Field(default=None, max_length=20)
    dose: str | None = Field(default=None, max_length=100)
    route: str | None = Field(default=None, max_length=60)
    frequency: str | None = Field(default=None, max_length=100)
    duration: str | None = Field(default=None, max_length=100)
    status: str | None = Field(default=None, max_length=20)
    intent: Literal["proposal", "plan", "order"] | None = None
    note: str | None = Field(default=None, max_length=2000)
    authored_at: datetime | None = None


class OrderFields(_EntryIn):
    category: Literal["laboratory", "imaging", "referral", "procedure"]
    code: str | None = Field(default=None, max_length=40)
    code_system: str | None = Field(default=None, max_length=200)
    display: str = Field(min_length=1, max_length=200)
    status: Literal["draft", "active", "on-hold", "revoked", "completed", "entered-in-error"] = (
        "draft"
    )
    intent: Literal["proposal", "plan", "order"] = "order"
    priority: Literal["routine", "urgent", "asap", "stat"] = "routine"
    reason: str | None = Field(default=None, max_length=2000)
    care_plan_id: str | None = Field(default=None, max_length=36)
    occurrence_at: datetime | None = None
    authored_at: datetime | None = None


class AllergyFields(_EntryIn):
    substance: str = Field(min_length=1, max_length=200)
    code: str | None = Field(default=None, max_length=40)
    category: Literal["medication", "food", "environment", "biologic"] = "medication"
    reaction: str | None = Field(default=None, max_length=2000)
    severity: Literal["mild", "moderate", "severe"] | None = None
    criticality: Literal["low", "high", "unable-to-assess"] | None = None
    clinical_status: Literal["active", "inactive", "resolved"] = "active"
    verification_status: Literal["unconfirmed", "confirmed", "refuted", "entered-in-error"] = (
        "unconfirmed"
    )


class ConditionFields(_EntryIn):
    code: str | None = Field(default=None, max_length=20)
    display: str = Field(min_length=1, max_length=200)
    onset_date: date | None = None
    abatement_date: date | None = None
    clinical_status: Literal[
        "active", "recurrence", "relapse", "inactive", "remission", "resolved"
    ] = "active"
    verification_status: Literal["provisional", "confirmed", "refuted", "entered-in-error"] = (
        "confirmed"
    )


class Goal(_In):
    description: str = Field(min_length=1, max_length=500)
    measure: str | None = Field(default=None, max_length=20)
    target_value: float | None = Field(default=None, allow_inf_nan=False)
    target_unit: str | None = Field(default=None, max_length=40)
    due_date: date | None = None
    status: Literal["proposed", "active", "achieved", "cancelled"] = "active"


class Activity(_In):
    description: str = Field(min_length=1, max_length=500)
    order_id: str | None = Field(default=None, max_length=36)
    status: Literal["not-started", "scheduled", "in-progress", "completed", "cancelled"] = (
        "not-started"
    )


class CarePlanFields(_EntryIn):
    title: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=4000)
    status: Literal["draft", "active", "on-hold", "revoked", "completed", "entered-in-error"] = (
        "active"
    )
    period_start: date | None = None
    period_end: date | None = None
    goals: list[Goal] = Field(default_factory=list, max_length=50)
    activities: list[Activity] = Field(default_factory=list, max_length=100)


class ConsentFields(_EntryIn):
    category: Literal["ambient-recording", "treatment", "data-sharing", "research"]
    scope: Literal["patient-privacy", "treatment", "research", "adr"] = "patient-privacy"
    status: Literal["draft", "proposed", "active", "rejected", "inactive", "entered-in-error"] = (
        "active"
    )
    period_start: datetime | None = None
    period_end: datetime | None = None
    granted_by: Literal["patient", "guardian", "representative"] = "patient"
    note: str | None = Field(default=None, max_length=2000)


class _CreateExtra(_In):
    sources: list[SourceRef] = Field(default_factory=list, max_length=50)


class _UpdateExtra(_In):
    version: int | None = Field(
        default=None, ge=1, description="The version edited (or send it as If-Match)."
    )
    reason: str | None = Field(default=None, max_length=2000, description="Why it was changed.")


def _create(base: type[_In]) -> type[_In]:
    return create_model(base.__name__.replace("Fields", "Create"), __base__=(base, _CreateExtra))


def _update(base: type[_In]) -> type[_In]:
    """Every field optional and without a default: only what is sent is changed."""
    fields: dict[str, Any] = {
        name: (_optional(info.annotation), Field(default=None, **_limits(info)))
        for name, info in base.model_fields.items()
    }
    return create_model(base.__name__.replace("Fields", "Update"), __base__=_UpdateExtra, **fields)


def _optional(annotation: Any) -> Any:
    return annotation | None


def _limits(info: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for meta in info.metadata:
        for key in ("min_length", "max_length", "ge", "le", "allow_inf_nan"):
            value = getattr(meta, key, None)
            if value is not None:
                out[key] = value
    return out


FIELDS: dict[str, type[_In]] = {
    "observation": ObservationFields,
    "medication": MedicationFields,
    "order": OrderFields,
    "allergy": AllergyFields,
    "condition": ConditionFields,
    "care_plan": CarePlanFields,
    "consent": ConsentFields,
}
CREATE: dict[str, type[_In]] = {k: _create(v) for k, v in FIELDS.items()}
UPDATE: dict[str, type[_In]] = {k: _update(v) for k, v in FIELDS.items()}


class _EntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    patient_id: str
    encounter_id: str | None
    version: int
    state: State
    recorded_by: str | None
    sources: list[dict[str, Any]]
    created_at: datetime
    updated_at: datetime


def _read(base: type[_In]) -> type[BaseModel]:
    fields: dict[str, Any] = {
        name: (_optional(info.annotation), None)
        for name, info in base.model_fields.items()
        if name != "encounter_id"
    }
    return create_model(base.__name__.replace("Fields", "Read"), __base__=_EntryOut, **fields)


READ: dict[str, type[BaseModel]] = {k: _read(v) for k, v in FIELDS.items()}


class DecisionIn(_In):
    """A clinician's decision on a proposed entry."""

    reason: str | None = Field(default=None, max_length=2000)


class AcceptAllIn(_In):
    note_id: str | None = Field(
        default=None, max_length=36, description="Only the entries proposed from this note."
    )


class AcknowledgeIn(_In):
    pair_key: str = Field(min_length=3, max_length=255)
    reason: str = Field(min_length=1, max_length=2000)


class AlertRead(BaseModel):
    pair_key: str
    kind: str
    drug_a: str
    drug_b: str
    severity: str
    mechanism: str
    reference: str
    source: dict[str, str]
    acknowledged: bool
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = None


class InteractionsRead(BaseModel):
    alerts: list[AlertRead]
    unresolved: list[str] = Field(description="Medication names the checker could not resolve.")
    pairs_checked: int


class SummaryRead(BaseModel):
    patient_id: str
    latest_vitals: list[dict[str, Any]]
    active_problems: list[dict[str, Any]]
    active_medications: list[dict[str, Any]]
    allergies: list[dict[str, Any]]
    open_orders: list[dict[str, Any]]
    alerts: list[AlertRead]
    pending_review: int = Field(description="Proposed entries waiting for a clinician.")
