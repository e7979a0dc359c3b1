"""A multi-lead recording in physical units, the one shape every reader returns."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from numpy.typing import NDArray

from clinscribe.waveforms.core.errors import (
    SamplingRateError,
    SignalLengthMismatchError,
    WaveformTooLargeError,
    WaveformUnreadableError,
)

# No ECG device samples below 50 Hz (QRS needs ~100 Hz) or above 20 kHz (pacemaker spikes).
MIN_RATE = 50.0
MAX_RATE = 20_000.0
_LEAD_NAME = re.compile(r"^(?:lead\s+)?([^()]+?)\s*(?:\(.*\))?$", re.IGNORECASE)
_CANONICAL = {
    n.upper(): n
    for n in ("I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6")
}
STANDARD_12 = tuple(_CANONICAL.values())


def lead_name(label: str) -> str:
    """`Lead I (Einthoven)` -> `I`, `AVR` -> `aVR`, `MLII` stays `MLII` (at most 16 chars)."""
    match = _LEAD_NAME.match(label.strip())
    name = (match.group(1) if match else label).strip() or "?"
    return _CANONICAL.get(name.upper(), name)[:16]


@dataclass(frozen=True)
class Recording:
    """Leads sampled together: `signals` is (samples, leads) in millivolts."""

    leads: tuple[str, ...]
    sampling_rate: float
    signals: NDArray[np.float64]
    source_format: str  # "dicom" | "wfdb"
    acquired_at: datetime | None = None
    # What the recording device itself measured (DICOM annotations), by measurement key.
    device_measurements: dict[str, float] = field(default_factory=dict)

    @property
    def samples(self) -> int:
        return int(self.signals.shape[0])

    @property
    def duration(self) -> float:
        return self.samples / self.sampling_rate

    def lead(self, name: str) -> NDArray[np.float64]:
        return self.signals[:, self.leads.index(name)]


def checked(recording: Recording, *, max_seconds: float) -> Recording:
    """The recording if it is a plausible ECG, else the 4xx error saying why not."""
    rate = recording.sampling_rate
    if not np.isfinite(rate) or not MIN_RATE <= rate <= MAX_RATE:
        raise SamplingRateError(
            f"sampling rate {rate:g} Hz is outside {MIN_RATE:g}-{MAX_RATE:g} Hz"
        )
    shape = recording.signals.shape
    if len(shape) != 2 or shape[1] != len(recording.leads) or shape[1] == 0:
        raise SignalLengthMismatchError("the signal does not have one column per lead")
    if shape[0] < 2:
        raise SignalLengthMismatchError("the signal holds no samples")
    if recording.duration > max_seconds:
        raise WaveformTooLargeError(
            f"the recording lasts {recording.duration:.0f} s; the limit is {max_seconds:.0f} s"
        )
    # Gaps (NaN) in WFDB data are kept out of the arithmetic: they read as the baseline.
    signals = np.nan_to_num(recording.signals.astype(np.float64), nan=0.0, posinf=0, neginf=0)
    return Recording(
        leads=recording.leads,
        sampling_rate=float(rate),
        signals=signals,
        source_format=recording.source_format,
        acquired_at=recording.acquired_at,
        device_measurements=recording.device_measurements,
    )


def to_bytes(recording: Recording) -> bytes:
    """The signal as an .npz (float32 microvolt-exact enough for display and re-analysis)."""
    out = io.BytesIO()
    np.savez_compressed(out, signals=recording.signals.astype(np.float32))
    return out.getvalue()


def from_bytes(
    data: bytes, *, leads: tuple[str, ...], sampling_rate: float, source_format: str
) -> Recording:
    """A stored signal back as a Recording (never unpickles anything)."""
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as archive:
            signals = np.asarray(archive["signals"], dtype=np.float64)
    except (ValueError, KeyError, OSError) as exc:
        raise WaveformUnreadableError("the stored signal is unreadable") from exc
    return Recording(leads, sampling_rate, signals, source_format)
