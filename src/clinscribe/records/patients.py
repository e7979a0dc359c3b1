"""Patient service: every query is scoped to the caller's tenant; reads are audited."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from clinscribe.audit import service as audit
from clinscribe.db.models import (
    NAME_PREFIX_MAX,
    Patient,
    patient_mrn_index,
    patient_name_query_token,
)
from clinscribe.db.pagination import fetch_page
from clinscribe.db.sealed import cipher_of_session
from clinscribe.errors import Conflict, Unprocessable
from clinscribe.records.schemas import PatientCreate, PatientUpdate
from clinscribe.security.principal import Principal
from clinscribe.security.scoping import get_readable, readable

NULLABLE = {"birth_date", "phone", "email"}


def get(
    *, session: Session, principal: Principal, patient_id: str, audit_read: bool = True
) -> Patient:
    """A patient of the caller's tenant, or NotFound (another tenant's looks absent)."""
    principal.require("patients:read")
    patient = get_readable(session, Patient, patient_id, principal, what="patient")
    if audit_read:
        audit.record(
            session,
            action="patient.read",
            principal=principal,
            object_type="patient",
            object_id=patient.id,
        )
    return patient


def list(
    *,
    session: Session,
    principal: Principal,
    mrn: str | None,
    family_name: str | None,
    limit: int,
    offset: int,
    openemr_pid: int | None = None,
) -> tuple[Sequence[Patient], int]:
    principal.require("patients:read")
    # Names and MRNs are encrypted, so the database cannot sort by them: newest first, and
    # search goes through the blind indexes (exact MRN, family-name prefix).
    stmt = readable(Patient, principal).order_by(Patient.created_at.desc(), Patient.id)
    cipher = cipher_of_session(session)
    if mrn:
        stmt = stmt.where(Patient.mrn_index == patient_mrn_index(cipher, principal.tenant_id, mrn))
    if family_name and family_name.strip():
        token = patient_name_query_token(cipher, principal.tenant_id, family_name)
        if token is None:
            raise Unprocessable(
                f"family_name search matches prefixes of up to {NAME_PREFIX_MAX} characters"
            )
        stmt = stmt.where(Patient.search_index.contains(token))
    if openemr_pid is not None:
        stmt = stmt.where(Patient.openemr_pid == openemr_pid)
    rows, total = fetch_page(session, stmt, limit=limit, offset=offset)
    audit.record(session, action="patient.list", principal=principal, object_type="patient")
    return rows, total


def create(*, session: Session, principal: Principal, data: PatientCreate) -> Patient:
    principal.require("patients:write")
    index = patient_mrn_index(cipher_of_session(session), principal.tenant_id, data.mrn)
    exists = session.execute(readable(Patient, principal).where(Patient.mrn_index == index)).first()
    if exists:
        raise Conflict("a patient with this MRN already exists")
    patient = Patient(tenant_id=principal.tenant_id, **data.model_dump())
    session.add(patient)
    try:
        session.flush()
    except IntegrityError as exc:  # a concurrent create won the race
        raise Conflict("a patient with this MRN already exists") from exc
    audit.record(
        session,
        action="patient.create",
        principal=principal,
        object_type="patient",
        object_id=patient.id,
    )
    return patient


def update(
    *, session: Session, principal: Principal, patient_id: str, data: PatientUpdate
) -> Patient:
    principal.require("patients:write")
    patient = get(session=session, principal=principal, patient_id=patient_id, audit_read=False)
    for field, value in data.model_dump(exclude_unset=True).items():
        if value is None and field not in NULLABLE:
            continue
        setattr(patient, field, value)
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict("a patient with this MRN already exists") from exc
    audit.record(
        session,
        action="patient.update",
        principal=principal,
        object_type="patient",
        object_id=patient.id,
    )
    return patient
