"""Read functions over the record tables (the FHIR read API and the services share them).

Every function is tenant-scoped and returns ORM rows; by default only `active` entries (those a
clinician accepted), which is all a reader outside the review flow may see.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import TypeVar

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from clinscribe.db.models import (
    AllergyEntry,
    CarePlan,
    ClinicalObservation,
    ConditionEntry,
    Consent,
    InteractionAcknowledgement,
    MedicationEntry,
    RecordMixin,
    RecordRevision,
    ServiceOrder,
)

R = TypeVar("R", bound=RecordMixin)
ACTIVE: tuple[str, ...] = ("active",)


def scoped(
    model: type[R],
    tenant_id: str,
    *,
    patient_id: str | None = None,
    ids: Collection[str] | None = None,
    states: Collection[str] | None = ACTIVE,
    status: Collection[str] | None = None,
) -> Select[R]:
    """The tenant-scoped select every reader starts from (`states=None`: every state)."""
    stmt = select(model).where(model.tenant_id == tenant_id)
    if patient_id is not None:
        stmt = stmt.where(model.patient_id == patient_id)
    if ids is not None:
        stmt = stmt.where(model.id.in_(list(ids)))
    if states is not None:
        stmt = stmt.where(model.state.in_(list(states)))
    if status is not None:
        stmt = stmt.where(getattr(model, "status").in_(list(status)))  # noqa: B009 - not every model has it
    return stmt


def _rows(session: Session, stmt: Select[R], limit: int | None) -> list[R]:
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(session.scalars(stmt))


def get_entry(
    session: Session,
    model: type[R],
    tenant_id: str,
    entry_id: str,
    *,
    patient_id: str | None = None,
) -> R | None:
    """One row of this tenant (any state), or None: another tenant's id reads as absent."""
    stmt = scoped(model, tenant_id, patient_id=patient_id, ids=[entry_id], states=None)
    return session.scalars(stmt).first()


def list_observations(
    session: Session,
    tenant_id: str,
    *,
    patient_id: str | None = None,
    ids: Collection[str] | None = None,
    states: Collection[str] | None = ACTIVE,
    status: Collection[str] | None = None,
    codes: Collection[str] | None = None,
    categories: Collection[str] | None = None,
    date_from: datetime | None = None,
    date_to: datetime | None = None,
    limit: int | None = None,
) -> list[ClinicalObservation]:
    """Observations, newest effective time first; `date_from` inclusive, `date_to` exclusive."""
    m = ClinicalObservation
    stmt = scoped(m, tenant_id, patient_id=patient_id, ids=ids, states=states, status=status)
    if codes is not None:
        stmt = stmt.where(m.code.in_(list(codes)))
    if categories is not None:
        stmt = stmt.where(m.category.in_(list(categories)))
    if date_from is not None:
        stmt = stmt.where(m.effective_at >= date_from)
    if date_to is not None:
        stmt = stmt.where(m.effective_at < date_to)
    stmt = stmt.order_by(m.effective_at.desc(), m.id)
    return _rows(session, stmt, limit)


def list_medications(
    session: Session,
    tenant_id: str,
    *,
    patient_id: str | None = None,
    ids: Collection[str] | None = None,
    states: Collection[str] | None = ACTIVE,
    status: Collection[str] | None = None,
    kind: str | None = None,
    limit: int | None = None,
) -> list[MedicationEntry]:
    """Medication statements and requests (`kind="statement"` / `"request"` for one of them)."""
    m = MedicationEntry
    stmt = scoped(m, tenant_id, patient_id=patient_id, ids=ids, states=states, status=status)
    if kind is not None:
        stmt = stmt.where(m.kind == kind)
    return _rows(session, stmt.order_by(m.created_at, m.id), limit)


def list_orders(
    session: Session,
    tenant_id: str,
    *,
    patient_id: str | None = None,
    ids: Collection[str] | None = None,
    states: Collection[str] | None = ACTIVE,
    status: Collection[str] | None = None,
    categories: Collection[str] | None = None,
    care_plan_id: str | None = None,
    limit: int | None = None,
) -> list[ServiceOrder]:
    """Service orders (labs, imaging, referrals, procedures), oldest first."""
    m = ServiceOrder
    stmt = scoped(m, tenant_id, patient_id=patient_id, ids=ids, states=states, status=status)
    if categories is not None:
        stmt = stmt.where(m.category.in_(list(categories)))
    if care_plan_id is not None:
        stmt = stmt.where(m.care_plan_id == care_plan_id)
    return _rows(session, stmt.order_by(m.created_at, m.id), limit)


def list_allergies(
    session: Session,
    tenant_id: str,
    *,
    patient_id: str | None = None,
    ids: Collection[str] | None = None,
    states: Collection[str] | None = ACTIVE,
    clinical_status: Collection[str] | None = None,
    limit: int | None = None,
) -> list[AllergyEntry]:
    """Allergies and intolerances, oldest first."""
    m = AllergyEntry
    stmt = scoped(m, tenant_id, patient_id=patient_id, ids=ids, states=states)
    if clinical_status is not None:
        stmt = stmt.where(m.clinical_status.in_(list(clinical_status)))
    return _rows(session, stmt.order_by(m.created_at, m.id), limit)


def list_conditions(
    session: Session,
    tenant_id: str,
    *,
    patient_id: str | None = None,
    ids: Collection[str] | None = None,
    states: Collection[str] | None = ACTIVE,
    clinical_status: Collection[str] | None = None,
    codes: Collection[str] | None = None,
    limit: int | None = None,
) -> list[ConditionEntry]:
    """Problem-list entries, oldest first."""
    m = ConditionEntry
    stmt = scoped(m, tenant_id, patient_id=patient_id, ids=ids, states=states)
    if clinical_status is not None:
        stmt = stmt.where(m.clinical_status.in_(list(clinical_status)))
    if codes is not None:
        stmt = stmt.where(m.code.in_(list(codes)))
    return _rows(session, stmt.order_by(m.created_at, m.id), limit)


def list_care_plans(
    session: Session,
    tenant_id: str,
    *,
    patient_id: str | None = None,
    ids: Collection[str] | None = None,
    states: Collection[str] | None = ACTIVE,
    status: Collection[str] | None = None,
    limit: int | None = None,
) -> list[CarePlan]:
    """Care plans, oldest first."""
    m = CarePlan
    stmt = scoped(m, tenant_id, patient_id=patient_id, ids=ids, states=states, status=status)
    return _rows(session, stmt.order_by(m.created_at, m.id), limit)


def list_consents(
    session: Session,
    tenant_id: str,
    *,
    patient_id: str | None = None,
    ids: Collection[str] | None = None,
    states: Collection[str] | None = ACTIVE,
    status: Collection[str] | None = None,
    categories: Collection[str] | None = None,
    limit: int | None = None,
) -> list[Consent]:
    """Consents, oldest first."""
    m = Consent
    stmt = scoped(m, tenant_id, patient_id=patient_id, ids=ids, states=states, status=status)
    if categories is not None:
        stmt = stmt.where(m.category.in_(list(categories)))
    return _rows(session, stmt.order_by(m.created_at, m.id), limit)


def list_revisions(
    session: Session, tenant_id: str, resource_type: str, resource_id: str
) -> list[RecordRevision]:
    """Earlier versions of one record entry, oldest first."""
    stmt = (
        select(RecordRevision)
        .where(
            RecordRevision.tenant_id == tenant_id,
            RecordRevision.resource_type == resource_type,
            RecordRevision.resource_id == resource_id,
        )
        .order_by(RecordRevision.version)
    )
    return list(session.scalars(stmt))


def list_acknowledgements(
    session: Session, tenant_id: str, patient_id: str
) -> Sequence[InteractionAcknowledgement]:
    """The patient's acknowledged interaction alerts."""
    stmt = select(InteractionAcknowledgement).where(
        InteractionAcknowledgement.tenant_id == tenant_id,
        InteractionAcknowledgement.patient_id == patient_id,
    )
    return list(session.scalars(stmt))
