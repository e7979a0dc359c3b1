"""Small documents made in the test session: text-layer PDFs, page images, hostile files."""

from __future__ import annotations

import io
import zlib

from fpdf import FPDF
from PIL import Image, ImageDraw, ImageFont


def text_pdf(pages: list[list[str]], *, password: str | None = None) -> bytes:
    """A PDF with a real text layer, one list of lines per page."""
    pdf = FPDF(format="A4")
    for lines in pages:
        pdf.add_page()
        pdf.set_font("Helvetica", size=10)
        for line in lines:
            pdf.cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
    if password is not None:
        pdf.set_encryption(owner_password="owner-" + password, user_password=password)
    return bytes(pdf.output())


def page_image(lines: list[str], *, size: int = 34, rotate: float = 0.0) -> Image.Image:
    """Lines drawn black on white with Pillow's bundled font (no system font needed)."""
    face = ImageFont.load_default(size=size)
    line_h = int(size * 1.6)
    image = Image.new("L", (1500, 160 + line_h * len(lines)), 255)
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(lines):
        draw.text((80, 80 + i * line_h), line, fill=0, font=face)
    if rotate:
        image = image.rotate(rotate, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    return image


def encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def scanned_pdf(image: Image.Image, dpi: int = 200) -> bytes:
    """An image-only PDF: a scan with no text layer."""
    return encode(image.convert("L"), "PDF", resolution=float(dpi))


def flate_bomb_pdf(expanded: int) -> bytes:
    """A well-formed one-page PDF whose content stream inflates to `expanded` bytes."""
    stream = zlib.compress(b" " * expanded, 9)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)
