"""Read side of the bridge for the UI: where a note landed in OpenEMR, and the admin summary.

Where a version landed is read from the bridge's ledger table in the OpenEMR database (the one
record of it, written in the same transaction as the form), joined with our write-back jobs for
their status. If OpenEMR cannot be asked just now the job status is still shown.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select, text
from sqlalchemy.orm import Session

from clinscribe.accounts import service as accounts
from clinscribe.config import Settings
from clinscribe.db.models import AuditEvent, Encounter, Job, Patient, User
from clinscribe.observability.logging import get_logger
from clinscribe.openemr import service, smart_settings
from clinscribe.openemr.connection import OpenEmrUnavailable, connect
from clinscribe.openemr.schemas import NotePlacement, OpenEmrOverview, PlacedVersion
from clinscribe.review import service as review
from clinscribe.security.principal import Principal
from clinscribe.security.scoping import owned_by

log = get_logger("clinscribe.openemr")

# The write-back job's kind and subject (`openemr.writeback`), read here without importing it.
WRITE_KIND = "openemr_write"
VERSION_PREFIX = "note_version:"
_STATUS = {"queued": "pending", "running": "pending", "succeeded": "written"}
# The ledger is `core.schema.LEDGER_TABLE`; a literal name keeps the statement a constant.
_LEDGER = text(
    "SELECT note_version, encounter, form_soap_id, forms_id, superseded_by_version, written_at "
    "FROM `clinscribe_writeback` WHERE note_id = :note"
)


def _ledger(url: str, note_id: str) -> dict[int, dict[str, object]] | None:
    try:
        with connect(url) as conn:
            rows = conn.execute(_LEDGER, {"note": note_id}).mappings().all()
    except OpenEmrUnavailable as exc:  # unreachable, or no write-back has created the table
        log.info("openemr_ledger_unavailable", error=exc.message)
        return None
    return {int(r["note_version"]): dict(r) for r in rows}


def note_placement(
    *, session: Session, settings: Settings, principal: Principal, note_id: str
) -> NotePlacement:
    """Each signed version's write-back status and, once written, its encounter and form ids."""
    note = review.get(session=session, principal=principal, note_id=note_id, audit_read=False)
    encounter = session.get(Encounter, note.encounter_id)
    patient = session.get(Patient, encounter.patient_id) if encounter else None
    jobs = session.scalars(
        owned_by(Job, note.tenant_id)
        .where(Job.kind == WRITE_KIND, Job.subject_id == note.id)
        .order_by(Job.created_at)
    ).all()
    tenant = accounts.own_tenant(session=session, principal=principal)
    ledger = None
    if jobs and tenant.openemr_url_encrypted:
        ledger = _ledger(service.database_url(settings=settings, tenant=tenant), note.id)
    versions = []
    for job in jobs:
        version = int(job.subject_type.removeprefix(VERSION_PREFIX))
        row = (ledger or {}).get(version, {})
        written_at = row.get("written_at")
        versions.append(
            PlacedVersion(
                version=version,
                status=_STATUS.get(job.status, job.status),
                attempts=job.attempts,
                last_error=job.last_error,
                encounter=_int(row.get("encounter")),
                form_id=_int(row.get("form_soap_id")),
                forms_row_id=_int(row.get("forms_id")),
                superseded_by_version=_int(row.get("superseded_by_version")),
                written_at=written_at if isinstance(written_at, datetime) else None,
            )
        )
    return NotePlacement(
        linked=bool(encounter and encounter.openemr_encounter is not None),
        pid=patient.openemr_pid if patient else None,
        encounter=encounter.openemr_encounter if encounter else None,
        ledger_checked=ledger is not None,
        versions=versions,
    )


def _int(value: object) -> int | None:
    return int(value) if isinstance(value, int) else None


def overview(*, session: Session, settings: Settings, principal: Principal) -> OpenEmrOverview:
    """The admin screen's summary (no call to OpenEMR: the status check is its own request)."""
    principal.require("tenant:write")
    tenant = accounts.own_tenant(session=session, principal=principal)

    def count(model: type[Any], *where: ColumnElement[bool]) -> int:
        rows = owned_by(model, tenant.id).where(*where).subquery()
        return int(session.execute(select(func.count()).select_from(rows)).scalar_one())

    last_sync = session.execute(
        owned_by(AuditEvent, tenant.id)
        .where(AuditEvent.action == "openemr.sync", AuditEvent.outcome == "success")
        .order_by(AuditEvent.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    writes = Job.kind == WRITE_KIND
    return OpenEmrOverview(
        connection=service.get_connection(session=session, settings=settings, principal=principal),
        smart=smart_settings.get(session=session, principal=principal),
        last_sync_at=last_sync.occurred_at if last_sync else None,
        patients_linked=count(Patient, Patient.openemr_pid.is_not(None)),
        encounters_linked=count(Encounter, Encounter.openemr_encounter.is_not(None)),
        users_linked=count(User, User.openemr_user_id.is_not(None)),
        writes_pending=count(Job, writes, Job.status.in_(("queued", "running", "failed"))),
        writes_dead=count(Job, writes, Job.status == "dead"),
    )
