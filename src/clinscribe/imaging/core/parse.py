"""What one DICOM file is: its identifiers, modality, geometry and whether it can be previewed.

`parse` reads the whole dataset and walks every element (sequences included), so a file with
broken lengths or items is refused here, at upload, rather than when someone opens it later.
pydicom reads a cut-off file without complaint, so the pixel and waveform data are checked
against the length their own attributes imply.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass
from typing import Any

import pydicom
from pydicom.datadict import dictionary_VR
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError
from pydicom.pixels.decoders.base import get_decoder
from pydicom.tag import BaseTag
from pydicom.uid import UID

from clinscribe.imaging.core import render
from clinscribe.imaging.core.errors import (
    MalformedDicomError,
    NotAnInstanceError,
    NotDicomError,
    TruncatedDicomError,
)

MAGIC_OFFSET = 128
MAGIC = b"DICM"
# SOP classes of waveforms (PS3.4 B.5): ECGs, hemodynamic, audio and the like. Stored as
# instances with no image preview; the waveform analysis reads them through the service.
WAVEFORM_CLASSES = frozenset(
    {
        "1.2.840.10008.5.1.4.1.1.9.1.1",  # 12-lead ECG
        "1.2.840.10008.5.1.4.1.1.9.1.2",  # General ECG
        "1.2.840.10008.5.1.4.1.1.9.1.3",  # Ambulatory ECG
        "1.2.840.10008.5.1.4.1.1.9.1.4",  # General 32-bit ECG
        "1.2.840.10008.5.1.4.1.1.9.2.1",  # Hemodynamic
        "1.2.840.10008.5.1.4.1.1.9.3.1",  # Cardiac electrophysiology
        "1.2.840.10008.5.1.4.1.1.9.4.1",  # Basic voice audio
        "1.2.840.10008.5.1.4.1.1.9.4.2",  # General audio
        "1.2.840.10008.5.1.4.1.1.9.5.1",  # Arterial pulse
        "1.2.840.10008.5.1.4.1.1.9.6.1",  # Respiratory
        "1.2.840.10008.5.1.4.1.1.9.6.2",  # Multi-channel respiratory
        "1.2.840.10008.5.1.4.1.1.9.7.1",  # Routine scalp EEG
        "1.2.840.10008.5.1.4.1.1.9.7.2",  # Electromyogram
        "1.2.840.10008.5.1.4.1.1.9.7.3",  # Electrooculogram
        "1.2.840.10008.5.1.4.1.1.9.7.4",  # Sleep EEG
        "1.2.840.10008.5.1.4.1.1.9.8.1",  # Body position
    }
)
DIRECTORY_CLASS = "1.2.840.10008.1.3.10"


@dataclass(frozen=True)
class Instance:
    """The attributes the record keeps about one instance (values as the file gives them)."""

    study_uid: str | None
    series_uid: str | None
    sop_instance_uid: str | None
    sop_class_uid: str
    transfer_syntax: str
    modality: str | None
    body_part: str | None
    study_date: str | None
    study_time: str | None
    study_description: str | None
    series_description: str | None
    accession_number: str | None
    patient_id: str | None
    patient_name: str | None
    series_number: int | None
    instance_number: int | None
    rows: int | None
    columns: int | None
    frames: int
    kind: str  # image | waveform | other
    preview_available: bool
    burned_in: bool
    window_center: float | None
    window_width: float | None

    @property
    def sop_class_name(self) -> str:
        return str(UID(self.sop_class_uid).name) if self.sop_class_uid else ""


def looks_like_dicom(data: bytes) -> bool:
    """The Part 10 preamble is there (what a zip member must show to be taken as DICOM)."""
    return data[MAGIC_OFFSET : MAGIC_OFFSET + 4] == MAGIC


class _Reader(io.BytesIO):
    """Notes a read cut short inside the file: pydicom takes a short value without complaint,
    so an element cut off by the end of the file shows only here."""

    short = False

    def read(self, size: int | None = -1, /) -> bytes:
        chunk = super().read(size)
        if size is not None and size > 0 and 0 < len(chunk) < size:
            self.short = True
        return chunk


def read(data: bytes) -> Dataset:
    """The dataset, fully read and walked; a typed ImagingError when it is not sound DICOM."""
    if not looks_like_dicom(data):
        raise NotDicomError("a file is not DICOM (no DICM preamble)")
    reader = _Reader(data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pydicom warns (and goes on) about oddities we check
        try:
            ds = pydicom.dcmread(reader)
        except InvalidDicomError as exc:
            raise NotDicomError("a file is not readable DICOM") from exc
        except Exception as exc:  # pydicom raises many types for broken lengths and items
            raise MalformedDicomError("a DICOM file's elements do not parse") from exc
        try:
            _walk(ds)
        except Exception as exc:
            raise MalformedDicomError("a DICOM file has a malformed element or sequence") from exc
    if reader.short:
        raise TruncatedDicomError("a DICOM file ends inside one of its elements")
    return ds


def _is_sequence(ds: Dataset, tag: BaseTag) -> bool:
    vr = getattr(ds.get_item(tag), "VR", None)
    if vr is None:  # implicit VR: the dictionary says
        try:
            vr = dictionary_VR(tag)
        except KeyError:
            return False
    return vr == "SQ"


def _walk(ds: Dataset) -> None:
    # Sequences are parsed when first read: reading each (and its items' sequences) is where a
    # bad item or sequence length shows. Other elements stay raw until used (converting every
    # value of every upload would cost more than the rest of the intake).
    for tag in list(ds.keys()):
        if _is_sequence(ds, tag):
            for item in ds[tag].value or []:
                _walk(item)


def _text(ds: Dataset, keyword: str) -> str | None:
    value = ds.get(keyword)
    if value is None or value == "":
        return None
    if isinstance(value, pydicom.multival.MultiValue):
        value = "\\".join(str(v) for v in value)
    text = str(value).strip()
    return text or None


def _int(ds: Dataset, keyword: str) -> int | None:
    value: Any = ds.get(keyword)
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _first_float(ds: Dataset, keyword: str) -> float | None:
    value: Any = ds.get(keyword)
    if value in (None, ""):
        return None
    if isinstance(value, pydicom.multival.MultiValue):
        value = value[0] if len(value) else None
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _native_pixel_bytes(ds: Dataset) -> int:
    bits = int(ds.get("BitsAllocated", 8) or 8)
    samples = int(ds.get("SamplesPerPixel", 1) or 1)
    if str(ds.get("PhotometricInterpretation", "")).upper() == "YBR_FULL_422":
        samples = 2  # two chroma samples shared by each pair of pixels
    pixels = int(ds.Rows) * int(ds.Columns) * samples
    frames = _int(ds, "NumberOfFrames") or 1
    return (pixels * frames * bits + 7) // 8


def _check_complete(ds: Dataset, syntax: UID) -> None:
    # Image geometry means pixel data must follow. A file cut exactly between two elements
    # before the geometry reads as a header-only dataset, which DICOM allows (pydicom ships
    # such files): it is kept as an `other` instance with no preview.
    if "Rows" in ds and "Columns" in ds:
        if not any(k in ds for k in ("PixelData", "FloatPixelData", "DoubleFloatPixelData")):
            raise TruncatedDicomError("a DICOM image has no pixel data (the file is cut off)")
        native = "PixelData" in ds and "Rows" in ds and not syntax.is_encapsulated
        if native and len(ds.PixelData) < _native_pixel_bytes(ds):
            raise TruncatedDicomError("a DICOM file ends before its pixel data does")
    for group in ds.get("WaveformSequence", []):
        bits = int(group.get("WaveformBitsAllocated", 16) or 16)
        need = (
            int(group.get("NumberOfWaveformChannels", 0) or 0)
            * int(group.get("NumberOfWaveformSamples", 0) or 0)
            * bits
            // 8
        )
        if len(group.get("WaveformData", b"") or b"") < need:
            raise TruncatedDicomError("a DICOM file ends before its waveform data does")


def _previewable(ds: Dataset, syntax: UID) -> bool:
    """A decoder for the syntax is installed and, for a compressed syntax, the first frame
    actually renders (a JPEG variant Pillow lacks, or a colour space pydicom cannot convert,
    shows only on trying)."""
    if "PixelData" not in ds or "Rows" not in ds:
        return False
    try:
        decoder = get_decoder(syntax)
    except NotImplementedError:
        return False
    if not decoder.is_available:
        return False
    if not syntax.is_encapsulated:
        return True  # native pixels always decode; only a compressed codec can be missing
    return render.can_render(ds, _first_float(ds, "WindowCenter"), _first_float(ds, "WindowWidth"))


def parse(data: bytes) -> tuple[Instance, Dataset]:
    """The instance's attributes and its dataset (refused when unsound or not an instance)."""
    ds = read(data)
    meta = getattr(ds, "file_meta", None)
    syntax = UID(str(meta.get("TransferSyntaxUID", "") if meta is not None else "") or "")
    if not syntax:
        syntax = UID("1.2.840.10008.1.2")  # no syntax in the meta: pydicom read it implicit LE
    sop_class = str(ds.get("SOPClassUID", "") or (meta or {}).get("MediaStorageSOPClassUID", ""))
    if sop_class == DIRECTORY_CLASS or "DirectoryRecordSequence" in ds:
        raise NotAnInstanceError("a DICOMDIR is a directory, not an instance")
    _check_complete(ds, syntax)
    waveform = sop_class in WAVEFORM_CLASSES or ("WaveformSequence" in ds and "PixelData" not in ds)
    image = "PixelData" in ds and "Rows" in ds
    kind = "waveform" if waveform else "image" if image else "other"
    return (
        Instance(
            study_uid=_text(ds, "StudyInstanceUID"),
            series_uid=_text(ds, "SeriesInstanceUID"),
            sop_instance_uid=_text(ds, "SOPInstanceUID")
            or _text(meta or Dataset(), "MediaStorageSOPInstanceUID"),
            sop_class_uid=sop_class,
            transfer_syntax=str(syntax),
            modality=(_text(ds, "Modality") or "OT")[:16],
            body_part=(_text(ds, "BodyPartExamined") or "")[:64] or None,
            study_date=_text(ds, "StudyDate"),
            study_time=_text(ds, "StudyTime"),
            study_description=_text(ds, "StudyDescription"),
            series_description=_text(ds, "SeriesDescription"),
            accession_number=_text(ds, "AccessionNumber"),
            patient_id=_text(ds, "PatientID"),
            patient_name=_text(ds, "PatientName"),
            series_number=_int(ds, "SeriesNumber"),
            instance_number=_int(ds, "InstanceNumber"),
            rows=_int(ds, "Rows"),
            columns=_int(ds, "Columns"),
            frames=_int(ds, "NumberOfFrames") or (1 if image else 0),
            kind=kind,
            preview_available=kind == "image" and _previewable(ds, syntax),
            burned_in=str(ds.get("BurnedInAnnotation", "")).strip().upper() == "YES",
            window_center=_first_float(ds, "WindowCenter"),
            window_width=_first_float(ds, "WindowWidth"),
        ),
        ds,
    )


def content_uid(data: bytes) -> str:
    """A stable UID for an instance that names none: re-uploading the same bytes matches it."""
    return "2.25." + str(int(hashlib.sha256(data).hexdigest()[:30], 16))
