"""Encounter service: tenant-scoped; clinicians see their own unless granted more."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from clinscribe.audit import service as audit
from clinscribe.db.models import Encounter, Patient, User
from clinscribe.db.pagination import fetch_page
from clinscribe.errors import Forbidden, Unprocessable
from clinscribe.records.schemas import EncounterCreate, EncounterUpdate
from clinscribe.security.principal import Principal
from clinscribe.security.scoping import get_readable, readable


def get(
    *, session: Session, principal: Principal, encounter_id: str, audit_read: bool = True
) -> Encounter:
    """An encounter the caller may see, or NotFound."""
    principal.require("encounters:read")
    encounter = get_readable(session, Encounter, encounter_id, principal, what="encounter")
    if audit_read:
        audit.record(
            session,
            action="encounter.read",
            principal=principal,
            object_type="encounter",
            object_id=encounter.id,
        )
    return encounter


def list(
    *,
    session: Session,
    principal: Principal,
    patient_id: str | None = None,
    clinician_id: str | None = None,
    status: str | None = None,
    type: str | None = None,
    started_after: datetime | None = None,
    started_before: datetime | None = None,
    limit: int,
    offset: int,
) -> tuple[Sequence[Encounter], int]:
    principal.require("encounters:read")
    stmt = readable(Encounter, principal).order_by(Encounter.created_at.desc(), Encounter.id)
    if patient_id:
        stmt = stmt.where(Encounter.patient_id == patient_id)
    if clinician_id:
        stmt = stmt.where(Encounter.clinician_id == clinician_id)
    if status:
        stmt = stmt.where(Encounter.status == status)
    if type:
        stmt = stmt.where(Encounter.type == type)
    if started_after:
        stmt = stmt.where(Encounter.started_at >= started_after)
    if started_before:
        stmt = stmt.where(Encounter.started_at < started_before)
    rows, total = fetch_page(session, stmt, limit=limit, offset=offset)
    audit.record(session, action="encounter.list", principal=principal, object_type="encounter")
    return rows, total


def _clinician_for(session: Session, principal: Principal, requested: str | None) -> str:
    if principal.role == "clinician" and principal.kind != "api_key":
        if requested not in (None, principal.user_id) and not principal.sees_all_encounters:
            raise Forbidden("clinicians create encounters for themselves")
        requested = requested or principal.user_id
    if requested is None:
        raise Unprocessable("clinician_id is required")
    clinician = session.execute(
        readable(User, principal).where(User.id == requested)
    ).scalar_one_or_none()
    if clinician is None:
        raise Unprocessable("clinician_id does not name a user of this tenant")
    if clinician.role != "clinician":
        raise Unprocessable("clinician_id must name a user with the clinician role")
    return clinician.id


def create(*, session: Session, principal: Principal, data: EncounterCreate) -> Encounter:
    principal.require("encounters:write")
    patient = session.execute(
        readable(Patient, principal).where(Patient.id == data.patient_id)
    ).scalar_one_or_none()
    if patient is None:
        raise Unprocessable("patient_id does not name a patient of this tenant")
    encounter = Encounter(
        tenant_id=principal.tenant_id,
        patient_id=patient.id,
        clinician_id=_clinician_for(session, principal, data.clinician_id),
        type=data.type,
        status=data.status,
        reason=data.reason,
        started_at=data.started_at,
        ended_at=data.ended_at,
    )
    session.add(encounter)
    session.flush()
    audit.record(
        session,
        action="encounter.create",
        principal=principal,
        object_type="encounter",
        object_id=encounter.id,
    )
    return encounter


def update(
    *, session: Session, principal: Principal, encounter_id: str, data: EncounterUpdate
) -> Encounter:
    principal.require("encounters:write")
    encounter = get(
        session=session, principal=principal, encounter_id=encounter_id, audit_read=False
    )
    for field, value in data.model_dump(exclude_unset=True).items():
        if value is None and field in ("type", "status"):
            continue
        setattr(encounter, field, value)
    if encounter.started_at and encounter.ended_at and encounter.ended_at < encounter.started_at:
        raise Unprocessable("ended_at must not be before started_at")
    session.flush()
    audit.record(
        session,
        action="encounter.update",
        principal=principal,
        object_type="encounter",
        object_id=encounter.id,
    )
    return encounter
