"""Derived clinical resources: vital-sign Observations, Conditions, MedicationStatements."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import NamedTuple

from clinscribe.fhir.core.codes import (
    BP_DIASTOLIC,
    BP_SYSTOLIC,
    CONDITION_CATEGORY,
    CONDITION_CLINICAL,
    CONDITION_VERIFICATION,
    DOSE_UNITS,
    FREQUENCIES,
    ICD10CM,
    LOINC,
    OBSERVATION_CATEGORY,
    ROUTES,
    RXNORM,
    SNOMED,
    SPO2_CORE,
    UCUM,
    UCUM_DISPLAY,
    VITALS,
    Concept,
    ucum,
)
from clinscribe.fhir.core.documents import codeable
from clinscribe.fhir.core.ids import JsonDict, Keyed, clinician_reference, conditional_reference
from clinscribe.fhir.core.schemas import Entity, SignedNote, Vital

KeyFn = Callable[[str], Keyed]
_SKIP_CONDITION = frozenset({"NEGATION", "HYPOTHETICAL", "FAMILY_HISTORY"})
_SKIP_MEDICATION = frozenset({"NEGATION", "HYPOTHETICAL"})
_DOSE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]+)\b")


class Item(NamedTuple):
    """One derived resource with its stable entry key."""

    keyed: Keyed
    resource_type: str
    resource: JsonDict


def _quantity(value: float, unit: str) -> JsonDict:
    code = ucum(unit)
    number: int | float = int(value) if float(value).is_integer() else value
    return {"value": number, "unit": UCUM_DISPLAY.get(code, code), "system": UCUM, "code": code}


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


def _observation(
    note: SignedNote, vital: Vital, keyed: Keyed, doc_url: str, profiles: bool
) -> JsonDict:
    spec = VITALS[vital.type]
    coding = [{"system": LOINC, "code": spec.concept.code, "display": spec.concept.display}]
    if vital.type == "oxygen_saturation":
        coding.append({"system": LOINC, "code": SPO2_CORE.code, "display": SPO2_CORE.display})
    category = {"coding": [{"system": OBSERVATION_CATEGORY, "code": spec.category}]}
    resource: JsonDict = {
        "resourceType": "Observation",
        "identifier": [keyed.identifier],
        "status": "final",
        "category": [category],
        "code": {"coding": coding, "text": spec.concept.display},
        "subject": conditional_reference("Patient", note.patient),
        "encounter": conditional_reference("Encounter", note.encounter),
        "effectiveDateTime": note.observed_at.isoformat(),
        "issued": note.signed_at.isoformat(),
        "performer": [clinician_reference(note.author)],
        "derivedFrom": [{"reference": doc_url}],
    }
    if profiles and spec.profile:
        resource["meta"] = {"profile": [spec.profile]}
    if vital.type == "blood_pressure":
        resource["component"] = [
            {"code": codeable(LOINC, concept), "valueQuantity": _quantity(value, "mm[Hg]")}
            for concept, value in ((BP_SYSTOLIC, vital.systolic), (BP_DIASTOLIC, vital.diastolic))
            if value is not None
        ]
    elif vital.value is not None:
        resource["valueQuantity"] = _quantity(vital.value, vital.unit)
    return resource


def observations(
    note: SignedNote, key: KeyFn, doc_url: str, *, profiles: bool = False
) -> Iterator[Item]:
    """One Observation per recognised vital sign (BP as a panel of two components)."""
    seen: set[str] = set()
    for vital in note.vitals:
        if vital.type not in VITALS:
            continue
        has_value = vital.value is not None or (
            vital.type == "blood_pressure" and (vital.systolic, vital.diastolic) != (None, None)
        )
        if not has_value:
            continue
        # Keyed by type and occurrence, so re-extraction of the same text keeps its keys.
        n = sum(1 for k in seen if k.startswith(f"vital:{vital.type}:"))
        item_key = f"vital:{vital.type}:{n}"
        seen.add(item_key)
        keyed = key(item_key)
        yield Item(keyed, "Observation", _observation(note, vital, keyed, doc_url, profiles))


def _coded(entity: Entity, system: str) -> list[JsonDict]:
    return [
        {"system": c.system, "code": c.code, **({"display": c.display} if c.display else {})}
        for c in entity.codes
        if c.system == system
    ]


def _entity_key(kind: str, entity: Entity, system: str) -> str:
    codes = sorted(c.code for c in entity.codes if c.system == system)
    return f"{kind}:code:{codes[0]}" if codes else f"{kind}:text:{_slug(entity.text)}"


def conditions(note: SignedNote, key: KeyFn, doc_url: str) -> Iterator[Item]:
    """Conditions for asserted findings (negated, hypothetical and family ones are skipped)."""
    seen: set[str] = set()
    for entity in note.entities:
        traits = set(entity.traits)
        if entity.category != "MEDICAL_CONDITION" or traits & _SKIP_CONDITION:
            continue
        item_key = _entity_key("condition", entity, ICD10CM)
        if item_key in seen:
            continue
        seen.add(item_key)
        keyed = key(item_key)
        confirmed = "DIAGNOSIS" in traits and "UNCERTAIN" not in traits
        verification = "confirmed" if confirmed else "provisional"
        code: JsonDict = {"text": entity.text}
        if coding := _coded(entity, ICD10CM):
            code["coding"] = coding
        resource: JsonDict = {
            "resourceType": "Condition",
            "identifier": [keyed.identifier],
            "verificationStatus": codeable(
                CONDITION_VERIFICATION, Concept(verification, verification.capitalize())
            ),
            "category": [
                codeable(CONDITION_CATEGORY, Concept("encounter-diagnosis", "Encounter Diagnosis"))
            ],
            "code": code,
            "subject": conditional_reference("Patient", note.patient),
            "encounter": conditional_reference("Encounter", note.encounter),
            "recordedDate": note.signed_at.isoformat(),
            "recorder": clinician_reference(note.author),
            "evidence": [{"detail": [{"reference": doc_url}]}],
        }
        # A past condition may or may not be active: say nothing rather than guess.
        if "HISTORICAL" not in traits:
            resource["clinicalStatus"] = codeable(CONDITION_CLINICAL, Concept("active", "Active"))
        yield Item(keyed, "Condition", resource)


def dosage(entity: Entity) -> JsonDict | None:
    """A FHIR Dosage from medication attributes (None when nothing was said)."""
    attrs = entity.attributes
    if attrs is None or not any((attrs.dosage, attrs.route, attrs.frequency, attrs.duration)):
        return None
    parts = [p for p in (attrs.dosage, attrs.route, attrs.frequency) if p]
    if attrs.duration:
        parts.append(f"for {attrs.duration}")
    out: JsonDict = {"text": " ".join(parts)}
    if attrs.frequency:
        timing: JsonDict = {"code": {"text": attrs.frequency}}
        if (freq := FREQUENCIES.get(attrs.frequency.strip().lower())) is not None:
            times, period, unit = freq
            timing["repeat"] = {"frequency": times, "period": period, "periodUnit": unit}
        out["timing"] = timing
    if attrs.route:
        route = ROUTES.get(attrs.route.strip().lower())
        out["route"] = (
            codeable(SNOMED, route, attrs.route) if route is not None else {"text": attrs.route}
        )
    if attrs.dosage and (m := _DOSE.match(attrs.dosage)):
        dose_unit = DOSE_UNITS.get(m.group(2).lower())
        if dose_unit is not None:
            num = float(m.group(1))
            value: int | float = int(num) if num.is_integer() else num
            dose = {"value": value, "unit": m.group(2), "system": UCUM, "code": dose_unit}
            out["doseAndRate"] = [{"doseQuantity": dose}]
    return out


def medication_statements(note: SignedNote, key: KeyFn, doc_url: str) -> Iterator[Item]:
    """MedicationStatements for medications the patient takes (negated ones are skipped)."""
    seen: set[str] = set()
    for entity in note.entities:
        traits = set(entity.traits)
        if entity.category != "MEDICATION" or traits & _SKIP_MEDICATION:
            continue
        item_key = _entity_key("medication", entity, RXNORM)
        if item_key in seen:
            continue
        seen.add(item_key)
        keyed = key(item_key)
        medication: JsonDict = {"text": entity.text}
        if coding := _coded(entity, RXNORM):
            medication["coding"] = coding
        resource: JsonDict = {
            "resourceType": "MedicationStatement",
            "identifier": [keyed.identifier],
            "status": "completed" if "HISTORICAL" in traits else "active",
            "medicationCodeableConcept": medication,
            "subject": conditional_reference("Patient", note.patient),
            "context": conditional_reference("Encounter", note.encounter),
            "dateAsserted": note.signed_at.isoformat(),
            "informationSource": clinician_reference(note.author),
            "derivedFrom": [{"reference": doc_url}],
        }
        if (dose := dosage(entity)) is not None:
            resource["dosage"] = [dose]
        yield Item(keyed, "MedicationStatement", resource)
