"""ECG measurements by NeuroKit2: heart rate, R-R intervals, HRV and the intervals of the beat.

Why NeuroKit2: it is a maintained, published (Makowski et al., 2021, Behavior Research Methods)
toolbox whose R-peak detector and wavelet delineator have been validated on public databases;
it is pure Python on NumPy/SciPy/pandas, needs no download at run time, and analyses a 10 s
12-lead strip in well under a second. We do not write our own detectors.

Method: the analysed lead is II when present (the rhythm lead), else the first lead. The signal
is cleaned (`ecg_clean`, method "neurokit": 0.5 Hz high-pass and powerline filter), R-peaks found
by `ecg_peaks` (method "neurokit"), HRV by `hrv_time` (SDNN, RMSSD), and the waves delineated by
`ecg_delineate` with the discrete wavelet method ("dwt"). Per beat: PR = Q peak - P onset,
QRS = S peak - Q peak, QT = T offset - Q peak; each is the median over beats whose value is
physiologically possible, and QTc = QT / sqrt(RR in s) (Bazett). The QRS is bounded by NeuroKit2's
Q and S peaks, not its "R onset/offset": on the DICOM sample ECG, whose device measured QRS 75 ms
and QT 368 ms, the dwt R onset/offset gave QRS 206 ms and QT 462 ms, the Q/S peaks 106 and 369 ms
(docs/benchmarks.md has the comparison). A flat, empty or too short signal yields no
measurements rather than an error.
"""

from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np
from numpy.typing import NDArray

from clinscribe.waveforms.core.recording import Recording

METHOD = "neurokit2 ecg_peaks (neurokit), ecg_delineate (dwt, QRS from Q to S peak), QTc Bazett"
# Ranges outside which a delineated interval is a detection error, not physiology (ms).
_PLAUSIBLE = {"pr_ms": (60, 400), "qrs_ms": (40, 250), "qt_ms": (200, 700)}
_MIN_SECONDS = 2.5
_MIN_BEATS = 3


@functools.cache
def _nk() -> ModuleType:
    # Loaded on first analysis (about 2 s): the API and CLI start without it.
    import neurokit2

    module: ModuleType = neurokit2
    return module


@dataclass(frozen=True)
class Analysis:
    """Measurements by key (see codes.MEASURES; absent when not measurable), and R-peaks."""

    lead: str | None
    values: dict[str, float]
    r_peaks: NDArray[np.int64]


def analysis_lead(recording: Recording) -> str:
    return "II" if "II" in recording.leads else recording.leads[0]


def _median_interval(ends: Any, starts: Any, rate: float, key: str) -> float | None:
    a = np.asarray(ends, dtype=np.float64)
    b = np.asarray(starts, dtype=np.float64)
    n = min(a.size, b.size)
    values = (a[:n] - b[:n]) * 1000.0 / rate
    low, high = _PLAUSIBLE[key]
    good = values[np.isfinite(values) & (values >= low) & (values <= high)]
    return round(float(np.median(good)), 1) if good.size else None


def r_peaks(signal: NDArray[np.float64], rate: float) -> tuple[Any, NDArray[np.int64]]:
    """The cleaned signal and its R-peak sample indices (NeuroKit2)."""
    nk = _nk()
    clean = nk.ecg_clean(signal, sampling_rate=rate, method="neurokit")
    _, info = nk.ecg_peaks(clean, sampling_rate=rate, method="neurokit")
    return clean, np.asarray(info["ECG_R_Peaks"], dtype=np.int64)


def analyse(recording: Recording) -> Analysis:
    """Everything measurable on the analysis lead; never raises on a degenerate signal."""
    name = analysis_lead(recording)
    signal = recording.lead(name)
    rate = recording.sampling_rate
    empty = Analysis(name, {}, np.zeros(0, dtype=np.int64))
    if recording.duration < _MIN_SECONDS or float(np.ptp(signal)) < 0.05:  # flat: < 50 uV
        return empty
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            clean, peaks = r_peaks(signal, rate)
        except Exception:  # NeuroKit2 raises assorted errors on odd input
            return empty
        if peaks.size < _MIN_BEATS:
            return empty
        rr = np.diff(peaks) * 1000.0 / rate
        values: dict[str, float] = {
            "heart_rate": round(60_000.0 / float(np.mean(rr)), 1),
            "rr_ms": round(float(np.mean(rr)), 1),
        }
        values.update(_hrv(peaks, rate))
        values.update(_intervals(clean, peaks, rate, float(np.mean(rr))))
    return Analysis(name, values, peaks)


def _hrv(peaks: NDArray[np.int64], rate: float) -> dict[str, float]:
    try:
        table = _nk().hrv_time(peaks, sampling_rate=rate)
    except Exception:  # too few beats for HRV is not an upload error
        return {}
    out: dict[str, float] = {}
    for key, column in (("sdnn_ms", "HRV_SDNN"), ("rmssd_ms", "HRV_RMSSD")):
        value = float(table[column].iloc[0])
        if np.isfinite(value):
            out[key] = round(value, 1)
    return out


def _intervals(clean: Any, peaks: NDArray[np.int64], rate: float, rr_ms: float) -> dict[str, float]:
    try:
        _, waves = _nk().ecg_delineate(clean, peaks, sampling_rate=rate, method="dwt")
    except Exception:  # a signal the delineator cannot read has no intervals
        return {}
    found = {
        "pr_ms": _median_interval(waves["ECG_Q_Peaks"], waves["ECG_P_Onsets"], rate, "pr_ms"),
        "qrs_ms": _median_interval(waves["ECG_S_Peaks"], waves["ECG_Q_Peaks"], rate, "qrs_ms"),
        "qt_ms": _median_interval(waves["ECG_T_Offsets"], waves["ECG_Q_Peaks"], rate, "qt_ms"),
    }
    out = {k: v for k, v in found.items() if v is not None}
    if "qt_ms" in out:
        out["qtc_ms"] = round(out["qt_ms"] / np.sqrt(rr_ms / 1000.0), 1)
    return out
