"""Clinical record entries as FHIR R4 resources (pure: any object with the entry's attributes,
in practice a record row, see the shared record data model).

Dosage text and structure come from the delivery mapping's `dosage`, so a medication reads the
same whether it was delivered with a note or read back from the record.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from clinscribe.fhir.core.clinical import dosage
from clinscribe.fhir.core.codes import (
    CONDITION_CATEGORY,
    CONDITION_CLINICAL,
    CONDITION_VERIFICATION,
    ICD10CM,
    LOINC,
    OBSERVATION_CATEGORY,
    RXNORM,
    UCUM,
)
from clinscribe.fhir.core.ids import JsonDict
from clinscribe.fhir.core.read_resources import instant, ref
from clinscribe.fhir.core.schemas import Entity, MedicationAttributes

ALLERGY_CLINICAL = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
ALLERGY_VERIFICATION = "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification"
ORDER_CATEGORY_SYSTEM = "http://snomed.info/sct"
ORDER_CATEGORY_OWN = "urn:clinscribe:order-category"
CONSENT_CATEGORY = "urn:clinscribe:consent-category"
_CONSENT_SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"
_INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
_INTERPRETATIONS = {"H": "High", "L": "Low", "N": "Normal", "A": "Abnormal"}
_OBS_CATEGORIES = {"vital-signs", "laboratory", "exam", "social-history"}
# ServiceRequest category: SNOMED CT concepts of the R4 example value set.
ORDER_CATEGORIES = {
    "laboratory": ("108252007", "Laboratory procedure"),
    "imaging": ("363679005", "Imaging"),
    "referral": ("3457005", "Patient referral"),
    "procedure": ("387713003", "Surgical procedure"),
}
_GOAL_STATUSES = {
    "proposed",
    "planned",
    "accepted",
    "active",
    "on-hold",
    "completed",
    "cancelled",
    "entered-in-error",
    "rejected",
}
_ACTIVITY_STATUSES = {
    "not-started",
    "scheduled",
    "in-progress",
    "on-hold",
    "completed",
    "cancelled",
    "stopped",
    "unknown",
    "entered-in-error",
}


def _base(resource_type: str, row: Any, subject_key: str = "subject") -> JsonDict:
    resource: JsonDict = {"resourceType": resource_type, "id": row.id}
    meta: JsonDict = {"versionId": str(row.version)}
    if row.updated_at is not None:
        meta["lastUpdated"] = instant(row.updated_at)
    resource["meta"] = meta
    resource[subject_key] = ref("Patient", row.patient_id)
    return resource


def _encounter(resource: JsonDict, row: Any, key: str = "encounter") -> None:
    if row.encounter_id:
        resource[key] = ref("Encounter", row.encounter_id)


def _concept(system: str | None, code: str | None, text: str | None) -> JsonDict:
    out: JsonDict = {}
    if code:
        out["coding"] = [{**({"system": system} if system else {}), "code": code, **_display(text)}]
    if text:
        out["text"] = text
    return out or {"text": "unspecified"}


def _display(text: str | None) -> JsonDict:
    return {"display": text} if text else {}


def _coded(system: str, code: str) -> JsonDict:
    return {"coding": [{"system": system, "code": code}]}


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def observation(row: Any) -> JsonDict:
    """An Observation: LOINC code, UCUM quantity (or text), range, interpretation, time."""
    resource = _base("Observation", row)
    resource["status"] = row.status
    category = row.category
    resource["category"] = [
        _coded(OBSERVATION_CATEGORY, category)
        if category in _OBS_CATEGORIES
        else {"text": category}
    ]
    resource["code"] = _concept(LOINC, row.code, row.display)
    _encounter(resource, row)
    if row.effective_at is not None:
        resource["effectiveDateTime"] = instant(row.effective_at)
    if row.value_quantity is not None:
        quantity: JsonDict = {"value": row.value_quantity}
        if row.unit_text or row.unit:
            quantity["unit"] = row.unit_text or row.unit
        if row.unit:
            quantity.update(system=UCUM, code=row.unit)
        resource["valueQuantity"] = quantity
    elif row.value_text:
        resource["valueString"] = row.value_text
    if row.interpretation in _INTERPRETATIONS:
        code = row.interpretation
        resource["interpretation"] = [
            {
                "coding": [
                    {"system": _INTERPRETATION, "code": code, "display": _INTERPRETATIONS[code]}
                ]
            }
        ]
    bounds = {
        k: {"value": v, **({"system": UCUM, "code": row.unit} if row.unit else {})}
        for k, v in (("low", row.ref_low), ("high", row.ref_high))
        if v is not None
    }
    if bounds:
        resource["referenceRange"] = [bounds]
    return resource


def condition(row: Any) -> JsonDict:
    """A Condition (problem-list item): ICD-10-CM code, statuses, onset and abatement."""
    resource = _base("Condition", row)
    # con-5: an entry in error carries no clinical status.
    if row.verification_status != "entered-in-error":
        resource["clinicalStatus"] = _coded(CONDITION_CLINICAL, row.clinical_status)
    resource["verificationStatus"] = _coded(CONDITION_VERIFICATION, row.verification_status)
    resource["category"] = [_coded(CONDITION_CATEGORY, "problem-list-item")]
    resource["code"] = _concept(ICD10CM, row.code, row.display)
    _encounter(resource, row)
    if (onset := _day(row.onset_date)) is not None:
        resource["onsetDateTime"] = onset
    if (abated := _day(row.abatement_date)) is not None:
        resource["abatementDateTime"] = abated
    resource["recordedDate"] = instant(row.created_at)
    return resource


def _medication(row: Any) -> JsonDict:
    return _concept(RXNORM, row.rxnorm, row.drug)


def _dosage(row: Any) -> JsonDict | None:
    attributes = MedicationAttributes(
        dosage=row.dose, route=row.route, frequency=row.frequency, duration=row.duration
    )
    return dosage(Entity(text=row.drug, category="MEDICATION", attributes=attributes))


def _note(resource: JsonDict, text: str | None) -> None:
    if text:
        resource["note"] = [{"text": text}]


def medication_statement(row: Any) -> JsonDict:
    """A MedicationStatement: drug (RxNorm when known), status, dosage as stated."""
    resource = _base("MedicationStatement", row)
    resource["status"] = row.status
    resource["medicationCodeableConcept"] = _medication(row)
    _encounter(resource, row, "context")
    asserted: datetime | None = row.authored_at or row.created_at
    if asserted is not None:
        resource["dateAsserted"] = instant(asserted)
    if (dose := _dosage(row)) is not None:
        resource["dosage"] = [dose]
    _note(resource, row.note)
    return resource


def medication_request(row: Any) -> JsonDict:
    """A MedicationRequest: drug, status, intent, authored time, dosage instruction."""
    resource = _base("MedicationRequest", row)
    resource["status"] = row.status
    resource["intent"] = row.intent or "proposal"
    resource["medicationCodeableConcept"] = _medication(row)
    _encounter(resource, row)
    if row.authored_at is not None:
        resource["authoredOn"] = instant(row.authored_at)
    if (dose := _dosage(row)) is not None:
        resource["dosageInstruction"] = [dose]
    _note(resource, row.note)
    return resource


def service_request(row: Any) -> JsonDict:
    """A ServiceRequest: category, code in its own system, status, intent, priority, plan."""
    resource = _base("ServiceRequest", row)
    resource["status"] = row.status
    resource["intent"] = row.intent
    resource["priority"] = row.priority
    code, display = ORDER_CATEGORIES.get(row.category, (None, None))
    resource["category"] = [
        {
            "coding": [
                {"system": ORDER_CATEGORY_SYSTEM, "code": code, "display": display},
                {"system": ORDER_CATEGORY_OWN, "code": row.category},
            ],
            "text": row.category,
        }
        if code
        else {"coding": [{"system": ORDER_CATEGORY_OWN, "code": row.category}]}
    ]
    resource["code"] = _concept(row.code_system, row.code, row.display)
    _encounter(resource, row)
    if row.care_plan_id:
        resource["basedOn"] = [ref("CarePlan", row.care_plan_id)]
    if row.occurrence_at is not None:
        resource["occurrenceDateTime"] = instant(row.occurrence_at)
    if row.authored_at is not None:
        resource["authoredOn"] = instant(row.authored_at)
    if row.reason:
        resource["reasonCode"] = [{"text": row.reason}]
    return resource


def allergy(row: Any) -> JsonDict:
    """An AllergyIntolerance: substance, category, criticality, statuses, reaction."""
    resource = _base("AllergyIntolerance", row, "patient")
    # ait-2: an entry in error carries no clinical status.
    if row.verification_status != "entered-in-error":
        resource["clinicalStatus"] = _coded(ALLERGY_CLINICAL, row.clinical_status)
    resource["verificationStatus"] = _coded(ALLERGY_VERIFICATION, row.verification_status)
    resource["category"] = [row.category]
    if row.criticality:
        resource["criticality"] = row.criticality
    resource["code"] = _concept(None, row.code, row.substance)
    _encounter(resource, row)
    resource["recordedDate"] = instant(row.created_at)
    if row.reaction:
        reaction: JsonDict = {"manifestation": [{"text": row.reaction}]}
        if row.severity:
            reaction["severity"] = row.severity
        resource["reaction"] = [reaction]
    return resource


def _goal(index: int, goal: dict[str, Any], patient_id: str) -> JsonDict:
    status = goal.get("status")
    resource: JsonDict = {
        "resourceType": "Goal",
        "id": f"goal{index}",
        "lifecycleStatus": status if status in _GOAL_STATUSES else "active",
        "description": {"text": str(goal.get("description") or "goal")},
        "subject": ref("Patient", patient_id),
    }
    target: JsonDict = {}
    if goal.get("measure"):
        target["measure"] = _coded(LOINC, str(goal["measure"]))
    if isinstance(goal.get("target_value"), int | float) and not isinstance(
        goal.get("target_value"), bool
    ):
        quantity: JsonDict = {"value": goal["target_value"]}
        if goal.get("target_unit"):
            quantity.update(
                unit=str(goal["target_unit"]), system=UCUM, code=str(goal["target_unit"])
            )
        target["detailQuantity"] = quantity
    elif goal.get("target_value") not in (None, ""):
        target["detailString"] = str(goal["target_value"])
    if goal.get("due_date"):
        target["dueDate"] = str(goal["due_date"])[:10]
    if target:
        resource["target"] = [target]
    return resource


def care_plan(row: Any) -> JsonDict:
    """A CarePlan: goals as contained Goals, activities (linked orders by reference)."""
    resource = _base("CarePlan", row)
    resource["status"] = row.status
    resource["intent"] = "plan"
    resource["title"] = row.title
    if row.description:
        resource["description"] = row.description
    _encounter(resource, row)
    period = {
        k: v for k, v in (("start", _day(row.period_start)), ("end", _day(row.period_end))) if v
    }
    if period:
        resource["period"] = period
    goals = [_goal(i, g, row.patient_id) for i, g in enumerate(row.goals, 1)]
    if goals:
        resource["contained"] = goals
        resource["goal"] = [{"reference": f"#{g['id']}"} for g in goals]
    activities: list[JsonDict] = []
    for activity in row.activities:
        if activity.get("order_id"):
            activities.append({"reference": ref("ServiceRequest", str(activity["order_id"]))})
            continue
        status = activity.get("status")
        detail: JsonDict = {"status": status if status in _ACTIVITY_STATUSES else "unknown"}
        if activity.get("description"):
            detail["description"] = str(activity["description"])
        activities.append({"detail": detail})
    if activities:
        resource["activity"] = activities
    return resource


def consent(row: Any) -> JsonDict:
    """A Consent: scope, category, who granted it, its period, opt-in."""
    resource = _base("Consent", row, "patient")
    resource["status"] = row.status
    resource["scope"] = _coded(_CONSENT_SCOPE, row.scope)
    resource["category"] = [{**_coded(CONSENT_CATEGORY, row.category), "text": row.category}]
    resource["dateTime"] = instant(row.created_at)
    resource["performer"] = [{"display": row.granted_by}]
    resource["policyRule"] = _coded("http://terminology.hl7.org/CodeSystem/v3-ActCode", "OPTIN")
    period = {k: instant(v) for k, v in (("start", row.period_start), ("end", row.period_end)) if v}
    if period:
        resource["provision"] = {"period": period}
    return resource
