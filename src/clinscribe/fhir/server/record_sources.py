"""The clinical record's entries as FHIR: Observation, Condition, MedicationStatement,
MedicationRequest, ServiceRequest, AllergyIntolerance, CarePlan and Consent.

Only `active` entries are served (a clinician accepted them; `clinical.queries.scoped`).
Every resource carries `meta.versionId` (the entry's version) and literal references.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, case, literal

from clinscribe.clinical import queries
from clinscribe.db.models import (
    AllergyEntry,
    CarePlan,
    ClinicalObservation,
    ConditionEntry,
    Consent,
    MedicationEntry,
    ServiceOrder,
)
from clinscribe.db.models.clinical import RecordMixin
from clinscribe.fhir.core import record_resources as mapping
from clinscribe.fhir.core.codes import (
    CONDITION_CATEGORY,
    CONDITION_CLINICAL,
    CONDITION_VERIFICATION,
    ICD10CM,
    LOINC,
    OBSERVATION_CATEGORY,
    RXNORM,
)
from clinscribe.fhir.core.ids import JsonDict
from clinscribe.fhir.server.query import DateField, TokenField
from clinscribe.fhir.server.sources import Context, Source
from clinscribe.security.principal import Principal


def _active(model: type[RecordMixin]) -> Any:
    def base(principal: Principal) -> Select[Any]:
        return queries.scoped(model, principal.tenant_id)

    return base


def _status(resource: str) -> str:
    return f"http://hl7.org/fhir/{resource}"


_MED_STATUS = _status("CodeSystem/medication-statement-status")
_RX_STATUS = _status("CodeSystem/medicationrequest-status")
_RX_INTENT = _status("CodeSystem/medicationrequest-intent")


def _meds(kind: str) -> Any:
    def base(principal: Principal) -> Select[Any]:
        return queries.scoped(MedicationEntry, principal.tenant_id).where(
            MedicationEntry.kind == kind
        )

    return base


def _render(fn: Any) -> Any:
    def render(ctx: Context, row: Any) -> JsonDict:
        return fn(row)  # type: ignore[no-any-return]

    return render


OBSERVATION = Source(
    base=_active(ClinicalObservation),
    id=ClinicalObservation.id,
    patient=ClinicalObservation.patient_id,
    fields={
        "code": TokenField(ClinicalObservation.code, LOINC),
        "category": TokenField(ClinicalObservation.category, OBSERVATION_CATEGORY),
        "date": DateField(ClinicalObservation.effective_at),
        "status": TokenField(ClinicalObservation.status, _status("observation-status")),
    },
    order=(ClinicalObservation.effective_at.desc(), ClinicalObservation.id),
    render=_render(mapping.observation),
)
CONDITION = Source(
    base=_active(ConditionEntry),
    id=ConditionEntry.id,
    patient=ConditionEntry.patient_id,
    fields={
        "code": TokenField(ConditionEntry.code, ICD10CM),
        "clinical-status": TokenField(ConditionEntry.clinical_status, CONDITION_CLINICAL),
        "verification-status": TokenField(
            ConditionEntry.verification_status, CONDITION_VERIFICATION
        ),
        "onset-date": DateField(ConditionEntry.onset_date, "day"),
        "category": TokenField(literal("problem-list-item"), CONDITION_CATEGORY),
    },
    order=(ConditionEntry.created_at, ConditionEntry.id),
    render=_render(mapping.condition),
)
MEDICATION_STATEMENT = Source(
    base=_meds("statement"),
    id=MedicationEntry.id,
    patient=MedicationEntry.patient_id,
    fields={
        "code": TokenField(MedicationEntry.rxnorm, RXNORM),
        "status": TokenField(
            MedicationEntry.status, _status("CodeSystem/medication-statement-status")
        ),
        "effective": DateField(MedicationEntry.authored_at),
    },
    order=(MedicationEntry.created_at, MedicationEntry.id),
    render=_render(mapping.medication_statement),
)
MEDICATION_REQUEST = Source(
    base=_meds("request"),
    id=MedicationEntry.id,
    patient=MedicationEntry.patient_id,
    fields={
        "code": TokenField(MedicationEntry.rxnorm, RXNORM),
        "status": TokenField(
            MedicationEntry.status, _status("CodeSystem/medicationrequest-status")
        ),
        "intent": TokenField(
            MedicationEntry.intent, _status("CodeSystem/medicationrequest-intent")
        ),
        "authoredon": DateField(MedicationEntry.authored_at),
    },
    order=(MedicationEntry.created_at, MedicationEntry.id),
    render=_render(mapping.medication_request),
)
SERVICE_REQUEST = Source(
    base=_active(ServiceOrder),
    id=ServiceOrder.id,
    patient=ServiceOrder.patient_id,
    fields={
        # Each order names its own code system.
        "code": TokenField(ServiceOrder.code, system_column=ServiceOrder.code_system),
        # By SNOMED CT concept, or by our own category code (`category=referral`).
        "category": [
            TokenField(
                case(
                    *(
                        (ServiceOrder.category == key, literal(code))
                        for key, (code, _) in mapping.ORDER_CATEGORIES.items()
                    ),
                    else_=literal(None),
                ),
                mapping.ORDER_CATEGORY_SYSTEM,
            ),
            TokenField(ServiceOrder.category, mapping.ORDER_CATEGORY_OWN),
        ],
        "status": TokenField(ServiceOrder.status, _status("request-status")),
        "intent": TokenField(ServiceOrder.intent, _status("request-intent")),
        "authored": DateField(ServiceOrder.authored_at),
    },
    order=(ServiceOrder.created_at, ServiceOrder.id),
    render=_render(mapping.service_request),
)
ALLERGY = Source(
    base=_active(AllergyEntry),
    id=AllergyEntry.id,
    patient=AllergyEntry.patient_id,
    fields={
        "code": TokenField(AllergyEntry.code, None),
        "category": TokenField(AllergyEntry.category, _status("allergy-intolerance-category")),
        "clinical-status": TokenField(AllergyEntry.clinical_status, mapping.ALLERGY_CLINICAL),
        "verification-status": TokenField(
            AllergyEntry.verification_status, mapping.ALLERGY_VERIFICATION
        ),
        "date": DateField(AllergyEntry.created_at),
    },
    order=(AllergyEntry.created_at, AllergyEntry.id),
    render=_render(mapping.allergy),
)
CARE_PLAN = Source(
    base=_active(CarePlan),
    id=CarePlan.id,
    patient=CarePlan.patient_id,
    fields={
        "status": TokenField(CarePlan.status, _status("request-status")),
        "date": DateField(CarePlan.period_start, "day"),
    },
    order=(CarePlan.created_at, CarePlan.id),
    render=_render(mapping.care_plan),
)
CONSENT = Source(
    base=_active(Consent),
    id=Consent.id,
    patient=Consent.patient_id,
    fields={
        "status": TokenField(Consent.status, _status("consent-state-codes")),
        "category": TokenField(Consent.category, mapping.CONSENT_CATEGORY),
        "date": DateField(Consent.created_at),
    },
    order=(Consent.created_at, Consent.id),
    render=_render(mapping.consent),
)
