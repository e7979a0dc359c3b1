"""The strip layout drawn as a PNG (Pillow), at a fixed number of pixels per millimetre."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw

from clinscribe.waveforms.core.strip import Layout, calibration, grid_lines

PX_PER_MM = 5  # a 10 s 12-lead strip is 1300 x 600 px


def png(lay: Layout, px_per_mm: int = PX_PER_MM) -> bytes:
    s = px_per_mm
    width, height = round(lay.width_mm * s) + 1, round(lay.height_mm * s) + 1
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    minor_x, major_x, minor_y, major_y = grid_lines(lay.width_mm, lay.height_mm)
    for xs, ys, colour in (
        (minor_x, minor_y, (246, 200, 200)),
        (major_x, major_y, (224, 128, 128)),
    ):
        for x in xs:
            draw.line([(round(x * s), 0), (round(x * s), height)], fill=colour, width=1)
        for y in ys:
            draw.line([(0, round(y * s)), (width, round(y * s))], fill=colour, width=1)
    for baseline in lay.baselines:
        draw.line([(x * s, y * s) for x, y in calibration(baseline)], fill="black", width=2)
    for trace in lay.traces:
        if len(trace.points) > 1:
            draw.line([(x * s, y * s) for x, y in trace.points], fill="black", width=2)
        x, y = trace.label_at
        draw.text((x * s, (y - 3) * s), trace.label, fill="black")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()
