"""Accuracy floors on documents made here: text-layer tables in several layouts, and a scan.

Recorded when written: text layers 24/24 values exact (value, UCUM unit, LOINC) in three
layouts (one printing the range before the value); the noisy, tilted scan 7/8 as a PDF and 6/8
as a PNG (OCR garbles a unit, or the "1" of "A1c"; those results are flagged or absent), with no
confident wrong number in either.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageFilter

from clinscribe.documents.core.extract import extract_pages
from clinscribe.documents.core.facts import analyse_document
from tests.unit.documents.docs_media import encode, page_image, scanned_pdf, text_pdf

# (printed name, value, unit as printed, UCUM, LOINC, reference)
ROWS = [
    ("Sodium", "141", "mmol/L", "mmol/L", "2951-2", "135-145"),
    ("Potassium", "5.4", "mmol/L", "mmol/L", "2823-3", "3.5-5.1"),
    ("Creatinine", "1.32", "mg/dL", "mg/dL", "2160-0", "0.60-1.20"),
    ("Glucose, fasting", "131", "mg/dL", "mg/dL", "1558-6", "70-99"),
    ("Hemoglobin A1c", "7.4", "%", "%", "4548-4", "4.0-5.6"),
    ("Triglycerides", "2.3", "mmol/L", "mmol/L", "14927-8", "<1.7"),
    ("WBC", "11.9", "x10^9/L", "10*9/L", "6690-2", "4.0-11.0"),
    ("TSH", "6.20", "mIU/L", "m[IU]/L", "3016-3", "0.40-4.50"),
]
LAYOUTS = [
    lambda n, v, u, r: f"{n} {v} {u} {r}",
    lambda n, v, u, r: f"{n} | {r} | {v} | {u}",
    lambda n, v, u, r: f"{n} ........ {v} {u} (ref {r})",
]


def _score(data: bytes) -> tuple[int, int, int]:
    facts = analyse_document(extract_pages(data), document_id="acc")
    exact = wrong = 0
    for name, value, _unit, ucum, code, _ref in ROWS:
        hits = [x for x in facts.labs if x.loinc == code]
        if any(x.value == float(value) and x.ucum == ucum for x in hits):
            exact += 1
        elif any(not x.low_confidence for x in hits):
            wrong += 1  # a number or unit that is wrong and not flagged for review
        del name
    return exact, len(ROWS), wrong


@pytest.mark.accuracy
def test_text_layer_lab_tables_are_read_exactly_in_every_layout() -> None:
    total = 0
    for layout in LAYOUTS:
        lines = ["Collected: 2025-05-02", "CHEMISTRY"]
        lines += [layout(n, v, u, r) for n, v, u, _ucum, _code, r in ROWS]
        exact, _n, wrong = _score(text_pdf([lines]))
        assert wrong == 0
        total += exact
    assert total / (len(ROWS) * len(LAYOUTS)) >= 1.0


@pytest.mark.accuracy
def test_a_noisy_tilted_scan_is_read_with_no_confident_wrong_number() -> None:
    lines = ["Collected: 2025-05-02", "TEST RESULT UNITS RANGE"]
    lines += [f"{n} {v} {u} {r}" for n, v, u, _ucum, _code, r in ROWS]
    image = page_image(lines, size=30, rotate=1.5).filter(ImageFilter.GaussianBlur(0.8))
    # Seeded sensor noise, so the floor is the same on every run.
    rng = np.random.default_rng(16)
    noise = rng.normal(128, 40, (image.height, image.width)).clip(0, 255).astype(np.uint8)
    image = Image.blend(image, Image.fromarray(noise), 0.15)
    exact, n, wrong = _score(scanned_pdf(image, dpi=200))
    assert wrong == 0
    assert exact / n >= 0.875
    png_exact, _n, png_wrong = _score(encode(image, "PNG"))
    assert png_wrong == 0 and png_exact / n >= 0.75
