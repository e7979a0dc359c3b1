"""Readers: DICOM waveform objects (12-lead and General ECG) and WFDB records (.hea + .dat).

`from_dicom` is the entry point for DICOM objects already parsed elsewhere (imaging hands its
waveform instances here); `read_upload` takes the uploaded files as they came: one DICOM file,
a WFDB header with its signal files, or a zip of either. Everything is read in memory or in a
private temporary directory; a header may only name signal files uploaded beside it.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any

import numpy as np

from clinscribe.waveforms.core.errors import (
    NotAWaveformError,
    SignalFileMissingError,
    SignalLengthMismatchError,
    WaveformTooLargeError,
    WaveformUnreadableError,
)
from clinscribe.waveforms.core.recording import Recording, lead_name

if TYPE_CHECKING:
    import pydicom

# pydicom and wfdb (which brings pandas) load on the first ECG, not with the API or CLI.

# SCP-ECG concept names of the device's own measurements (DICOM WaveformAnnotationSequence).
_DEVICE = {
    "RR Interval": "rr_ms",
    "PR Interval": "pr_ms",
    "QRS Duration": "qrs_ms",
    "QT Interval": "qt_ms",
    "QTc Interval": "qtc_ms",
    "Ventricular Heart Rate": "heart_rate",
}
# Bytes per sample of the common WFDB formats (212 packs two 12-bit samples in three bytes).
_BYTES_PER_SAMPLE = {"16": 2.0, "212": 1.5, "80": 1.0, "32": 4.0}
_TO_MV = {"uV": 0.001, "mV": 1.0, "V": 1000.0, "nV": 1e-6}
MAX_FILES = 64
Files = Sequence[tuple[str, bytes]]


def _group(ds: pydicom.Dataset) -> int:
    """The rhythm multiplex group (the median beat is a template, not a recording)."""
    groups = list(ds.WaveformSequence)
    for i, group in enumerate(groups):
        if str(group.get("MultiplexGroupLabel", "")).upper().startswith("RHYTHM"):
            return i
    return max(range(len(groups)), key=lambda i: int(groups[i].NumberOfWaveformSamples))


def _channel(channel: Any, index: int) -> tuple[str, float]:
    source = channel.get("ChannelSourceSequence")
    label = source[0].get("CodeMeaning", "") if source else ""
    name = lead_name(str(label or channel.get("ChannelLabel", "") or f"ch{index + 1}"))
    units = channel.get("ChannelSensitivityUnitsSequence")
    unit = str(units[0].get("CodeValue", "uV")) if units else "uV"
    return name, _TO_MV.get(unit, 0.001)


def _device_measurements(ds: pydicom.Dataset) -> dict[str, float]:
    found: dict[str, float] = {}
    for item in ds.get("WaveformAnnotationSequence", []):
        concept = item.get("ConceptNameCodeSequence")
        value = item.get("NumericValue")
        if not concept or value is None:
            continue
        key = _DEVICE.get(str(concept[0].get("CodeMeaning", "")))
        if key is not None and float(value) > 0:
            found[key] = float(value)
    if "heart_rate" not in found and "rr_ms" in found:
        found["heart_rate"] = round(60_000.0 / found["rr_ms"], 1)
    return found


def _acquired(ds: pydicom.Dataset) -> datetime | None:
    from pydicom.valuerep import DT

    raw = ds.get("AcquisitionDateTime")
    try:
        return datetime.fromisoformat(DT(raw).isoformat()) if raw else None
    except ValueError:
        return None


def from_dicom(ds: pydicom.Dataset) -> Recording:
    """The rhythm waveform of a DICOM ECG object, in millivolts, with its lead names."""
    if "WaveformSequence" not in ds or len(ds.WaveformSequence) == 0:
        raise NotAWaveformError("the DICOM object holds no waveform (an image or a report?)")
    index = _group(ds)
    group = ds.WaveformSequence[index]
    try:
        data = np.asarray(ds.waveform_array(index), dtype=np.float64)
        rate = float(group.SamplingFrequency)
        channels = [_channel(c, i) for i, c in enumerate(group.ChannelDefinitionSequence)]
    except (AttributeError, KeyError, ValueError, TypeError) as exc:
        raise WaveformUnreadableError("the DICOM waveform data is damaged") from exc
    if data.ndim != 2 or data.shape[1] != len(channels):
        raise SignalLengthMismatchError("the waveform data does not match its channel count")
    scale = np.array([mv for _, mv in channels])
    return Recording(
        leads=tuple(name for name, _ in channels),
        sampling_rate=rate,
        signals=data * scale,
        source_format="dicom",
        acquired_at=_acquired(ds),
        device_measurements=_device_measurements(ds),
    )


def read_dicom(data: bytes) -> Recording:
    """One DICOM file's waveform (422 when truncated, damaged or not a waveform object)."""
    import pydicom
    from pydicom.errors import InvalidDicomError

    try:
        ds = pydicom.dcmread(io.BytesIO(data))
        return from_dicom(ds)
    except (InvalidDicomError, EOFError, OSError, ValueError, TypeError, KeyError) as exc:
        if isinstance(exc, WaveformUnreadableError | NotAWaveformError):
            raise
        raise WaveformUnreadableError("the DICOM file is truncated or damaged") from exc


def is_dicom(data: bytes) -> bool:
    return len(data) >= 132 and data[128:132] == b"DICM"


def _safe_name(name: str) -> str:
    return PurePath(name.replace("\\", "/")).name


def _unzip(data: bytes, max_bytes: int) -> list[tuple[str, bytes]]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = [m for m in archive.infolist() if not m.is_dir()]
        if len(members) > MAX_FILES:
            raise WaveformTooLargeError(f"the zip holds more than {MAX_FILES} files")
        # Sizes declared in the zip are checked before anything is inflated (zip bombs).
        if sum(m.file_size for m in members) > max_bytes:
            raise WaveformTooLargeError(f"the zip's contents exceed {max_bytes} bytes")
        return [(_safe_name(m.filename), archive.read(m)) for m in members]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError) as exc:
        raise WaveformUnreadableError("the zip file is damaged") from exc


def _check_length(head: Any, files: dict[str, bytes]) -> None:
    """Each signal file must hold exactly the samples its header declares (when we can tell)."""
    if not head.sig_len or (head.byte_offset and any(head.byte_offset)):
        return
    per_file: dict[str, float] = {}
    for name, fmt in zip(head.file_name or [], head.fmt or [], strict=False):
        width = _BYTES_PER_SAMPLE.get(str(fmt))
        if width is None:
            return
        per_file[name] = per_file.get(name, 0.0) + width * head.sig_len
    for name, expected in per_file.items():
        if name in files and len(files[name]) != int(np.ceil(expected)):
            raise SignalLengthMismatchError(
                f"the signal file holds {len(files[name])} bytes; its header declares "
                f"{int(np.ceil(expected))}"
            )


def _wfdb(files: dict[str, bytes], header: str) -> Recording:
    import wfdb

    record_name = header.removesuffix(".hea")
    with tempfile.TemporaryDirectory(prefix="wfdb-") as tmp:
        folder = Path(tmp)
        (folder / header).write_bytes(files[header])
        try:
            head = wfdb.rdheader(str(folder / record_name))
        except Exception as exc:  # wfdb raises bare ValueError/IndexError/...
            raise WaveformUnreadableError("the WFDB header cannot be parsed") from exc
        if getattr(head, "n_seg", None):
            raise WaveformUnreadableError("multi-segment WFDB records are not supported")
        _check_length(head, files)
        for name in set(head.file_name or []):
            if _safe_name(name) != name or name not in files:
                raise SignalFileMissingError(
                    f"the header's signal file {_safe_name(name)!r} was not uploaded"
                )
            (folder / name).write_bytes(files[name])
        try:
            record = wfdb.rdrecord(str(folder / record_name), physical=True)
        except Exception as exc:  # as above, any failure is a damaged record
            raise SignalLengthMismatchError(
                "the signal file does not hold the samples its header declares"
            ) from exc
    signals = record.p_signal
    if signals is None or signals.shape != (record.sig_len, record.n_sig) or not record.sig_len:
        raise SignalLengthMismatchError("the signal file is shorter than its header declares")
    scale = np.array([_TO_MV.get(str(u).strip(), 1.0) for u in record.units or []])
    return Recording(
        leads=tuple(lead_name(str(n)) for n in record.sig_name),
        sampling_rate=float(record.fs),
        signals=np.asarray(signals, dtype=np.float64) * scale,
        source_format="wfdb",
        acquired_at=getattr(record, "base_datetime", None),
    )


def read_upload(files: Files, *, max_bytes: int) -> Recording:
    """The recording in these uploaded files: one DICOM ECG, or one WFDB record (maybe zipped)."""
    if not files or all(not data for _, data in files):
        raise WaveformUnreadableError("the upload is empty")
    if len(files) > MAX_FILES:
        raise WaveformTooLargeError(f"more than {MAX_FILES} files")
    flat: list[tuple[str, bytes]] = []
    for name, data in files:
        if zipfile.is_zipfile(io.BytesIO(data)):
            flat.extend(_unzip(data, max_bytes))
        else:
            flat.append((_safe_name(name or "upload"), data))
    dicoms = [data for _, data in flat if is_dicom(data)]
    if dicoms:
        if len(flat) > 1:
            raise WaveformUnreadableError("upload one DICOM ECG at a time")
        return read_dicom(dicoms[0])
    by_name = dict(flat)
    headers = sorted(n for n in by_name if n.lower().endswith(".hea"))
    if len(headers) != 1:
        if any(n.lower().endswith(".dcm") for n in by_name):
            return read_dicom(flat[0][1])  # a .dcm without the DICM preamble: let pydicom say
        raise WaveformUnreadableError(
            "expected a DICOM ECG, or one WFDB header (.hea) with its signal files"
        )
    return _wfdb(by_name, headers[0])
