"""Re-encrypt everything under the primary key, in batches, reporting progress.

Adding a new key first in `CLINSCRIBE_ENCRYPTION_KEYS` makes new writes use it at once; this job
then moves old values over (sealed fields, secrets stored with the key ring, audio blobs), after
which the old key can be removed. Values written before encryption existed (plaintext) are
sealed by the same pass, so it also completes an upgrade. Each batch is its own transaction, so
an interrupted run keeps its progress and a re-run continues where it stopped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from clinscribe.config import Settings
from clinscribe.db import sealed
from clinscribe.db.models import (
    AllergyEntry,
    CarePlan,
    ClinicalObservation,
    Consent,
    Document,
    DocumentFact,
    DocumentPage,
    EhrEndpoint,
    Encounter,
    ExtractionRecord,
    InteractionAcknowledgement,
    LabObservation,
    MedicationEntry,
    Note,
    NoteVersion,
    Patient,
    Recording,
    RecordRevision,
    ServiceOrder,
    Tenant,
    Transcript,
    UserMfa,
)
from clinscribe.db.session import session_scope
from clinscribe.security.associated import (
    endpoint_aad,
    llm_key_aad,
    mfa_secret_aad,
    openemr_url_aad,
    smart_secret_aad,
)
from clinscribe.security.crypto import PREFIX, KeyRing, ModelCipher, install, key_ring
from clinscribe.storage.blobs import MaintainedBlobStore
from clinscribe.storage.select import blob_store

SEALED_MODELS: tuple[type[Any], ...] = (
    Patient,
    Encounter,
    Recording,
    Transcript,
    ExtractionRecord,
    Note,
    NoteVersion,
    Document,
    DocumentPage,
    LabObservation,
    DocumentFact,
    ClinicalObservation,
    MedicationEntry,
    ServiceOrder,
    AllergyEntry,
    CarePlan,
    Consent,
    RecordRevision,
    InteractionAcknowledgement,
)


@dataclass
class TableProgress:
    checked: int = 0
    resealed: int = 0
    total: int = 0


@dataclass
class RotationReport:
    primary_key: str
    tables: dict[str, TableProgress] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "primary_key": self.primary_key,
            "tables": {name: vars(p) for name, p in self.tables.items()},
            "resealed": sum(p.resealed for p in self.tables.values()),
        }


Progress = Callable[[str, TableProgress], None]


def _is_sealed(value: str) -> bool:
    return value.startswith(PREFIX + ":")


def _reseal_row(cipher: ModelCipher, row: Any) -> bool:
    """Queue new ciphertexts for every stale value of `row`; whether anything changed."""
    changed = False
    for f in sealed.sealed_fields(type(row)):
        stored = getattr(row, f.column)
        if stored is None or (_is_sealed(stored) and cipher.is_current(stored)):
            continue
        plain = cipher.open(stored, sealed.aad_of(row, f.name)) if _is_sealed(stored) else stored
        sealed.mark_pending(row, f, plain)
        changed = True
    if isinstance(row, Patient) and not changed and row.mrn_index is None:
        sealed.mark_pending(row, sealed.field_named(Patient, "mrn"), row.mrn)
        changed = True
    return changed


def _rotate_table(
    url: str, cipher: ModelCipher, model: type[Any], batch_size: int, progress: Progress | None
) -> TableProgress:
    with session_scope(url) as session:
        result = TableProgress(total=session.scalar(select(func.count()).select_from(model)) or 0)
    last_id = ""
    while True:
        with session_scope(url) as session:
            rows = session.scalars(
                select(model).where(model.id > last_id).order_by(model.id).limit(batch_size)
            ).all()
            if not rows:
                break
            for row in rows:
                result.checked += 1
                result.resealed += _reseal_row(cipher, row)
            last_id = rows[-1].id
        if progress is not None:
            progress(model.__tablename__, result)
    return result


def _reseal_secret(ring: KeyRing, value: str | None, aad: str) -> str | None:
    if value is None or ring.key_id_of(value) == ring.primary:
        return None
    return ring.encrypt(ring.decrypt(value, aad), aad)


# Secrets stored with the key ring directly: (model, column, associated data of a row).
SECRETS: tuple[tuple[type[Any], str, Callable[[Any], str]], ...] = (
    (Tenant, "llm_key_encrypted", lambda t: llm_key_aad(t.id)),
    (EhrEndpoint, "auth_encrypted", lambda e: endpoint_aad(e.tenant_id)),
    (Tenant, "openemr_url_encrypted", lambda t: openemr_url_aad(t.id)),
    (Tenant, "smart_secret_encrypted", lambda t: smart_secret_aad(t.id)),
    (UserMfa, "secret_encrypted", lambda m: mfa_secret_aad(m.user_id)),
)


def _rotate_secrets(session: Session, ring: KeyRing) -> TableProgress:
    result = TableProgress()
    for model, column, aad in SECRETS:
        for row in session.scalars(select(model)):
            result.total += 1
            result.checked += 1
            new = _reseal_secret(ring, getattr(row, column), aad(row))
            if new is not None:
                setattr(row, column, new)
                result.resealed += 1
    return result


def _rotate_blobs(store: MaintainedBlobStore, progress: Progress | None) -> TableProgress:
    keys = list(store.keys())
    result = TableProgress(total=len(keys))
    for key in keys:
        result.checked += 1
        result.resealed += store.reseal(key)
        if progress is not None and (result.checked % 50 == 0 or result.checked == result.total):
            progress("blobs", result)
    return result


def rotate(
    settings: Settings, *, batch_size: int = 200, progress: Progress | None = None
) -> RotationReport:
    """Bring every encrypted value and blob under the primary key (idempotent)."""
    if batch_size < 1:
        raise ValueError("batch size must be at least 1")
    cipher = install(settings)
    url = settings.resolved_database_url
    report = RotationReport(primary_key=cipher.ring.primary)
    for model in SEALED_MODELS:
        report.tables[model.__tablename__] = _rotate_table(url, cipher, model, batch_size, progress)
    with session_scope(url) as session:
        report.tables["secrets"] = _rotate_secrets(session, key_ring(settings))
    if progress is not None:
        progress("secrets", report.tables["secrets"])
    store = blob_store(settings, key_ring(settings))
    report.tables["blobs"] = _rotate_blobs(store, progress)
    return report
