"""Checks on a whole record entry (after a create or an edit is merged), and its lifecycle.

`problems(resource, values)` lists what is wrong as "field: message" lines; the service turns a
non-empty list into one 422. `accepted(resource, values)` gives the field changes a clinician's
acceptance makes (a proposed draft order becomes an active order), `in_error(resource)` the
fields that mark an entry entered-in-error.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from clinscribe.clinical.core.vocab import (
    UNITS_BY_CODE,
    icd10cm_problem,
    loinc_problem,
    rxnorm_problem,
    unit_problem,
)

STATEMENT_STATUSES: Final = ("active", "completed", "stopped", "intended", "entered-in-error")
REQUEST_STATUSES: Final = (
    "draft",
    "active",
    "on-hold",
    "cancelled",
    "completed",
    "stopped",
    "entered-in-error",
)
LOINC_URI: Final = "http://loinc.org"


def _observation(v: Mapping[str, Any]) -> list[str]:
    out: list[str] = []
    code = v.get("code")
    if code:
        why = loinc_problem(code)
        if why:
            out.append(f"code: {why}")
    if v.get("value_quantity") is None and not v.get("value_text"):
        out.append("value_quantity: an observation needs a value_quantity or a value_text")
    unit = v.get("unit")
    if unit:
        why = unit_problem(unit, code)
        if why:
            out.append(f"unit: {why}")
    elif v.get("value_quantity") is not None and code and _needs_unit(code):
        out.append("unit: a measured vital sign needs its UCUM unit")
    low, high = v.get("ref_low"), v.get("ref_high")
    if low is not None and high is not None and low > high:
        out.append("ref_low: the reference range's low end is above its high end")
    if v.get("effective_at") is None:
        out.append("effective_at: an observation needs the time it was made")
    elif _aware(v["effective_at"]) > datetime.now(UTC) + timedelta(days=1):
        out.append("effective_at: lies in the future")
    return out


def _needs_unit(code: str) -> bool:
    return code in UNITS_BY_CODE


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _medication(v: Mapping[str, Any]) -> list[str]:
    out: list[str] = []
    kind = v.get("kind", "statement")
    allowed = STATEMENT_STATUSES if kind == "statement" else REQUEST_STATUSES
    if v.get("status") not in allowed:
        out.append(f"status: a medication {kind} status is one of {', '.join(allowed)}")
    if kind == "statement" and v.get("intent") is not None:
        out.append("intent: only a medication request has an intent")
    if kind == "request" and v.get("intent") is None:
        out.append("intent: a medication request needs an intent (proposal, plan or order)")
    rxnorm = v.get("rxnorm")
    if rxnorm:
        why = rxnorm_problem(rxnorm)
        if why:
            out.append(f"rxnorm: {why}")
    if not str(v.get("drug") or "").strip():
        out.append("drug: a medication needs the drug's name")
    return out


def _order(v: Mapping[str, Any]) -> list[str]:
    out: list[str] = []
    code, system = v.get("code"), v.get("code_system")
    if code and system == LOINC_URI:
        why = loinc_problem(code)
        if why:
            out.append(f"code: {why}")
    if system and not str(system).startswith(("http://", "https://", "urn:")):
        out.append("code_system: must be a URI (http://loinc.org, http://snomed.info/sct...)")
    if code and not system:
        out.append("code_system: a coded order needs the code's system URI")
    return out


def _condition(v: Mapping[str, Any]) -> list[str]:
    out: list[str] = []
    code = v.get("code")
    if code:
        why = icd10cm_problem(code)
        if why:
            out.append(f"code: {why}")
    onset, abated = v.get("onset_date"), v.get("abatement_date")
    if onset and abated and abated < onset:
        out.append("abatement_date: lies before the onset_date")
    if abated and v.get("clinical_status") in ("active", "recurrence", "relapse"):
        out.append("abatement_date: an abated condition cannot be active")
    return out


def _allergy(v: Mapping[str, Any]) -> list[str]:
    if not str(v.get("substance") or "").strip():
        return ["substance: an allergy needs the substance"]
    return []


def _period(v: Mapping[str, Any]) -> list[str]:
    start, end = v.get("period_start"), v.get("period_end")
    if start is not None and end is not None and end < start:
        return ["period_end: lies before period_start"]
    return []


def _care_plan(v: Mapping[str, Any]) -> list[str]:
    out = _period(v)
    for i, goal in enumerate(v.get("goals") or []):
        measure = goal.get("measure")
        if measure:
            why = loinc_problem(measure)
            if why:
                out.append(f"goals.{i}.measure: {why}")
        unit = goal.get("target_unit")
        if unit:
            why = unit_problem(unit, measure)
            if why:
                out.append(f"goals.{i}.target_unit: {why}")
    return out


_CHECKS = {
    "observation": _observation,
    "medication": _medication,
    "order": _order,
    "allergy": _allergy,
    "condition": _condition,
    "care_plan": _care_plan,
    "consent": _period,
}


def problems(resource: str, values: Mapping[str, Any]) -> list[str]:
    """What is wrong with this entry as a whole ("field: message" lines; empty when valid)."""
    return _CHECKS[resource](values)


def default_status(resource: str, values: Mapping[str, Any]) -> str | None:
    """The status a new entry gets when none was sent (medications depend on their kind)."""
    if resource == "medication" and values.get("status") is None:
        return "draft" if values.get("kind") == "request" else "active"
    return None


def accepted(resource: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """Field changes a clinician's acceptance makes besides `state` (confirming a draft)."""
    if resource == "order" and values.get("status") == "draft":
        return {"status": "active", "intent": "order"}
    if resource == "medication" and (values.get("kind"), values.get("status")) == (
        "request",
        "draft",
    ):
        return {"status": "active", "intent": "order"}
    if resource == "care_plan" and values.get("status") == "draft":
        return {"status": "active"}
    if resource == "consent" and values.get("status") in ("draft", "proposed"):
        return {"status": "active"}
    return {}


def in_error(resource: str) -> dict[str, str]:
    """The fields that mark an entry entered-in-error."""
    if resource in ("allergy", "condition"):
        return {"verification_status": "entered-in-error"}
    return {"status": "entered-in-error"}


def is_in_error(resource: str, values: Mapping[str, Any]) -> bool:
    return all(values.get(k) == v for k, v in in_error(resource).items())
