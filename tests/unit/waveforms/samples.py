"""Waveform inputs for the tests: pydicom's ECG sample, and WFDB records written from a
NeuroKit2-simulated ECG with a known heart rate (wfdb ships no sample records offline)."""

from __future__ import annotations

import functools
import io
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pydicom
import wfdb
from numpy.typing import NDArray
from pydicom.data import get_testdata_file


def dicom_path() -> str:
    path = get_testdata_file("waveform_ecg.dcm")
    assert path is not None
    return str(path)


@functools.cache
def dicom_bytes() -> bytes:
    return Path(dicom_path()).read_bytes()


def image_dicom_bytes() -> bytes:
    """A CT image: valid DICOM, no waveform."""
    path = get_testdata_file("CT_small.dcm")
    assert path is not None
    return Path(str(path)).read_bytes()


def dataset() -> pydicom.Dataset:
    return pydicom.dcmread(dicom_path())


@functools.cache
def simulated(heart_rate: int, seconds: int = 10, rate: int = 500) -> NDArray[np.float64]:
    """A clean single-lead ECG (mV) at `heart_rate` beats per minute (seeded, so repeatable)."""
    import neurokit2 as nk

    signal = nk.ecg_simulate(
        duration=seconds, sampling_rate=rate, heart_rate=heart_rate, noise=0.01, random_state=7
    )
    return np.asarray(signal, dtype=np.float64)


def wfdb_files(
    signals: NDArray[np.float64],
    rate: float,
    names: tuple[str, ...] = ("II",),
    record: str = "ecg100",
) -> list[tuple[str, bytes]]:
    """The .hea and .dat of a WFDB record (format 16, mV) holding these signals."""
    data = signals.reshape(len(signals), -1)
    with tempfile.TemporaryDirectory() as tmp:
        wfdb.wrsamp(
            record,
            fs=rate,
            units=["mV"] * data.shape[1],
            sig_name=list(names),
            p_signal=data,
            fmt=["16"] * data.shape[1],
            write_dir=tmp,
        )
        return [(p.name, p.read_bytes()) for p in sorted(Path(tmp).iterdir())]


def zipped(files: list[tuple[str, bytes]]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files:
            archive.writestr(f"record/{name}", data)
    return out.getvalue()


def header_with(files: list[tuple[str, bytes]], old: str, new: str) -> list[tuple[str, bytes]]:
    """The same record with its header text edited (e.g. another sampling rate)."""
    return [
        (n, d.decode().replace(old, new, 1).encode() if n.endswith(".hea") else d) for n, d in files
    ]
