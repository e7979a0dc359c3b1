"""Interaction alerts on the patient's medication list, and their acknowledgement.

Alerts are computed from the current list each time they are read (the summary, the alert list,
a draft note's check), so they follow every change of the list without a stored copy going
stale: a check of 20 medications (190 pairs) takes milliseconds (docs/benchmarks.md).
Drug-drug, drug-allergy and duplicate-therapy findings come through the same checker.
An acknowledgement is kept per pair (`pair_key`) with the clinician's reason, and audited.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from sqlalchemy.orm import Session

from clinscribe.audit import service as audit
from clinscribe.clinical import queries
from clinscribe.clinical.core.keys import pair_key
from clinscribe.clinical.errors import UnknownAlert
from clinscribe.config import Settings
from clinscribe.db.base import utcnow
from clinscribe.db.models import AllergyEntry, InteractionAcknowledgement, MedicationEntry
from clinscribe.errors import Unprocessable
from clinscribe.interactions.checks import checker_from_settings
from clinscribe.interactions.core.checker import InteractionChecker
from clinscribe.interactions.core.model import CheckResult
from clinscribe.records import patients
from clinscribe.security.principal import Principal

# Statuses of entries the patient is taking (or about to take).
CURRENT_STATEMENT = ("active", "intended")
CURRENT_REQUEST = ("draft", "active", "on-hold")


@lru_cache(maxsize=4)
def _checker(source: str) -> InteractionChecker:
    # Building one loads the drug lexicon (seconds); later checks take milliseconds.
    return checker_from_settings(Settings(interactions_source=source))


def checker(settings: Settings) -> InteractionChecker:
    return _checker(settings.interactions_source)


@lru_cache(maxsize=2048)
def _checked(source: str, drugs: tuple[str, ...], allergens: tuple[str, ...]) -> CheckResult:
    # A check depends only on the names and the (static) source, and a chart is read far more
    # often than its medication list changes: the summary reuses the last result of a list.
    # Callers only read the result, so one shared object is safe.
    return _checker(source).check(drugs, allergens)


def current_medications(session: Session, tenant_id: str, patient_id: str) -> list[MedicationEntry]:
    """Active entries the patient takes: statements in use and open requests."""
    rows = queries.list_medications(session, tenant_id, patient_id=patient_id)
    return [
        m
        for m in rows
        if m.status in (CURRENT_STATEMENT if m.kind == "statement" else CURRENT_REQUEST)
    ]


def current_allergies(session: Session, tenant_id: str, patient_id: str) -> list[AllergyEntry]:
    rows = queries.list_allergies(
        session, tenant_id, patient_id=patient_id, clinical_status=("active",)
    )
    return [a for a in rows if a.verification_status not in ("refuted", "entered-in-error")]


@dataclass
class Alerts:
    """The check of one medication list: alerts with acknowledgement, and what it saw."""

    alerts: list[dict[str, Any]] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)
    pairs_checked: int = 0
    generic_of: dict[str, str] = field(default_factory=dict)  # name as written -> generic

    def for_drug(self, written: str) -> list[dict[str, Any]]:
        generic = self.generic_of.get(written)
        if generic is None:
            return []
        return [a for a in self.alerts if generic in (a["drug_a"], a["drug_b"])]

    def as_dict(self) -> dict[str, Any]:
        return {
            "alerts": self.alerts,
            "unresolved": self.unresolved,
            "pairs_checked": self.pairs_checked,
        }


def check(
    session: Session,
    settings: Settings,
    tenant_id: str,
    patient_id: str,
    *,
    medications: Sequence[MedicationEntry],
    allergies: Sequence[AllergyEntry],
    extra_drugs: Iterable[str] = (),
) -> Alerts:
    """Check these entries (plus names from a draft note) and mark acknowledged pairs."""
    names = [m.drug for m in medications] + list(extra_drugs)
    result = _checked(
        settings.interactions_source, tuple(names), tuple(a.substance for a in allergies)
    )
    acks = {a.pair_key: a for a in queries.list_acknowledgements(session, tenant_id, patient_id)}
    out = Alerts(
        unresolved=list(result.unresolved),
        pairs_checked=result.pairs_checked,
        generic_of={r.written: r.generic for r in result.resolved},
    )
    seen: set[str] = set()
    for finding in result.findings:
        key = pair_key(finding.kind.value, finding.drug_a, finding.drug_b)
        if key in seen:
            continue
        seen.add(key)
        ack = acks.get(key)
        out.alerts.append(
            {
                **finding.as_dict(),
                "pair_key": key,
                "acknowledged": ack is not None,
                "acknowledged_by": ack.acknowledged_by if ack else None,
                "acknowledged_at": ack.acknowledged_at if ack else None,
            }
        )
    return out


def for_patient(
    *,
    session: Session,
    settings: Settings,
    principal: Principal,
    patient_id: str,
    extra_drugs: Iterable[str] = (),
) -> Alerts:
    """The patient's current alerts (`extra_drugs`: names a draft note would add)."""
    principal.require("patients:read")
    patients.get(session=session, principal=principal, patient_id=patient_id, audit_read=False)
    tenant = principal.tenant_id
    return check(
        session,
        settings,
        tenant,
        patient_id,
        medications=current_medications(session, tenant, patient_id),
        allergies=current_allergies(session, tenant, patient_id),
        extra_drugs=extra_drugs,
    )


def acknowledge(
    *,
    session: Session,
    settings: Settings,
    principal: Principal,
    patient_id: str,
    key: str,
    reason: str,
) -> dict[str, Any]:
    """A clinician acknowledges one current alert, with a reason (re-acknowledging updates it)."""
    principal.require("record:decide")
    if not reason.strip():
        raise Unprocessable("reason: an acknowledgement needs a reason")
    alerts = for_patient(
        session=session, settings=settings, principal=principal, patient_id=patient_id
    )
    alert = next((a for a in alerts.alerts if a["pair_key"] == key), None)
    if alert is None:
        raise UnknownAlert("no current alert of this patient has this pair_key")
    row = next(
        (
            a
            for a in queries.list_acknowledgements(session, principal.tenant_id, patient_id)
            if a.pair_key == key
        ),
        None,
    )
    if row is None:
        row = InteractionAcknowledgement(
            tenant_id=principal.tenant_id, patient_id=patient_id, pair_key=key
        )
        session.add(row)
    row.severity = str(alert["severity"])
    row.reason = reason.strip()
    row.acknowledged_by = principal.actor_id
    row.acknowledged_at = utcnow()
    session.flush()
    audit.record(
        session,
        action="record.interaction.acknowledge",
        principal=principal,
        object_type="interaction_acknowledgement",
        object_id=row.id,
    )
    return {
        **alert,
        "acknowledged": True,
        "acknowledged_by": row.acknowledged_by,
        "acknowledged_at": row.acknowledged_at,
    }
