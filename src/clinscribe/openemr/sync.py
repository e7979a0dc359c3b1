"""Importing a tenant's OpenEMR patients and encounters, idempotently, keyed by OpenEMR ids.

Reads only the columns it maps. Re-running updates changed rows and creates nothing twice: our
rows carry `openemr_pid` / `openemr_encounter`, unique per tenant.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import RowMapping, text
from sqlalchemy.orm import Session

from clinscribe.audit import service as audit
from clinscribe.config import Settings
from clinscribe.db.base import utcnow
from clinscribe.db.models import Encounter, Patient, Tenant, User, patient_mrn_index
from clinscribe.db.sealed import cipher_of_session
from clinscribe.openemr import service
from clinscribe.openemr.connection import check_schema, connect
from clinscribe.openemr.core import records
from clinscribe.security.principal import Principal
from clinscribe.security.scoping import owned_by

_PATIENTS = text("SELECT pid, pubpid, fname, mname, lname, DOB, sex FROM patient_data ORDER BY pid")
# Encounters write-back created for ours (ledger.py); absent until the first such write.
_MADE_HERE = text("SELECT encounter, encounter_id FROM clinscribe_encounter")
_HAS_MADE_HERE = text(
    "SELECT 1 FROM information_schema.TABLES "
    "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'clinscribe_encounter'"
)
_ENCOUNTERS = text(
    "SELECT encounter, pid, date, reason, provider_id FROM form_encounter "
    "WHERE encounter IS NOT NULL AND pid IS NOT NULL ORDER BY encounter"
)


@dataclass
class SyncResult:
    patients_created: int = 0
    patients_updated: int = 0
    patients_linked: int = 0
    patients_skipped: int = 0
    encounters_created: int = 0
    encounters_updated: int = 0
    encounters_skipped: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def system_actor(tenant_id: str) -> Principal:
    """The actor a command-line or scheduled sync is recorded under."""
    return Principal(
        kind="api_key",
        tenant_id=tenant_id,
        actor_id="cli:openemr-sync",
        scopes=frozenset({"admin"}),
    )


def _patient(
    session: Session,
    tenant_id: str,
    row: RowMapping,
    result: SyncResult,
    known: dict[int, Patient],
    by_index: dict[str, Patient],
) -> None:
    pid = int(row["pid"])
    mrn = records.mrn(row["pubpid"], pid)
    values = {
        "mrn": mrn,
        "given_name": " ".join(p for p in (row["fname"], row["mname"]) if p) or "",
        "family_name": str(row["lname"] or ""),
        "birth_date": records.birth_date(row["DOB"]),
        "sex": records.sex(row["sex"]),
    }
    patient = known.get(pid)
    if patient is None:
        # Looked up in memory: a query per patient would flush the session each time
        # (autoflush), which made a 10,000-patient import quadratic.
        index = patient_mrn_index(cipher_of_session(session), tenant_id, mrn)
        same_mrn = by_index.get(index)
        if same_mrn is not None and same_mrn.openemr_pid is None:
            patient = same_mrn  # a chart entered here before the bridge: link it, don't copy it
            patient.openemr_pid = pid
            result.patients_linked += 1
        elif same_mrn is not None:
            result.patients_skipped += 1  # pubpid is not unique in OpenEMR; ours must be
            return
        else:
            patient = Patient(tenant_id=tenant_id, openemr_pid=pid, **values)
            session.add(patient)
            result.patients_created += 1
            known[pid] = patient
            by_index[index] = patient
            return
        known[pid] = patient
    changed = [k for k, v in values.items() if getattr(patient, k) != v]
    for key in changed:
        setattr(patient, key, values[key])
    if changed:
        result.patients_updated += 1


def _clinicians(
    session: Session, tenant_id: str, principal: Principal
) -> tuple[dict[int, str], str | None]:
    """OpenEMR user id -> our user id, and who owns encounters whose provider is not linked."""
    linked = {
        int(u.openemr_user_id): u.id
        for u in session.scalars(owned_by(User, tenant_id).where(User.openemr_user_id.is_not(None)))
        if u.openemr_user_id is not None
    }
    fallback = principal.user_id
    if fallback is None:
        fallback = session.execute(
            owned_by(User, tenant_id)
            .where(User.role == "admin", User.is_active.is_(True))
            .order_by(User.created_at)
            .with_only_columns(User.id)
        ).scalar()
    return linked, fallback


def _encounter(row: RowMapping, ctx: dict[str, Any], result: SyncResult) -> None:
    number = int(row["encounter"])
    patient: Patient | None = ctx["patients"].get(int(row["pid"]))
    clinician = ctx["linked"].get(int(row["provider_id"] or 0)) or ctx["fallback"]
    if patient is None or clinician is None:
        result.encounters_skipped += 1
        return
    started = records.when(row["date"])
    values = {
        "patient_id": patient.id,
        "reason": str(row["reason"]) if row["reason"] else None,
        "started_at": started,
        "status": "finished" if started is not None and started <= ctx["now"] else "planned",
    }
    encounter: Encounter | None = ctx["encounters"].get(number)
    made_here = ctx["made_here"].get(number)
    if encounter is None and made_here is not None:
        # Write-back created it for one of ours and our row has not learnt the number yet.
        ours = ctx["session"].get(Encounter, made_here)
        if ours is not None and ours.tenant_id == patient.tenant_id:
            if ours.openemr_encounter is None:
                ours.openemr_encounter = number
                result.encounters_updated += 1
            return
    if encounter is None:
        ctx["session"].add(
            Encounter(
                tenant_id=patient.tenant_id,
                clinician_id=clinician,
                type="ambulatory",
                openemr_encounter=number,
                **values,
            )
        )
        result.encounters_created += 1
        return
    changed = [k for k, v in values.items() if getattr(encounter, k) != v]
    for key in changed:
        setattr(encounter, key, values[key])
    if changed:
        result.encounters_updated += 1


def sync(*, session: Session, settings: Settings, principal: Principal) -> SyncResult:
    """Import (or refresh) every OpenEMR patient and encounter into the caller's tenant."""
    principal.require("tenant:write")
    tenant = session.get(Tenant, principal.tenant_id)
    if tenant is None:
        raise service.OpenEmrNotConfigured("no OpenEMR connection is configured for this tenant")
    url = service.database_url(settings=settings, tenant=tenant)
    with connect(url) as conn:
        check_schema(conn)
        patient_rows = conn.execute(_PATIENTS).mappings().all()
        encounter_rows = conn.execute(_ENCOUNTERS).mappings().all()
        made_here: dict[int, str] = {}
        if conn.execute(_HAS_MADE_HERE).first():
            made_here = {int(n): str(e) for n, e in conn.execute(_MADE_HERE).all()}
    result = SyncResult()
    known = {
        int(p.openemr_pid): p
        for p in session.scalars(
            owned_by(Patient, tenant.id).where(Patient.openemr_pid.is_not(None))
        )
        if p.openemr_pid is not None
    }
    by_index = {
        p.mrn_index: p for p in session.scalars(owned_by(Patient, tenant.id)) if p.mrn_index
    }
    for row in patient_rows:
        _patient(session, tenant.id, row, result, known, by_index)
    session.flush()
    linked, fallback = _clinicians(session, tenant.id, principal)
    encounters = {
        int(e.openemr_encounter): e
        for e in session.scalars(
            owned_by(Encounter, tenant.id).where(Encounter.openemr_encounter.is_not(None))
        )
        if e.openemr_encounter is not None
    }
    ctx = {
        "session": session,
        "patients": known,
        "encounters": encounters,
        "linked": linked,
        "fallback": fallback,
        "made_here": made_here,
        "now": utcnow(),
    }
    for row in encounter_rows:
        _encounter(row, ctx, result)
    session.flush()
    audit.record(
        session,
        action="openemr.sync",
        principal=principal,
        object_type="tenant",
        object_id=tenant.id,
    )
    return result


def _listing(
    session: Session, settings: Settings, principal: Principal, query: str
) -> list[dict[str, Any]]:
    principal.require("tenant:read")
    tenant = session.get(Tenant, principal.tenant_id)
    if tenant is None:
        raise service.OpenEmrNotConfigured("no OpenEMR connection is configured for this tenant")
    url = service.database_url(settings=settings, tenant=tenant)
    with connect(url) as conn:
        return [dict(r) for r in conn.execute(text(query)).mappings().all()]


def facilities(
    *, session: Session, settings: Settings, principal: Principal
) -> list[dict[str, Any]]:
    return _listing(
        session, settings, principal, "SELECT id, name, city, state FROM facility ORDER BY id"
    )


def providers(
    *, session: Session, settings: Settings, principal: Principal
) -> list[dict[str, Any]]:
    """Active OpenEMR users who may author clinical documents (`authorized` = 1)."""
    return _listing(
        session,
        settings,
        principal,
        "SELECT id, username, fname, lname, npi, facility_id FROM users "
        "WHERE authorized = 1 AND active = 1 AND username IS NOT NULL AND username <> '' "
        "ORDER BY id",
    )
