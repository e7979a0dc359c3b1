"""A patient's imaging: list and read studies, confirm a held one, preview and read instances.

Every read of pixel data or a file is audited (a PHI read). Another tenant's study, or one the
caller may not see, is NotFound. `instance_bytes` is the one way other modules read an
instance's file (the ECG analysis reads waveforms through it).
"""

from __future__ import annotations

import io
import warnings
from datetime import UTC, datetime
from typing import Any

import pydicom
from pydicom.dataset import Dataset
from sqlalchemy import select
from sqlalchemy.orm import Session

from clinscribe.audit import service as audit
from clinscribe.config import get_settings
from clinscribe.db.models import ImagingInstance, ImagingSeries, ImagingStudy
from clinscribe.errors import Conflict, NotFound
from clinscribe.imaging.core import render
from clinscribe.imaging.core.errors import PreviewUnavailableError
from clinscribe.imaging.intake import uid_index
from clinscribe.records import patients
from clinscribe.security.keys import key_ring
from clinscribe.security.principal import Principal
from clinscribe.security.scoping import get_readable, readable
from clinscribe.storage.blobs import BlobStore
from clinscribe.storage.select import blob_store as configured_blob_store


class NotHeldError(Conflict):
    """Only a held study is confirmed."""

    status_code = 409
    code = "study_not_held"


def get(*, session: Session, principal: Principal, study_id: str) -> ImagingStudy:
    """A study of the caller's tenant, or NotFound (another tenant's looks absent)."""
    principal.require("patients:read")
    return get_readable(session, ImagingStudy, study_id, principal, what="study")


def list_for_patient(
    *, session: Session, principal: Principal, patient_id: str, status: str | None = None
) -> list[ImagingStudy]:
    """The patient's studies, newest first (held ones too, marked, unless `status` narrows)."""
    principal.require("patients:read")
    patients.get(session=session, principal=principal, patient_id=patient_id, audit_read=False)
    stmt = readable(ImagingStudy, principal).where(ImagingStudy.patient_id == patient_id)
    if status:
        stmt = stmt.where(ImagingStudy.status == status)
    return list(
        session.execute(
            stmt.order_by(ImagingStudy.started_at.desc(), ImagingStudy.created_at.desc())
        ).scalars()
    )


def study_json(study: ImagingStudy) -> dict[str, Any]:
    return {
        "id": study.id,
        "patient_id": study.patient_id,
        "study_instance_uid": study.uid,
        "status": study.status,
        "held_reason": study.held_reason,
        "modalities": [m for m in study.modalities.split(",") if m],
        "body_part": study.body_part,
        "started_at": study.started_at,
        "description": study.description,
        "accession_number": study.accession,
        "series_count": study.series_count,
        "instance_count": study.instance_count,
        "confirmed_at": study.confirmed_at,
        "created_at": study.created_at,
    }


def detail(*, session: Session, principal: Principal, study_id: str, base: str) -> dict[str, Any]:
    """The study -> series -> instance tree, with each instance's preview and file URLs."""
    study = get(session=session, principal=principal, study_id=study_id)
    series = session.execute(
        select(ImagingSeries)
        .where(ImagingSeries.study_id == study.id)
        .order_by(ImagingSeries.number, ImagingSeries.created_at)
    ).scalars()
    instances = session.execute(
        select(ImagingInstance)
        .where(ImagingInstance.study_id == study.id)
        .order_by(ImagingInstance.number, ImagingInstance.created_at)
    ).scalars()
    by_series: dict[str, list[dict[str, Any]]] = {}
    for inst in instances:
        url = f"{base}/studies/{study.id}/instances/{inst.uid}"
        by_series.setdefault(inst.series_id, []).append(
            {
                "sop_instance_uid": inst.uid,
                "sop_class_uid": inst.sop_class_uid,
                "sop_class_name": str(pydicom.uid.UID(inst.sop_class_uid).name)
                if inst.sop_class_uid
                else "",
                "kind": inst.kind,
                "number": inst.number,
                "rows": inst.rows,
                "columns": inst.columns,
                "frames": inst.frames,
                "transfer_syntax": inst.transfer_syntax,
                "preview_available": inst.preview_available,
                "burned_in_annotation": inst.burned_in,
                "size_bytes": inst.size_bytes,
                "preview_url": f"{url}/preview.png" if inst.preview_available else None,
                "file_url": f"{url}/file",
            }
        )
    audit.record(
        session,
        action="imaging.study.read",
        principal=principal,
        object_type="imaging_study",
        object_id=study.id,
    )
    return {
        **study_json(study),
        "series": [
            {
                "id": s.id,
                "series_instance_uid": s.uid,
                "number": s.number,
                "modality": s.modality,
                "body_part": s.body_part,
                "description": s.description,
                "instance_count": s.instance_count,
                "instances": by_series.get(s.id, []),
            }
            for s in series
        ],
    }


def confirm(*, session: Session, principal: Principal, study_id: str) -> ImagingStudy:
    """A clinician confirms a held study belongs to this patient; it joins the record."""
    principal.require("record:decide")
    study = get(session=session, principal=principal, study_id=study_id)
    if study.status != "held":
        raise NotHeldError(f"the study is {study.status}; only a held study is confirmed")
    study.status = "available"
    study.confirmed_by = principal.actor_id
    study.confirmed_at = datetime.now(UTC)
    audit.record(
        session,
        action="imaging.study.confirm",
        principal=principal,
        object_type="imaging_study",
        object_id=study.id,
    )
    return study


def instance(
    *, session: Session, principal: Principal, study_id: str, uid: str
) -> tuple[ImagingStudy, ImagingInstance]:
    study = get(session=session, principal=principal, study_id=study_id)
    row = session.execute(
        select(ImagingInstance).where(
            ImagingInstance.study_id == study.id,
            ImagingInstance.uid_index == uid_index(session, study.tenant_id, uid),
        )
    ).scalar_one_or_none()
    if row is None:
        raise NotFound("instance not found")
    return study, row


def read_blob(blobs: BlobStore, row: ImagingInstance) -> bytes:
    if not blobs.exists(row.blob_key):
        raise NotFound("this instance has no stored file")
    with blobs.open(row.blob_key) as handle:
        handle.seek(row.blob_offset)
        return handle.read(row.size_bytes)


def _audit_read(session: Session, principal: Principal, action: str, study: ImagingStudy) -> None:
    audit.record(
        session,
        action=action,
        principal=principal,
        object_type="imaging_study",
        object_id=study.id,
    )


def instance_bytes(
    session: Session,
    principal: Principal,
    study_id: str,
    uid: str,
    *,
    blobs: BlobStore | None = None,
) -> bytes:
    """The original DICOM file of one instance (a PHI read: audited). Without `blobs`, the
    configured store is used (what a caller outside a request has)."""
    study, row = instance(session=session, principal=principal, study_id=study_id, uid=uid)
    _audit_read(session, principal, "imaging.instance.read", study)
    if blobs is None:
        settings = get_settings()
        blobs = configured_blob_store(settings, key_ring(settings))
    return read_blob(blobs, row)


def download(
    *, session: Session, principal: Principal, blobs: BlobStore, study_id: str, uid: str
) -> tuple[bytes, str]:
    """The original file and a download name (audited as a download)."""
    study, row = instance(session=session, principal=principal, study_id=study_id, uid=uid)
    _audit_read(session, principal, "imaging.instance.download", study)
    return read_blob(blobs, row), f"{row.id}.dcm"


def dataset(data: bytes) -> Dataset:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pydicom.dcmread(io.BytesIO(data))


def preview(
    *,
    session: Session,
    principal: Principal,
    blobs: BlobStore,
    study_id: str,
    uid: str,
    frame: int = 0,
    center: float | None = None,
    width: float | None = None,
) -> bytes:
    """A windowed PNG of one frame (415 preview_unavailable when it cannot be decoded)."""
    study, row = instance(session=session, principal=principal, study_id=study_id, uid=uid)
    if not row.preview_available:
        raise PreviewUnavailableError(
            "this instance has no preview (a waveform, or pixel data this server cannot decode)"
        )
    _audit_read(session, principal, "imaging.instance.preview", study)
    return render.render_png(
        dataset(read_blob(blobs, row)),
        frame=frame,
        center=center,
        width=width,
        default_center=row.window_center,
        default_width=row.window_width,
    )
