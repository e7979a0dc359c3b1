"""A study as a zip: the original files, or de-identified copies (PS3.15 Basic Profile).

De-identified exports remap every UID with a salt drawn for this export (the same input UID
gives the same output UID throughout the zip, so references between instances still hold, and
two exports cannot be linked). An instance flagged BurnedInAnnotation=YES may show the patient's
name in its pixels, which header de-identification cannot remove: it is left out of a
de-identified export unless the caller asks for it with `include_burned_in=true`. The manifest
lists what was left out.
"""

from __future__ import annotations

import io
import json
import secrets
import warnings
import zipfile
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from clinscribe.audit import service as audit
from clinscribe.db.models import ImagingInstance, ImagingSeries
from clinscribe.imaging import service
from clinscribe.imaging.core.deid import METHOD, UidRemapper, deidentify
from clinscribe.security.principal import Principal
from clinscribe.storage.blobs import BlobStore


def _deidentified(data: bytes, remap: UidRemapper) -> bytes:
    ds = deidentify(service.dataset(data), remap)
    out = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds.save_as(out, enforce_file_format=False)
    return out.getvalue()


def export(
    *,
    session: Session,
    principal: Principal,
    blobs: BlobStore,
    study_id: str,
    deidentify_: bool,
    include_burned_in: bool = False,
) -> tuple[bytes, str]:
    """The zip's bytes and a file name; audited as an export."""
    study = service.get(session=session, principal=principal, study_id=study_id)
    rows = session.execute(
        select(ImagingInstance, ImagingSeries.number)
        .join(ImagingSeries, ImagingSeries.id == ImagingInstance.series_id)
        .where(ImagingInstance.study_id == study.id)
        .order_by(ImagingSeries.number, ImagingSeries.id, ImagingInstance.number)
    ).all()
    remap = UidRemapper(secrets.token_bytes(32))
    manifest: dict[str, Any] = {
        "deidentified": deidentify_,
        "method": METHOD if deidentify_ else None,
        "instances": 0,
        "excluded_burned_in": 0,
        "included_burned_in": 0,
    }
    series_dirs: dict[str, int] = {}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for position, (row, _number) in enumerate(rows, start=1):
            if deidentify_ and row.burned_in:
                if not include_burned_in:
                    manifest["excluded_burned_in"] += 1
                    continue
                manifest["included_burned_in"] += 1
            data = service.read_blob(blobs, row)
            if deidentify_:
                data = _deidentified(data, remap)
            folder = series_dirs.setdefault(row.series_id, len(series_dirs) + 1)
            archive.writestr(f"series{folder:03d}/instance{position:05d}.dcm", data)
            manifest["instances"] += 1
        archive.writestr("manifest.json", json.dumps(manifest, indent=2))
    audit.record(
        session,
        action="imaging.study.export.deidentified" if deidentify_ else "imaging.study.export",
        principal=principal,
        object_type="imaging_study",
        object_id=study.id,
    )
    name = f"study-{study.id}{'-deidentified' if deidentify_ else ''}.zip"
    return buffer.getvalue(), name
