"""Resources the read API serves that the delivery mapping has no shape for: Patient and
Encounter, and the literal references (`Patient/<id>`) a server's own resources carry."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from clinscribe.fhir.core.ids import JsonDict

ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
_CLASSES = {
    "ambulatory": ("AMB", "ambulatory"),
    "emergency": ("EMER", "emergency"),
    "inpatient": ("IMP", "inpatient encounter"),
    "telehealth": ("VR", "virtual"),
    "home": ("HH", "home health"),
}


def ref(resource_type: str, resource_id: str) -> JsonDict:
    """A literal reference to a resource of this server."""
    return {"reference": f"{resource_type}/{resource_id}"}


def instant(value: datetime) -> str:
    """A FHIR instant/dateTime in UTC with seconds."""
    return value.astimezone(UTC).isoformat(timespec="seconds")


def patient(
    *,
    id: str,
    identifier: JsonDict,
    given: str,
    family: str,
    sex: str,
    birth_date: date | None,
    phone: str | None,
    email: str | None,
    updated: datetime | None,
) -> JsonDict:
    """A Patient: MRN identifier, name, administrative gender, birth date, contact points."""
    resource: JsonDict = {
        "resourceType": "Patient",
        "id": id,
        "identifier": [identifier],
        "name": [{"family": family, "given": [given]} if given else {"family": family}],
        "gender": sex if sex in ("female", "male", "other", "unknown") else "unknown",
    }
    if updated is not None:
        resource["meta"] = {"lastUpdated": instant(updated)}
    if birth_date is not None:
        resource["birthDate"] = birth_date.isoformat()
    telecom = [
        {"system": system, "value": value}
        for system, value in (("phone", phone), ("email", email))
        if value
    ]
    if telecom:
        resource["telecom"] = telecom
    return resource


def encounter(
    *,
    id: str,
    patient_id: str,
    status: str,
    kind: str,
    started: datetime | None,
    ended: datetime | None,
    reason: str | None,
) -> JsonDict:
    """An Encounter: status, class, subject, period and the stated reason."""
    code, display = _CLASSES.get(kind, _CLASSES["ambulatory"])
    resource: JsonDict = {
        "resourceType": "Encounter",
        "id": id,
        "status": status,
        "class": {"system": ACT_CODE, "code": code, "display": display},
        "subject": ref("Patient", patient_id),
    }
    period = {k: instant(v) for k, v in (("start", started), ("end", ended)) if v is not None}
    if period:
        resource["period"] = period
    if reason:
        resource["reasonCode"] = [{"text": reason}]
    return resource


def served(resource: JsonDict, resource_id: str, **references: Any) -> JsonDict:
    """A mapped resource as this server serves it: its id, and references replaced by
    literal ones (`subject=ref("Patient", id)`); a None value removes the element."""
    out = {"resourceType": resource["resourceType"], "id": resource_id}
    out.update({k: v for k, v in resource.items() if k not in ("resourceType", "id")})
    for key, value in references.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out
