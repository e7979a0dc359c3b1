"""DICOM test files made from pydicom's bundled CT_small (128x128, 16-bit) and friends."""

from __future__ import annotations

import io
import struct
import zipfile
from pathlib import Path

import pydicom
from pydicom.data import get_testdata_file
from pydicom.dataset import Dataset
from pydicom.uid import generate_uid


def bundled_path(name: str) -> Path:
    path = get_testdata_file(name)
    assert path is not None, name
    return Path(str(path))


def bundled_bytes(name: str) -> bytes:
    return bundled_path(name).read_bytes()


def ct(
    *,
    patient_id: str | None = "",
    patient_name: str | None = "",
    study_uid: str | None = None,
    series_uid: str | None = None,
    burned_in: bool = False,
    number: int = 1,
) -> bytes:
    """CT_small with new UIDs and the given patient (empty: anonymous)."""
    ds = pydicom.dcmread(bundled_path("CT_small.dcm"))
    ds.PatientID = patient_id
    ds.PatientName = patient_name
    ds.StudyInstanceUID = study_uid or generate_uid()
    ds.SeriesInstanceUID = series_uid or generate_uid()
    ds.SOPInstanceUID = generate_uid()
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.InstanceNumber = number
    ds.BodyPartExamined = "CHEST"
    if burned_in:
        ds.BurnedInAnnotation = "YES"
    return _bytes(ds)


def _bytes(ds: Dataset) -> bytes:
    out = io.BytesIO()
    ds.save_as(out, enforce_file_format=True)
    return out.getvalue()


def study(count: int, **kwargs: object) -> list[bytes]:
    """`count` instances of one study and series."""
    study_uid, series_uid = generate_uid(), generate_uid()
    return [
        ct(study_uid=study_uid, series_uid=series_uid, number=n + 1, **kwargs)  # type: ignore[arg-type]
        for n in range(count)
    ]


def zipped(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


def malformed_sequence() -> bytes:
    """A CT whose sequence declares 6 bytes, fewer than its one item's header and value."""
    ds = pydicom.dcmread(bundled_path("CT_small.dcm"))
    item = Dataset()
    item.CodeValue = "T-D3000"
    item.CodingSchemeDesignator = "SRT"
    ds.AnatomicRegionSequence = [item]
    ds.SOPInstanceUID = generate_uid()
    data = bytearray(_bytes(ds))
    tag = struct.pack("<HH", 0x0008, 0x2218) + b"SQ"
    at = data.index(tag)
    # Explicit VR SQ: tag(4) VR(2) reserved(2) length(4); the first item header follows.
    assert data[at + 12 : at + 16] == b"\xfe\xff\x00\xe0"
    data[at + 8 : at + 12] = struct.pack("<I", 6)
    return bytes(data)
