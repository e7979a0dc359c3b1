"""A rhythm strip on the standard ECG grid: geometry in millimetres, then SVG.

Paper speed 25 mm/s and gain 10 mm/mV; the grid has 1 mm minor and 5 mm major lines. A
recording with the twelve standard leads is laid out 3 rows x 4 columns of 2.5 s each (I, aVR,
V1, V4 / II, aVL, V2, V5 / III, aVF, V3, V6, each column showing its own 2.5 s of the same
10 s) with lead II as a full-width rhythm strip below; anything else (or a `leads` filter) is
one full-width row per lead. At most the first 10 s are drawn. Every row starts with a 1 mV
calibration pulse. One layout feeds both the SVG here and the PNG (`raster`).
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape

import numpy as np
from numpy.typing import NDArray

from clinscribe.waveforms.core.recording import STANDARD_12, Recording

MM_PER_S = 25.0
MM_PER_MV = 10.0
MINOR_MM = 1.0
MAJOR_MM = 5.0
ROW_MM = 30.0
CAL_MM = 10.0  # left margin holding the 1 mV, 0.2 s calibration pulse
MAX_SECONDS = 10.0
_GRID_12 = (("I", "aVR", "V1", "V4"), ("II", "aVL", "V2", "V5"), ("III", "aVF", "V3", "V6"))
# Points closer than this along x add nothing visible; QRS peaks survive (min/max kept).
_STEP_MM = 0.2


@dataclass(frozen=True)
class Trace:
    label: str
    label_at: tuple[float, float]
    points: tuple[tuple[float, float], ...]  # (x, y) in mm, y down


@dataclass(frozen=True)
class Layout:
    width_mm: float
    height_mm: float
    traces: tuple[Trace, ...]
    baselines: tuple[float, ...]  # one per row, where the calibration pulses stand


def _points(
    values: NDArray[np.float64], rate: float, x0: float, baseline: float
) -> tuple[tuple[float, float], ...]:
    """Samples to paper coordinates, keeping each 0.2 mm column's lowest and highest sample."""
    per_step = max(1, int(rate * _STEP_MM / MM_PER_S))
    out: list[tuple[float, float]] = []
    for start in range(0, values.size, per_step):
        chunk = values[start : start + per_step]
        picks = {start + int(np.argmin(chunk)), start + int(np.argmax(chunk))}
        if start == 0 or start + per_step >= values.size:  # the trace spans its whole window
            picks |= {start, start + chunk.size - 1}
        for i in sorted(picks):
            x = x0 + i / rate * MM_PER_S
            out.append((round(x, 3), round(baseline - float(values[i]) * MM_PER_MV, 3)))
    return tuple(out)


def is_twelve_lead(recording: Recording) -> bool:
    return set(STANDARD_12) <= set(recording.leads)


def layout(recording: Recording, leads: tuple[str, ...] | None = None) -> Layout:
    """Where every trace goes on the paper (the 12-lead layout only for all twelve leads)."""
    rate = recording.sampling_rate
    shown = min(recording.samples, int(MAX_SECONDS * rate))
    seconds = shown / rate
    traces: list[Trace] = []
    baselines: list[float] = []
    if leads is None and is_twelve_lead(recording):
        column = seconds / 4
        for r, row in enumerate(_GRID_12):
            baseline = r * ROW_MM + ROW_MM / 2
            baselines.append(baseline)
            for c, name in enumerate(row):
                lo, hi = int(c * column * rate), int((c + 1) * column * rate)
                x0 = CAL_MM + c * column * MM_PER_S
                values = recording.lead(name)[lo:hi]
                traces.append(
                    Trace(name, (x0 + 1, baseline - 11), _points(values, rate, x0, baseline))
                )
        rows = [("II", 3)]
    else:
        rows = [(name, i) for i, name in enumerate(leads or recording.leads)]
    for name, r in rows:
        baseline = r * ROW_MM + ROW_MM / 2
        baselines.append(baseline)
        values = recording.lead(name)[:shown]
        traces.append(
            Trace(name, (CAL_MM + 1, baseline - 11), _points(values, rate, CAL_MM, baseline))
        )
    rows_total = (len(_GRID_12) + 1) if leads is None and is_twelve_lead(recording) else len(rows)
    width = CAL_MM + np.ceil(seconds * MM_PER_S / MAJOR_MM) * MAJOR_MM
    return Layout(float(width), rows_total * ROW_MM, tuple(traces), tuple(baselines))


def grid_lines(
    width: float, height: float
) -> tuple[list[float], list[float], list[float], list[float]]:
    """x and y positions of the minor and major lines (mm): minor_x, major_x, minor_y, major_y."""
    xs = np.arange(0.0, width + 1e-9, MINOR_MM)
    ys = np.arange(0.0, height + 1e-9, MINOR_MM)

    def split(values: NDArray[np.float64]) -> tuple[list[float], list[float]]:
        major = np.isclose(np.mod(values, MAJOR_MM), 0) | np.isclose(np.mod(values, MAJOR_MM), 5)
        return [float(v) for v in values[~major]], [float(v) for v in values[major]]

    minor_x, major_x = split(xs)
    minor_y, major_y = split(ys)
    return minor_x, major_x, minor_y, major_y


def calibration(baseline: float) -> tuple[tuple[float, float], ...]:
    """A 1 mV (10 mm) high, 0.2 s (5 mm) wide pulse in the left margin."""
    top = baseline - MM_PER_MV
    return (
        (2.0, baseline),
        (3.0, baseline),
        (3.0, top),
        (8.0, top),
        (8.0, baseline),
        (9.0, baseline),
    )


def _path(points: tuple[tuple[float, float], ...]) -> str:
    return " ".join(f"{x:g},{y:g}" for x, y in points)


def svg(lay: Layout) -> str:
    """The strip as SVG whose user unit is the millimetre (viewBox in mm, size in mm)."""
    w, h = lay.width_mm, lay.height_mm
    minor_x, major_x, minor_y, major_y = grid_lines(w, h)
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w:g}mm" height="{h:g}mm" '
        f'viewBox="0 0 {w:g} {h:g}" data-mm-per-s="{MM_PER_S:g}" data-mm-per-mv="{MM_PER_MV:g}">',
        f'<rect width="{w:g}" height="{h:g}" fill="#fff"/>',
        '<g class="minor" stroke="#f6c8c8" stroke-width="0.05">',
        *(f'<line x1="{x:g}" y1="0" x2="{x:g}" y2="{h:g}"/>' for x in minor_x),
        *(f'<line x1="0" y1="{y:g}" x2="{w:g}" y2="{y:g}"/>' for y in minor_y),
        "</g>",
        '<g class="major" stroke="#e08080" stroke-width="0.15">',
        *(f'<line x1="{x:g}" y1="0" x2="{x:g}" y2="{h:g}"/>' for x in major_x),
        *(f'<line x1="0" y1="{y:g}" x2="{w:g}" y2="{y:g}"/>' for y in major_y),
        "</g>",
        '<g class="calibration" fill="none" stroke="#000" stroke-width="0.25">',
        *(f'<polyline points="{_path(calibration(b))}"/>' for b in lay.baselines),
        "</g>",
        '<g class="traces" fill="none" stroke="#000" stroke-width="0.25" stroke-linejoin="round">',
    ]
    for trace in lay.traces:
        lines.append(
            f'<polyline data-lead="{escape(trace.label)}" points="{_path(trace.points)}"/>'
        )
    lines.append("</g>")
    lines.append('<g class="labels" font-family="sans-serif" font-size="3" fill="#000">')
    for trace in lay.traces:
        x, y = trace.label_at
        lines.append(f'<text x="{x:g}" y="{y:g}">{escape(trace.label)}</text>')
    lines.append("</g></svg>")
    return "\n".join(lines) + "\n"
