"""The measurements a waveform yields and their LOINC codes, in one place.

Sources: the US Core "Clinical Test Codes" value set lists 8625-6 P-R interval, 8633-0 QRS
duration, 8634-8 Q-T interval and 8636-3 Q-T interval corrected; 8867-4 Heart rate is the FHIR
vital-signs profile's code; 8637-1 is "R-R interval by EKG"; 80404-7 is "R-R interval.standard
deviation (Heart rate variability)" (what SDNN is). RMSSD has no LOINC code we could confirm,
so it is reported with the waveform but not filed as a record observation.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Measure:
    key: str
    loinc: str | None
    display: str
    unit: str  # UCUM


MEASURES: tuple[Measure, ...] = (
    Measure("heart_rate", "8867-4", "Heart rate", "/min"),
    Measure("rr_ms", "8637-1", "R-R interval by EKG", "ms"),
    Measure("sdnn_ms", "80404-7", "R-R interval.standard deviation (Heart rate variability)", "ms"),
    Measure("rmssd_ms", None, "RMSSD of successive R-R intervals", "ms"),
    Measure("pr_ms", "8625-6", "P-R interval", "ms"),
    Measure("qrs_ms", "8633-0", "QRS duration", "ms"),
    Measure("qt_ms", "8634-8", "Q-T interval", "ms"),
    Measure("qtc_ms", "8636-3", "Q-T interval corrected (Bazett)", "ms"),
)
BY_KEY = {m.key: m for m in MEASURES}
