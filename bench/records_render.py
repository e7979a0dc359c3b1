"""Rendering for synthetic records: text-layer PDFs (fpdf2), scans and photos (Pillow)."""

from __future__ import annotations

import io
import random
from pathlib import Path

from fpdf import FPDF
from PIL import Image, ImageDraw, ImageFilter, ImageFont

_FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/truetype/liberation"),
)
_FONTS = ("DejaVuSans.ttf", "DejaVuSerif.ttf", "DejaVuSansMono.ttf", "LiberationSans-Regular.ttf")


def font(size: int, rng: random.Random) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """A TrueType font of the system when there is one, else Pillow's bundled one."""
    choices = [d / f for d in _FONT_DIRS for f in _FONTS if (d / f).exists()]
    if choices:
        return ImageFont.truetype(str(rng.choice(choices)), size)
    return ImageFont.load_default(size=size)


Row = list[str]


def text_pdf(pages: list[tuple[list[str], list[Row], list[float]]], mono: bool) -> bytes:
    """A PDF whose pages hold header lines and a table (rows of cells at column x positions).

    Cells are written row by row at fixed x positions, as report engines do; the text layer
    therefore holds each row on one line.
    """
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(False)
    family = "Courier" if mono else "Helvetica"
    for header, rows, columns in pages:
        pdf.add_page()
        pdf.set_font(family, size=9)
        y = 14.0
        for line in header:
            pdf.set_xy(12, y)
            pdf.cell(0, 5, line)
            y += 5
        y += 3
        for row in rows:
            for x, cell in zip(columns, row, strict=False):
                if cell:
                    pdf.set_xy(12 + x, y)
                    pdf.cell(0, 5, cell)
            y += 5.2
    return bytes(pdf.output())


def render_lines(
    lines: list[str], dpi: int, rng: random.Random, width_in: float = 8.27
) -> Image.Image:
    """Lines of text drawn on a white page (greyscale) at `dpi`."""
    width = int(width_in * dpi)
    size = int(dpi * 0.14)
    face = font(size, rng)
    line_h = int(size * 1.45)
    height = max(int(11.0 * dpi * min(1.0, (len(lines) + 8) / 60)), line_h * (len(lines) + 6))
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    y = int(0.6 * dpi)
    for line in lines:
        draw.text((int(0.7 * dpi), y), line, fill=rng.randint(0, 40), font=face)
        y += line_h
    return image


def degrade(
    image: Image.Image, rng: random.Random, rotation: float, blur: float, noise: float
) -> Image.Image:
    """Rotate, blur and add sensor noise, as a scanner or a phone camera would."""
    out = image.rotate(rotation, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    out = out.filter(ImageFilter.GaussianBlur(blur))
    noise_img = Image.effect_noise(out.size, noise)
    # effect_noise is centred on 128: shift it to zero mean and add.
    return Image.blend(out, noise_img, 0.12).point(lambda v: min(255, max(0, v)))


def perspective(image: Image.Image, keystone: float, size: tuple[int, int]) -> Image.Image:
    """A mild keystone distortion (a slip photographed at an angle), fitted into `size`."""
    w, h = image.size
    k = keystone * w
    coeffs = _coeffs([(0, 0), (w, 0), (w, h), (0, h)], [(k, 0), (w - k, 0), (w, h), (0, h)])
    out = image.transform(
        (w, h), Image.Transform.PERSPECTIVE, coeffs, Image.Resampling.BICUBIC, fillcolor=235
    )
    out.thumbnail(size)
    canvas = Image.new("L", size, 225)
    canvas.paste(out, ((size[0] - out.width) // 2, (size[1] - out.height) // 2))
    return canvas


def _coeffs(src: list[tuple[float, float]], dst: list[tuple[float, float]]) -> list[float]:
    import numpy as np

    rows = []
    for (x, y), (u, v) in zip(dst, src, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
    a = np.array(rows, dtype=float)
    b = np.array([c for p in src for c in p], dtype=float)
    return [float(c) for c in np.linalg.solve(a, b)]


def image_pdf(image: Image.Image, dpi: int, quality: int) -> bytes:
    """An image-only PDF (a scan): one JPEG page, no text layer."""
    buffer = io.BytesIO()
    image.convert("L").save(buffer, format="PDF", resolution=float(dpi), quality=quality)
    return buffer.getvalue()


def image_bytes(image: Image.Image, fmt: str, quality: int = 80) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **({"quality": quality} if fmt == "JPEG" else {}))
    return buffer.getvalue()
