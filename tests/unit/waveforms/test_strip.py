"""Strip geometry: 25 mm/s, 10 mm/mV, 1 mm and 5 mm grid lines, the 12-lead layout."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

import numpy as np
from PIL import Image

from clinscribe.waveforms.core import raster, read, strip
from clinscribe.waveforms.core.recording import Recording
from tests.unit.waveforms import samples

SVG = "{http://www.w3.org/2000/svg}"


def _svg(recording: Recording, leads: tuple[str, ...] | None = None) -> ET.Element:
    # Our own renderer's output, not untrusted input.
    return ET.fromstring(strip.svg(strip.layout(recording, leads)).split("\n", 1)[1])  # noqa: S314


def _points(polyline: ET.Element) -> np.ndarray:
    return np.array([[float(v) for v in p.split(",")] for p in polyline.get("points", "").split()])


def test_the_grid_has_1_mm_minor_and_5_mm_major_lines() -> None:
    root = _svg(Recording(("II",), 500.0, np.zeros((1000, 1)), "wfdb"))  # 2 s: 50 mm + margin
    assert root.get("viewBox") == "0 0 60 30" and root.get("width") == "60mm"
    minor, major = (root.find(f"{SVG}g[@class='{c}']") for c in ("minor", "major"))
    assert minor is not None and major is not None
    major_x = sorted({float(e.get("x1", "")) for e in major if e.get("x1") == e.get("x2")})
    minor_x = sorted({float(e.get("x1", "")) for e in minor if e.get("x1") == e.get("x2")})
    assert np.allclose(np.diff(major_x), 5.0) and major_x[0] == 0 and major_x[-1] == 60
    assert np.allclose(np.diff(sorted(minor_x + major_x)), 1.0)
    assert all(x % 5 for x in minor_x)


def test_one_millivolt_is_10_mm_and_one_second_is_25_mm() -> None:
    signal = np.zeros(1000)
    signal[500:] = 1.0  # a 1 mV step at t = 1 s (500 Hz)
    root = _svg(Recording(("II",), 500.0, signal[:, None], "wfdb"))
    trace = root.find(f"{SVG}g[@class='traces']/{SVG}polyline")
    assert trace is not None and trace.get("data-lead") == "II"
    points = _points(trace)
    baseline = points[0, 1]
    step = points[np.argmax(points[:, 1] < baseline - 1)]
    assert step[0] == strip.CAL_MM + 25.0  # 1 s after the calibration margin
    assert step[1] == baseline - 10.0  # 1 mV up
    cal = root.find(f"{SVG}g[@class='calibration']/{SVG}polyline")
    assert cal is not None
    heights = _points(cal)[:, 1]
    assert heights.max() - heights.min() == 10.0


def test_twelve_leads_are_laid_out_3_by_4_with_a_lead_ii_rhythm_strip() -> None:
    recording = read.from_dicom(samples.dataset())
    layout = strip.layout(recording)
    assert [t.label for t in layout.traces] == [
        "I", "aVR", "V1", "V4", "II", "aVL", "V2", "V5", "III", "aVF", "V3", "V6", "II",
    ]  # fmt: skip
    assert (layout.width_mm, layout.height_mm) == (strip.CAL_MM + 250, 4 * strip.ROW_MM)
    by_label = {t.label: t for t in layout.traces[:12]}
    # Each column shows its own 2.5 s: V4 starts 7.5 s (187.5 mm) into the strip.
    assert by_label["V4"].points[0][0] == strip.CAL_MM + 187.5
    rhythm = layout.traces[12]
    assert rhythm.points[0][0] == strip.CAL_MM and rhythm.points[-1][0] > strip.CAL_MM + 249


def test_a_lead_filter_stacks_the_chosen_leads_full_width() -> None:
    recording = read.from_dicom(samples.dataset())
    layout = strip.layout(recording, ("II", "V1"))
    assert [t.label for t in layout.traces] == ["II", "V1"]
    assert layout.height_mm == 2 * strip.ROW_MM
    assert all(t.points[0][0] == strip.CAL_MM for t in layout.traces)


def test_the_png_is_5_pixels_per_millimetre() -> None:
    layout = strip.layout(Recording(("II",), 500.0, np.zeros((1000, 1)), "wfdb"))
    image = Image.open(io.BytesIO(raster.png(layout)))
    assert image.format == "PNG" and image.size == (60 * 5 + 1, 30 * 5 + 1)
