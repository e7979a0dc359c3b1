"""Record entries: list, get, create, edit (versioned), accept/reject, mark entered-in-error.

Tenant scoping is written once (`_patient` and `queries.scoped`): another tenant's patient or
entry reads as 404. Every change is audited and every clinician edit bumps `version`, keeping
the state before it (sealed) in `record_revisions`; an edit names the version it was made on
and a stale one is a 409. Only a clinician's decision makes an entry `active`: entries created
by anyone else (an admin, an API key, a device feed, a signed note, a document) are `proposed`.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime
from typing import Any, Literal

from sqlalchemy import Select, bindparam, func, inspect, select, union_all, update
from sqlalchemy.orm import Session

from clinscribe.audit import service as audit
from clinscribe.clinical import queries
from clinscribe.clinical.core import rules
from clinscribe.clinical.errors import StaleVersion, VersionRequired
from clinscribe.db.base import utcnow
from clinscribe.db.models import (
    RECORD_MODELS,
    CarePlan,
    Encounter,
    RecordMixin,
    RecordRevision,
    ServiceOrder,
)
from clinscribe.db.pagination import fetch_page
from clinscribe.errors import Conflict, NotFound, Unprocessable
from clinscribe.records import patients
from clinscribe.security.principal import Principal

DECIDE = "record:decide"
WRITE = "patients:write"
READ = "patients:read"
# Field names every record row has that a request never sets directly.
_SYSTEM = frozenset(
    {"id", "tenant_id", "patient_id", "version", "state", "recorded_by", "created_at"}
)
NAMES = {
    "observation": "observation",
    "medication": "medication",
    "order": "order",
    "allergy": "allergy",
    "condition": "condition",
    "care_plan": "care plan",
    "consent": "consent",
}


def model_of(resource: str) -> type[RecordMixin]:
    return RECORD_MODELS[resource]


def _patient(session: Session, principal: Principal, patient_id: str) -> None:
    patients.get(session=session, principal=principal, patient_id=patient_id, audit_read=False)


def _audit(session: Session, principal: Principal, action: str, resource: str, oid: str) -> None:
    audit.record(
        session,
        action=f"record.{resource}.{action}",
        principal=principal,
        object_type=resource,
        object_id=oid,
    )


def fields_of(row: RecordMixin, resource: str) -> dict[str, Any]:
    """The entry's editable fields as plain values (what a revision snapshot keeps)."""
    names = [c.key for c in inspect(type(row)).column_attrs]
    out: dict[str, Any] = {}
    for name in names:
        if name.endswith("_sealed"):
            name = name.removesuffix("_sealed")
            if name.endswith("_json"):
                name = name.removesuffix("_json")
        if name in _SYSTEM or name == "updated_at":
            continue
        out[name] = getattr(row, name)
    return out


def _jsonable(values: Mapping[str, Any]) -> dict[str, Any]:
    def conv(v: Any) -> Any:
        return v.isoformat() if isinstance(v, date | datetime) else v

    return {k: conv(v) for k, v in values.items()}


def list_entries(
    *,
    session: Session,
    principal: Principal,
    resource: str,
    patient_id: str,
    states: Collection[str] | None,
    limit: int,
    offset: int,
    where: Sequence[Any] = (),
    order: Sequence[Any] = (),
) -> tuple[Sequence[RecordMixin], int]:
    """One page of the patient's entries of this resource (every state unless `states`)."""
    principal.require(READ)
    _patient(session, principal, patient_id)
    model = model_of(resource)
    stmt: Select[Any] = queries.scoped(
        model, principal.tenant_id, patient_id=patient_id, states=states
    )
    stmt = stmt.where(*where).order_by(*order, model.created_at.desc(), model.id)
    rows, total = fetch_page(session, stmt, limit=limit, offset=offset)
    _audit(session, principal, "list", resource, patient_id)
    return rows, total


def get_entry(
    *,
    session: Session,
    principal: Principal,
    resource: str,
    patient_id: str,
    entry_id: str,
    audit_read: bool = True,
) -> RecordMixin:
    """One entry of the patient (any state), or 404; the read is audited unless told."""
    principal.require(READ)
    _patient(session, principal, patient_id)
    row = queries.get_entry(
        session, model_of(resource), principal.tenant_id, entry_id, patient_id=patient_id
    )
    if row is None:
        raise NotFound(f"{NAMES[resource]} not found")
    if audit_read:
        _audit(session, principal, "read", resource, row.id)
    return row


def _check(
    session: Session, tenant_id: str, patient_id: str, resource: str, values: Mapping[str, Any]
) -> None:
    found = rules.problems(resource, values)
    # Links must stay inside the patient's own record (never another tenant's or patient's).
    links: list[tuple[str, type[Any], str | None]] = [
        ("encounter_id", Encounter, values.get("encounter_id")),
        ("care_plan_id", CarePlan, values.get("care_plan_id")),
    ]
    for i, activity in enumerate(values.get("activities") or []):
        links.append((f"activities.{i}.order_id", ServiceOrder, activity.get("order_id")))
    for name, model, linked in links:
        if linked is None:
            continue
        row = session.get(model, linked)
        if row is None or (row.tenant_id, row.patient_id) != (tenant_id, patient_id):
            found.append(f"{name}: not one of this patient's")
    if found:
        raise Unprocessable("; ".join(found))


def _assign(row: RecordMixin, values: Mapping[str, Any]) -> None:
    for name, value in values.items():
        setattr(row, name, value)


def create_entry(
    *,
    session: Session,
    principal: Principal,
    resource: str,
    patient_id: str,
    data: Mapping[str, Any],
    proposed: bool = False,
) -> RecordMixin:
    """A new entry: `active` when a clinician records it, else `proposed` for one to decide;
    `proposed=True` (a device's measurement) waits for a decision whoever filed it."""
    principal.require(WRITE)
    _patient(session, principal, patient_id)
    values = dict(data)
    sent = values.pop("sources", None) or [{"kind": "manual"}]
    sources = [{k: v for k, v in s.items() if v is not None} for s in sent]
    status = rules.default_status(resource, values)
    if status is not None:
        values["status"] = status
    _check(session, principal.tenant_id, patient_id, resource, values)
    row = model_of(resource)()
    _assign(
        row,
        {
            "tenant_id": principal.tenant_id,
            "patient_id": patient_id,
            "version": 1,
            "state": "active" if principal.can(DECIDE) and not proposed else "proposed",
            "recorded_by": principal.actor_id,
            "sources": sources,
            **values,
        },
    )
    session.add(row)
    session.flush()
    _audit(session, principal, "create", resource, row.id)
    return row


def _revise(
    session: Session,
    principal: Principal,
    resource: str,
    row: RecordMixin,
    expected: int | None,
    reason: str | None,
) -> None:
    """Keep the state before an edit and claim the next version (409 when it moved on)."""
    if expected is None:
        raise VersionRequired("name the version you edited (If-Match or body version)")
    if expected != row.version:
        raise StaleVersion(f"{NAMES[resource]} is at version {row.version}, not {expected}")
    # A compare-and-set on the version first, so two concurrent edits cannot both win (the
    # loser waits on the row lock, then finds the version moved on).
    model = type(row)
    claimed = session.execute(
        update(model)
        .where(model.id == row.id, model.version == expected)
        .values(version=expected + 1)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise StaleVersion(f"{NAMES[resource]} was changed meanwhile; reload it")
    snapshot = {**_jsonable(fields_of(row, resource)), "state": row.state}
    session.add(
        RecordRevision(
            tenant_id=row.tenant_id,
            patient_id=row.patient_id,
            resource_type=resource,
            resource_id=row.id,
            version=row.version,
            snapshot=json.dumps(snapshot, sort_keys=True, default=str),
            changed_by=principal.actor_id,
            changed_at=utcnow(),
            reason=reason,
        )
    )
    row.version = expected + 1


def update_entry(
    *,
    session: Session,
    principal: Principal,
    resource: str,
    patient_id: str,
    entry_id: str,
    data: Mapping[str, Any],
    version: int | None,
    reason: str | None = None,
) -> RecordMixin:
    """A clinician's edit of the fields sent; the entry must be at `version`."""
    principal.require(DECIDE)
    row = get_entry(
        session=session,
        principal=principal,
        resource=resource,
        patient_id=patient_id,
        entry_id=entry_id,
        audit_read=False,
    )
    if row.state == "rejected":
        raise Conflict(f"a rejected {NAMES[resource]} cannot be edited")
    values = {**fields_of(row, resource), **data}
    _check(session, principal.tenant_id, patient_id, resource, values)
    _revise(session, principal, resource, row, version, reason)
    _assign(row, data)
    session.flush()
    _audit(session, principal, "update", resource, row.id)
    return row


Decision = Literal["accept", "reject", "entered-in-error"]


def decide(
    *,
    session: Session,
    principal: Principal,
    resource: str,
    patient_id: str,
    entry_id: str,
    decision: Decision,
    reason: str | None = None,
    version: int | None = None,
) -> RecordMixin:
    """Accept or reject a proposed entry, or mark an entry entered-in-error (each a version)."""
    principal.require(DECIDE)
    row = get_entry(
        session=session,
        principal=principal,
        resource=resource,
        patient_id=patient_id,
        entry_id=entry_id,
        audit_read=False,
    )
    _apply_decision(session, principal, resource, row, decision, reason, version)
    return row


def _apply_decision(
    session: Session,
    principal: Principal,
    resource: str,
    row: RecordMixin,
    decision: Decision,
    reason: str | None,
    version: int | None,
) -> None:
    values = fields_of(row, resource)
    if decision == "entered-in-error":
        if row.state == "rejected" or rules.is_in_error(resource, values):
            raise Conflict(f"this {NAMES[resource]} is not in the record")
        changes: dict[str, Any] = rules.in_error(resource)
    elif row.state != "proposed":
        raise Conflict(f"only a proposed {NAMES[resource]} can be accepted or rejected")
    else:
        changes = rules.accepted(resource, values) if decision == "accept" else {}
    _revise(session, principal, resource, row, row.version if version is None else version, reason)
    _assign(row, changes)
    if decision != "entered-in-error":
        row.state = "active" if decision == "accept" else "rejected"
    session.flush()
    _audit(session, principal, decision.replace("-", "_"), resource, row.id)


def accept_all(
    *, session: Session, principal: Principal, patient_id: str, note_id: str | None = None
) -> dict[str, int]:
    """Accept every proposed entry of the patient (only those from `note_id` when given)."""
    principal.require(DECIDE)
    _patient(session, principal, patient_id)
    counts: dict[str, int] = {}
    for resource, model in RECORD_MODELS.items():
        stmt = queries.scoped(
            model, principal.tenant_id, patient_id=patient_id, states=("proposed",)
        )
        for row in session.scalars(stmt.order_by(model.created_at, model.id)):
            if note_id is not None and not any(s.get("note_id") == note_id for s in row.sources):
                continue
            _apply_decision(session, principal, resource, row, "accept", None, None)
            counts[resource] = counts.get(resource, 0) + 1
    return counts


_PENDING = union_all(
    *(
        select(func.count(model.id)).where(
            model.tenant_id == bindparam("tenant_id"),
            model.patient_id == bindparam("patient_id"),
            model.state == "proposed",
        )
        for model in RECORD_MODELS.values()
    )
)


def pending_count(session: Session, tenant_id: str, patient_id: str) -> int:
    """How many proposed entries wait for a clinician's decision (one statement, built once)."""
    counts = session.execute(_PENDING, {"tenant_id": tenant_id, "patient_id": patient_id})
    return sum(int(n) for (n,) in counts)
