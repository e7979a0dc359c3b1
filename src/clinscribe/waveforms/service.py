"""A patient's ECG waveforms: ingest (analyse, render, store sealed, file observations), read.

Intake is synchronous: a 10 s 12-lead ECG is read, measured and drawn in well under a second
(after NeuroKit2's one-off import). Everything is checked before anything is stored, so a bad
upload leaves nothing behind; the blobs are written before the row commits and removed if it
does not. Each measurement with a LOINC code becomes a `proposed` record observation with
source `device` and provenance to the waveform, for a clinician to accept or reject.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, BinaryIO, Literal

from sqlalchemy import Text, cast
from sqlalchemy.orm import Session

from clinscribe.audit import service as audit
from clinscribe.clinical import queries
from clinscribe.clinical import service as record
from clinscribe.config import Settings
from clinscribe.db.base import new_id
from clinscribe.db.models import ClinicalObservation, Waveform
from clinscribe.db.session import after_rollback
from clinscribe.records import patients
from clinscribe.security import crypto
from clinscribe.security.principal import Principal
from clinscribe.security.scoping import get_readable, readable
from clinscribe.storage.blobs import BlobStore
from clinscribe.storage.select import blob_store as configured_blob_store
from clinscribe.waveforms.core import codes, measure, raster, strip
from clinscribe.waveforms.core.errors import UnknownLeadError, WaveformTooLargeError
from clinscribe.waveforms.core.read import read_upload
from clinscribe.waveforms.core.recording import Recording, checked, from_bytes, to_bytes

READ = "patients:read"
WRITE = "patients:write"
Format = Literal["svg", "png"]
_MEDIA = {"svg": "image/svg+xml", "png": "image/png"}
MAX_LEAD_FILTER = 16


def blob_store(settings: Settings) -> BlobStore:
    """The configured blob store, for callers without the app's (jobs, imaging, the CLI)."""
    return configured_blob_store(settings, crypto.key_ring(settings))


def read_files(files: Sequence[tuple[str | None, BinaryIO]], limit: int) -> list[tuple[str, bytes]]:
    """The uploaded files' bytes, refusing (413) once all of them together pass `limit`."""
    out: list[tuple[str, bytes]] = []
    left = limit
    for name, stream in files:
        data = stream.read(left + 1)
        if len(data) > left:
            raise WaveformTooLargeError(f"the upload exceeds {limit} bytes")
        left -= len(data)
        out.append((name or "upload", data))
    return out


def accept_upload(
    *,
    session: Session,
    settings: Settings,
    blobs: BlobStore,
    principal: Principal,
    patient_id: str,
    files: Sequence[tuple[str | None, BinaryIO]],
) -> Waveform:
    """Read an uploaded DICOM ECG or WFDB record (4xx when it is not one) and ingest it."""
    _writable(session, principal, patient_id)
    uploaded = read_files(files, settings.waveform_max_bytes)
    recording = read_upload(uploaded, max_bytes=settings.waveform_max_bytes)
    return ingest(
        session=session,
        settings=settings,
        principal=principal,
        patient_id=patient_id,
        recording=recording,
        source="upload",
        blobs=blobs,
        filename=uploaded[0][0],
    )


def _writable(session: Session, principal: Principal, patient_id: str) -> None:
    principal.require(WRITE)
    patients.get(session=session, principal=principal, patient_id=patient_id, audit_read=False)


def _put(session: Session, blobs: BlobStore, key: str, data: bytes) -> None:
    blobs.put(key, io.BytesIO(data), max_bytes=len(data) + 1)
    # Written before the row commits; if the row never lands, neither does the blob.
    after_rollback(session, lambda: blobs.delete(key))


def ingest(
    *,
    session: Session,
    settings: Settings,
    principal: Principal,
    patient_id: str,
    recording: Recording,
    source: str = "upload",
    blobs: BlobStore | None = None,
    filename: str | None = None,
    imaging_instance_id: str | None = None,
) -> Waveform:
    """Check, measure, draw and store a recording of the patient; file its measurements."""
    _writable(session, principal, patient_id)
    recording = checked(recording, max_seconds=settings.waveform_max_seconds)
    analysis = measure.analyse(recording)
    layout = strip.layout(recording)
    store = blobs or blob_store(settings)
    waveform_id = new_id()
    prefix = f"{principal.tenant_id}/waveforms/{patient_id}/{waveform_id}"
    keys = {k: f"{prefix}/{k}" for k in ("signal.npz", "strip.svg", "strip.png")}
    _put(session, store, keys["signal.npz"], to_bytes(recording))
    _put(session, store, keys["strip.svg"], strip.svg(layout).encode())
    _put(session, store, keys["strip.png"], raster.png(layout))
    row = Waveform(
        id=waveform_id,
        tenant_id=principal.tenant_id,
        patient_id=patient_id,
        created_by=principal.actor_id,
        source=source[:16],
        imaging_instance_id=imaging_instance_id,
        format=recording.source_format,
        filename=(filename or "")[:200] or None,
        leads=list(recording.leads),
        sampling_rate=recording.sampling_rate,
        samples=recording.samples,
        acquired_at=recording.acquired_at,
        measurements=analysis.values,
        device_measurements=recording.device_measurements,
        analysis_lead=analysis.lead,
        method=measure.METHOD[:120],
        signal_key=keys["signal.npz"],
        svg_key=keys["strip.svg"],
        png_key=keys["strip.png"],
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        action="waveform.create",
        principal=principal,
        object_type="waveform",
        object_id=row.id,
    )
    _file_observations(session, principal, row)
    return row


def _file_observations(session: Session, principal: Principal, row: Waveform) -> None:
    when = row.acquired_at or datetime.now(UTC)
    for measure_ in codes.MEASURES:
        value = row.measurements.get(measure_.key)
        if measure_.loinc is None or value is None:
            continue
        record.create_entry(
            session=session,
            principal=principal,
            resource="observation",
            patient_id=row.patient_id,
            proposed=True,
            data={
                "category": "vital-signs" if measure_.key == "heart_rate" else "other",
                "code": measure_.loinc,
                "display": measure_.display,
                "value_quantity": value,
                "unit": measure_.unit,
                "effective_at": when,
                "status": "final",
                "source": "device",
                "sources": [{"kind": "device", "device": "ecg", "waveform_id": row.id}],
            },
        )


def get(
    *, session: Session, principal: Principal, waveform_id: str, audit_read: bool = True
) -> Waveform:
    """A waveform of the caller's tenant, or NotFound (another tenant's looks absent)."""
    principal.require(READ)
    row = get_readable(session, Waveform, waveform_id, principal, what="waveform")
    if audit_read:
        audit.record(
            session,
            action="waveform.read",
            principal=principal,
            object_type="waveform",
            object_id=row.id,
        )
    return row


def list_for_patient(*, session: Session, principal: Principal, patient_id: str) -> list[Waveform]:
    """The patient's waveforms, newest first."""
    principal.require(READ)
    patients.get(session=session, principal=principal, patient_id=patient_id, audit_read=False)
    stmt = (
        readable(Waveform, principal)
        .where(Waveform.patient_id == patient_id)
        .order_by(Waveform.created_at.desc(), Waveform.id)
    )
    return list(session.execute(stmt).scalars())


def observation_ids(*, session: Session, principal: Principal, row: Waveform) -> list[str]:
    """Record observations filed from this waveform (any state)."""
    stmt = queries.scoped(
        ClinicalObservation, principal.tenant_id, patient_id=row.patient_id, states=None
    ).where(cast(ClinicalObservation.sources, Text).contains(row.id))
    return [o.id for o in session.execute(stmt.order_by(ClinicalObservation.id)).scalars()]


def measurement_table(row: Waveform) -> list[dict[str, Any]]:
    """Every measurement with its code, unit and the device's own value, where either exists."""
    out = []
    for m in codes.MEASURES:
        value, device = row.measurements.get(m.key), row.device_measurements.get(m.key)
        if value is None and device is None:
            continue
        out.append(
            {
                "key": m.key,
                "code": m.loinc,
                "display": m.display,
                "unit": m.unit,
                "value": value,
                "device_value": device,
            }
        )
    return out


def recording_of(row: Waveform, blobs: BlobStore) -> Recording:
    with blobs.open(row.signal_key) as handle:
        data = handle.read()
    return from_bytes(
        data, leads=tuple(row.leads), sampling_rate=row.sampling_rate, source_format=row.format
    )


def parse_leads(row: Waveform, leads: str | None) -> tuple[str, ...] | None:
    if leads is None or not leads.strip():
        return None
    names = tuple(dict.fromkeys(n.strip() for n in leads.split(",") if n.strip()))
    by_upper = {lead.upper(): lead for lead in row.leads}
    if not names or len(names) > MAX_LEAD_FILTER:
        raise UnknownLeadError(f"name 1 to {MAX_LEAD_FILTER} leads")
    missing = [n for n in names if n.upper() not in by_upper]
    if missing:
        raise UnknownLeadError(f"this recording has no lead {missing[0][:16]!r}")
    return tuple(by_upper[n.upper()] for n in names)


def strip_image(
    *,
    session: Session,
    principal: Principal,
    blobs: BlobStore,
    waveform_id: str,
    fmt: Format,
    leads: str | None = None,
) -> tuple[bytes, str]:
    """The rendered strip (stored at intake; drawn afresh for a lead filter) and its type."""
    row = get(session=session, principal=principal, waveform_id=waveform_id)
    chosen = parse_leads(row, leads)
    if chosen is None:
        with blobs.open(row.svg_key if fmt == "svg" else row.png_key) as handle:
            return handle.read(), _MEDIA[fmt]
    layout = strip.layout(recording_of(row, blobs), chosen)
    body = strip.svg(layout).encode() if fmt == "svg" else raster.png(layout)
    return body, _MEDIA[fmt]
