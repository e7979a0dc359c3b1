"""Measurements: NeuroKit2's heart rate against the simulated one, intervals against the DICOM
sample's own device measurements, and degenerate signals that must not crash."""

from __future__ import annotations

import numpy as np
import pytest

from clinscribe.waveforms.core import measure, read
from clinscribe.waveforms.core.recording import Recording
from tests.unit.waveforms import samples


@pytest.mark.parametrize("heart_rate", [55, 75, 110])
def test_heart_rate_is_within_3_bpm_of_the_simulated_rate(heart_rate: int) -> None:
    recording = Recording(("II",), 500.0, samples.simulated(heart_rate)[:, None], "wfdb")
    found = measure.analyse(recording).values
    assert abs(found["heart_rate"] - heart_rate) <= 3, found
    assert abs(found["rr_ms"] - 60_000 / heart_rate) <= 60_000 / heart_rate * 0.05
    assert found["sdnn_ms"] >= 0 and found["rmssd_ms"] >= 0


def test_the_dicom_sample_agrees_with_its_device_measurements() -> None:
    recording = read.from_dicom(samples.dataset())
    analysis = measure.analyse(recording)
    device = recording.device_measurements
    assert analysis.lead == "II"
    assert abs(analysis.values["heart_rate"] - device["heart_rate"]) <= 2
    assert abs(analysis.values["qt_ms"] - device["qt_ms"]) <= 30
    assert abs(analysis.values["pr_ms"] - device["pr_ms"]) <= 40
    # The delineated QRS is the least exact of the figures (see docs/benchmarks.md).
    assert abs(analysis.values["qrs_ms"] - device["qrs_ms"]) <= 50
    assert 300 <= analysis.values["qtc_ms"] <= 500


@pytest.mark.parametrize(
    "signal",
    [
        np.zeros(5000),
        np.full(5000, 0.3),
        np.zeros(100),
        np.random.default_rng(1).normal(0, 1e-3, 5000),
    ],
    ids=["flat", "constant", "too-short", "noise-floor"],
)
def test_a_signal_without_beats_yields_no_measurements(signal: np.ndarray) -> None:
    analysis = measure.analyse(Recording(("II",), 500.0, signal[:, None], "wfdb"))
    assert analysis.values == {} and analysis.lead == "II"


def test_the_analysis_lead_is_ii_when_present_else_the_first() -> None:
    data = np.zeros((10, 2))
    assert measure.analysis_lead(Recording(("V1", "II"), 500.0, data, "wfdb")) == "II"
    assert measure.analysis_lead(Recording(("MLII", "V5"), 500.0, data, "wfdb")) == "MLII"
