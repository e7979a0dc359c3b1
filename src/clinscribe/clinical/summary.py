"""The patient summary the chart header shows: latest vitals, problems, medications with their
interaction alerts, allergies, open orders, and how many proposed entries wait for review.

Only `active` entries (a clinician accepted them) appear. The latest vital per code is one
query (a window over the patient's vital signs, served by the patient/category/time index), so
the summary stays fast however many observations the patient has (bench/record_summary.py).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from clinscribe.audit import service as audit
from clinscribe.clinical import alerts as interaction_alerts
from clinscribe.clinical import queries
from clinscribe.clinical.service import pending_count
from clinscribe.config import Settings
from clinscribe.db.models import ClinicalObservation
from clinscribe.records import patients
from clinscribe.security.principal import Principal

ACTIVE_PROBLEM = ("active", "recurrence", "relapse")
OPEN_ORDER = ("active", "on-hold")


def latest_vitals(session: Session, tenant_id: str, patient_id: str) -> list[ClinicalObservation]:
    """The newest active, not-in-error vital sign of each code (two index-served queries)."""
    m = ClinicalObservation
    accepted = (
        m.patient_id == patient_id,
        m.category == "vital-signs",
        m.state == "active",
    )
    codes = select(m.code).where(*accepted, m.code.is_not(None)).distinct().subquery()
    newest = (
        select(m.id)
        .where(*accepted, m.code == codes.c.code, m.tenant_id == tenant_id)
        .where(m.status != "entered-in-error")
        .order_by(m.effective_at.desc(), m.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    # Two short queries: the newest id per code, then those rows by primary key. Folding them
    # into one (`id IN (...)` or a join) lets PostgreSQL's generic plan for the prepared
    # statement hash-join the patient's whole history instead: 10-25x slower.
    ids = [i for i in session.scalars(select(newest).select_from(codes)) if i is not None]
    if not ids:
        return []
    return list(session.scalars(select(m).where(m.id.in_(ids)).order_by(m.code)))


def build(
    *, session: Session, settings: Settings, principal: Principal, patient_id: str
) -> dict[str, Any]:
    """The summary of a patient the caller may read (the read is audited)."""
    principal.require("patients:read")
    patients.get(session=session, principal=principal, patient_id=patient_id, audit_read=False)
    tenant = principal.tenant_id
    medications = interaction_alerts.current_medications(session, tenant, patient_id)
    allergies = interaction_alerts.current_allergies(session, tenant, patient_id)
    checked = interaction_alerts.check(
        session, settings, tenant, patient_id, medications=medications, allergies=allergies
    )
    problems = queries.list_conditions(
        session, tenant, patient_id=patient_id, clinical_status=ACTIVE_PROBLEM
    )
    orders = queries.list_orders(session, tenant, patient_id=patient_id, status=OPEN_ORDER)
    audit.record(
        session,
        action="record.summary.read",
        principal=principal,
        object_type="patient",
        object_id=patient_id,
    )
    return {
        "patient_id": patient_id,
        "latest_vitals": [
            {
                "id": o.id,
                "code": o.code,
                "display": o.display,
                "value_quantity": o.value_quantity,
                "value_text": o.value_text,
                "unit": o.unit,
                "interpretation": o.interpretation,
                "effective_at": o.effective_at,
            }
            for o in latest_vitals(session, tenant, patient_id)
        ],
        "active_problems": [
            {
                "id": c.id,
                "code": c.code,
                "display": c.display,
                "clinical_status": c.clinical_status,
                "onset_date": c.onset_date,
            }
            for c in problems
            if c.verification_status not in ("refuted", "entered-in-error")
        ],
        "active_medications": [
            {
                "id": m.id,
                "kind": m.kind,
                "drug": m.drug,
                "dose": m.dose,
                "route": m.route,
                "frequency": m.frequency,
                "status": m.status,
                "alerts": [
                    {"pair_key": a["pair_key"], "severity": a["severity"], "kind": a["kind"]}
                    for a in checked.for_drug(m.drug)
                ],
            }
            for m in medications
        ],
        "allergies": [
            {
                "id": a.id,
                "substance": a.substance,
                "category": a.category,
                "reaction": a.reaction,
                "severity": a.severity,
                "criticality": a.criticality,
            }
            for a in allergies
        ],
        "open_orders": [
            {
                "id": o.id,
                "category": o.category,
                "code": o.code,
                "display": o.display,
                "status": o.status,
                "priority": o.priority,
                "occurrence_at": o.occurrence_at,
            }
            for o in orders
        ],
        "alerts": checked.alerts,
        "pending_review": pending_count(session, tenant, patient_id),
    }
