"""Small documents built in the test itself: text-layer PDFs, images, broken and locked files."""

from __future__ import annotations

import io

from fpdf import FPDF
from PIL import Image, ImageDraw

LAB_LINES = [
    "SYNTHETIC LABORATORY REPORT - Test Valley Lab",
    "Patient: Ada Testpatient    Collected: 2025-03-04",
    "Test                 Result   Units     Reference",
    "Glucose              7.9      mmol/L    3.9-5.5     H",
    "Sodium               139      mmol/L    135-145",
    "Potassium            3.1      mmol/L    3.5-5.1     L",
    "Creatinine           88       umol/L    45-90",
]

LETTER = """SYNTHETIC CLINIC LETTER
Date: 12 June 2025
Dear Dr Smith,
Diagnoses:
1. Heart failure with reduced ejection fraction
2. Type 2 diabetes mellitus
Medications:
- Furosemide 40 mg once daily (increased from 20 mg)
- Metformin 500 mg twice daily
Allergies: Penicillin (rash)
Follow-up: review in clinic in 6 weeks.
"""


def text_pdf(pages: list[list[str]]) -> bytes:
    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    for lines in pages:
        pdf.add_page()
        for line in lines:
            pdf.cell(0, 7, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def encrypted_pdf() -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    pdf.cell(0, 7, "Sodium 139 mmol/L")
    pdf.set_encryption(owner_password="owner", user_password="user")
    return bytes(pdf.output())


def corrupt_pdf() -> bytes:
    good = text_pdf([LAB_LINES])
    return good[:40] + b"\x00garbage" * 50


def png(size: tuple[int, int] = (400, 200), text: str = "Sodium 139 mmol/L") -> bytes:
    image = Image.new("RGB", size, "white")
    ImageDraw.Draw(image).text((20, 20), text, fill="black")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def tiff(pages: int) -> bytes:
    frames = [Image.new("L", (200, 100), 255) for _ in range(pages)]
    out = io.BytesIO()
    frames[0].save(out, format="TIFF", save_all=True, append_images=frames[1:])
    return out.getvalue()
