"""Retention: each tenant's period, and the purge that exports expired encounters, then deletes.

An encounter is due when it ended (or, never ended, was created) more than the tenant's
`retention_days` ago. The purge holds back any encounter with a signed note whose signed
version has not reached the EHR: the outbox row is the only record of what is owed there.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO, Protocol, TypeVar

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import Session

from clinscribe.accounts import service as accounts
from clinscribe.audit import service as audit
from clinscribe.db.base import utcnow
from clinscribe.db.models import (
    Delivery,
    Encounter,
    ExtractionRecord,
    Job,
    Note,
    NoteVersion,
    Patient,
    Recording,
    Tenant,
    Transcript,
)
from clinscribe.errors import ClinscribeError, Conflict, NotFound
from clinscribe.records import erase
from clinscribe.retention.export import ExportFailed, ExportRun, verify
from clinscribe.retention.schemas import PurgeReport, RetentionUpdate, TenantPurge
from clinscribe.security.principal import Principal
from clinscribe.security.scoping import owned_by
from clinscribe.storage.blobs import BlobStore

SYSTEM_ACTOR = "system:retention"
BATCH = 200  # ids per IN (...) list: well under every backend's bind-parameter limit
T = TypeVar("T")


def get(*, session: Session, principal: Principal) -> Tenant:
    """The caller's tenant, for its retention setting."""
    return accounts.own_tenant(session=session, principal=principal)


def update(*, session: Session, principal: Principal, data: RetentionUpdate) -> Tenant:
    """Set or clear (null) the tenant's retention period (admins); audited."""
    principal.require("tenant:write")
    tenant = accounts.own_tenant(session=session, principal=principal)
    tenant.retention_days = data.retention_days
    session.flush()
    audit.record(
        session,
        action="tenant.retention_update",
        principal=principal,
        object_type="tenant",
        object_id=tenant.id,
    )
    return tenant


def _batches(ids: Sequence[str]) -> Iterator[list[str]]:
    for start in range(0, len(ids), BATCH):
        yield list(ids[start : start + BATCH])


def _tenants(session: Session, tenant_id: str | None) -> list[Tenant]:
    if tenant_id is None:
        stmt = select(Tenant).where(Tenant.retention_days.is_not(None)).order_by(Tenant.id)
        return list(session.execute(stmt).scalars())
    tenant = session.get(Tenant, tenant_id)
    if tenant is None:
        raise NotFound(f"no tenant with id {tenant_id}")
    if tenant.retention_days is None:
        raise Conflict(f"tenant {tenant_id} has no retention period set (it keeps data forever)")
    return [tenant]


def _due(session: Session, tenant_id: str, cutoff: datetime, lock: bool) -> list[str]:
    stmt = (
        owned_by(Encounter, tenant_id)
        .with_only_columns(Encounter.id)
        .where(
            or_(
                and_(Encounter.ended_at.is_not(None), Encounter.ended_at < cutoff),
                and_(Encounter.ended_at.is_(None), Encounter.created_at < cutoff),
            ),
        )
        .order_by(Encounter.id)
    )
    if lock:
        # Row locks keep new recordings, transcripts and notes from being attached to an
        # encounter between its export and its deletion (they would go unexported).
        stmt = stmt.with_for_update()
    ids = list(session.execute(stmt).scalars())
    if lock:
        for batch in _batches(ids):
            for model in (Note, Transcript):
                session.execute(
                    select(model.id).where(model.encounter_id.in_(batch)).with_for_update()
                ).all()
    return ids


def _held(session: Session, encounter_ids: Sequence[str]) -> set[str]:
    """Encounters with a signed note whose signed version is not delivered."""
    delivered = exists().where(
        Delivery.note_id == Note.id,
        Delivery.version == Note.signed_version,
        Delivery.status == "delivered",
    )
    held: set[str] = set()
    for batch in _batches(encounter_ids):
        held.update(
            session.execute(
                select(Note.encounter_id).where(
                    Note.encounter_id.in_(batch), Note.signed_version.is_not(None), ~delivered
                )
            ).scalars()
        )
    return held


class _Sink(Protocol):
    def write(self, kind: str, row: dict[str, Any]) -> None: ...

    def copy_audio(self, name: str, source: BinaryIO) -> tuple[str, int]: ...


class _Counter:
    """The dry run's sink: counts what would be exported, and writes nothing."""

    def write(self, kind: str, row: dict[str, Any]) -> None:
        pass

    def copy_audio(self, name: str, source: BinaryIO) -> tuple[str, int]:
        return "", 0


def _fields(obj: object, names: Sequence[str]) -> dict[str, Any]:
    # Attributes, never column names: encrypted columns decrypt on attribute access.
    return {name: getattr(obj, name) for name in names}


def _parsed(value: str | None) -> Any:
    if value is None:
        return None
    try:
        return json.loads(value)
    except ValueError:
        return value


STAMPS = ("created_at", "updated_at")
ENCOUNTER = ("id", "tenant_id", "patient_id", "clinician_id", "type", "status", "reason")
ENCOUNTER_TIMES = ("started_at", "ended_at", *STAMPS)
RECORDING = (
    "id", "tenant_id", "encounter_id", "created_by", "source", "mode", "status", "blob_key",
    "sha256", "size_bytes", "filename", "content_type", "container", "codec", "duration_s",
    "channels", "sample_rate", *STAMPS,
)  # fmt: skip
TRANSCRIPT = (
    "id", "tenant_id", "encounter_id", "recording_id", "language", "duration_s", "engine",
    "model", "text", *STAMPS,
)  # fmt: skip
NOTE = (
    "id", "tenant_id", "encounter_id", "transcript_id", "template_key", "status",
    "current_version", "created_by", "submitted_by", "approved_by", "rejected_reason",
    "signed_by", "signed_at", "signed_sha256", "signed_version", "replaces_version", *STAMPS,
)  # fmt: skip
VERSION = ("id", "note_id", "version", "author_id", "reason", "text", "diff", "created_at")
DELIVERY = (
    "id", "tenant_id", "note_id", "version", "status", "attempts", "last_status_code",
    "last_error", "delivered_at", *STAMPS,
)  # fmt: skip
JOB = (
    "id", "tenant_id", "kind", "subject_type", "subject_id", "status", "attempts",
    "max_attempts", "last_error", "result_type", "result_id", "started_at", "finished_at",
    *STAMPS,
)  # fmt: skip


def _rows(session: Session, model: type[T], column: Any, ids: Sequence[str]) -> list[T]:
    out: list[T] = []
    for batch in _batches(ids):
        out += session.execute(select(model).where(column.in_(batch)).order_by(column)).scalars()
    return out


def _export_batch(
    session: Session,
    blobs: BlobStore,
    sink: _Sink,
    ids: list[str],
    counts: dict[str, int],
    patients_seen: set[str],
) -> None:
    """Everything deleting these encounters removes, in the order a reader would rebuild it."""

    def put(kind: str, row: dict[str, Any]) -> None:
        sink.write(kind, row)
        counts[kind] = counts.get(kind, 0) + 1

    encounters = _rows(session, Encounter, Encounter.id, ids)
    for encounter in encounters:
        put("encounters", _fields(encounter, ENCOUNTER + ENCOUNTER_TIMES))
    new_patients = sorted({e.patient_id for e in encounters} - patients_seen)
    for patient in _rows(session, Patient, Patient.id, new_patients):
        # A reference only: the patient record itself is not purged with their encounters.
        put("patients", _fields(patient, ("id", "tenant_id", "mrn")))
    patients_seen.update(new_patients)
    subjects: list[str] = []
    for recording in _rows(session, Recording, Recording.encounter_id, ids):
        row = _fields(recording, RECORDING)
        row["audio"] = None
        if recording.blob_key and blobs.exists(recording.blob_key):
            if isinstance(sink, _Counter):
                sha256, size = recording.sha256 or "", recording.size_bytes
            else:
                # The plaintext, checked against the hash taken at intake: the export must
                # stand on its own, without this installation's keys.
                with blobs.open(recording.blob_key, whole=True) as source:
                    sha256, size = sink.copy_audio(recording.id, source)
            row["audio"] = {
                "file": f"audio/{recording.id}",
                "sha256": sha256,
                "size": size,
                "matches_intake_sha256": sha256 == recording.sha256,
            }
            counts["audio_files"] = counts.get("audio_files", 0) + 1
            counts["audio_bytes"] = counts.get("audio_bytes", 0) + size
        put("recordings", row)
        subjects.append(recording.id)
    transcript_ids = []
    for transcript in _rows(session, Transcript, Transcript.encounter_id, ids):
        put(
            "transcripts",
            {**_fields(transcript, TRANSCRIPT), "segments": _parsed(transcript.segments_json)},
        )
        transcript_ids.append(transcript.id)
    subjects += transcript_ids
    for record in _rows(session, ExtractionRecord, ExtractionRecord.transcript_id, transcript_ids):
        row = _fields(record, ("id", "tenant_id", "transcript_id", "engine_version", *STAMPS))
        put("extractions", {**row, "extraction": _parsed(record.extraction_json)})
    note_ids = []
    for note in _rows(session, Note, Note.encounter_id, ids):
        put("notes", _fields(note, NOTE))
        note_ids.append(note.id)
    for version in _rows(session, NoteVersion, NoteVersion.note_id, note_ids):
        put(
            "note_versions", {**_fields(version, VERSION), "content": _parsed(version.content_json)}
        )
    for delivery in _rows(session, Delivery, Delivery.note_id, note_ids):
        row = _fields(delivery, DELIVERY)
        row["operation_outcome"] = _parsed(delivery.operation_outcome_json)
        row["locations"] = _parsed(delivery.locations_json)
        put("deliveries", row)
        subjects.append(delivery.id)
    for job in _rows(session, Job, Job.subject_id, subjects):
        put("jobs", _fields(job, JOB))


def purge(
    *,
    session: Session,
    blobs: BlobStore,
    export_root: Path,
    tenant_id: str | None = None,
    dry_run: bool = False,
    now: datetime | None = None,
) -> PurgeReport:
    """Export, verify, then delete every due encounter (the caller commits; audio goes after).

    A dry run reports the same counts and touches nothing. A failed or unverifiable export
    raises `ExportFailed` before any row is deleted.
    """
    now = now or utcnow()
    report = PurgeReport(dry_run=dry_run)
    plans: list[tuple[TenantPurge, list[str]]] = []
    for tenant in _tenants(session, tenant_id):
        assert tenant.retention_days is not None  # _tenants returns only tenants with one
        cutoff = now - timedelta(days=tenant.retention_days)
        due = _due(session, tenant.id, cutoff, lock=not dry_run)
        held = _held(session, due)
        plan = TenantPurge(
            tenant_id=tenant.id,
            retention_days=tenant.retention_days,
            cutoff=cutoff.isoformat(),
            due=len(due),
            held=[e for e in due if e in held],
        )
        report.tenants.append(plan)
        plans.append((plan, [e for e in due if e not in held]))
    if dry_run:
        for plan, ids in plans:
            seen: set[str] = set()
            for batch in _batches(ids):
                _export_batch(session, blobs, _Counter(), batch, plan.counts, seen)
        return report
    if not any(ids for _, ids in plans):
        return report
    run = _export(session, blobs, export_root, now, plans)
    report.export_dir = str(run.path)
    report.exported_files = len(run.files)
    for plan, ids in plans:
        erase.purge_encounters(
            session=session,
            blobs=blobs,
            tenant_id=plan.tenant_id,
            encounter_ids=ids,
            actor_id=SYSTEM_ACTOR,
        )
        plan.purged = len(ids)
    return report


def _export(
    session: Session,
    blobs: BlobStore,
    export_root: Path,
    now: datetime,
    plans: list[tuple[TenantPurge, list[str]]],
) -> ExportRun:
    run_id = uuid.uuid4().hex[:8]
    run = ExportRun(export_root, f"purge-{now:%Y%m%dT%H%M%SZ}-{run_id}")
    try:
        run.open()
        seen: set[str] = set()
        for plan, ids in plans:
            for batch in _batches(ids):
                _export_batch(session, blobs, run, batch, plan.counts, seen)
        run.close(
            {
                "kind": "clinscribe-purge-export",
                "run_id": run_id,
                "created_at": now,
                "tenants": [
                    {**plan.model_dump(exclude={"due"}), "encounters": ids} for plan, ids in plans
                ],
            }
        )
    except OSError as exc:
        run.abort()
        reason = exc.strerror or type(exc).__name__
        raise ExportFailed(
            f"cannot write the purge export under {export_root}: {reason}; nothing was deleted"
        ) from exc
    except ClinscribeError as exc:  # e.g. a stored blob that no longer opens
        run.abort()
        raise ExportFailed(
            f"cannot export ({exc.message}); nothing was deleted", code=exc.code
        ) from exc
    checked = verify(run.path)
    if not checked.ok:
        run.abort()
        raise ExportFailed(
            f"the purge export did not verify ({checked.problems[0]}); nothing was deleted"
        )
    return run
