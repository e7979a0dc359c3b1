"""Bytes in, pages out: text layers, OCR with deskew and confidence, and every refusal."""

from __future__ import annotations

import pytest
from fpdf import FPDF
from PIL import Image

from clinscribe.documents.core.errors import (
    CorruptDocumentError,
    DecompressionBombError,
    DocumentError,
    DocumentTooLargeError,
    EmptyDocumentError,
    EncryptedDocumentError,
    TooManyPagesError,
    UnsupportedDocumentError,
)
from clinscribe.documents.core.extract import (
    ExtractLimits,
    extract_pages,
    iter_pages,
    page_count,
    sniff_media_type,
)
from clinscribe.documents.core.ocr import estimate_skew
from tests.unit.documents.docs_media import (
    encode,
    flate_bomb_pdf,
    page_image,
    scanned_pdf,
    text_pdf,
)

LINES = ["SODIUM 138 mmol/L 135-145", "POTASSIUM 5.9 H 3.5-5.1 mmol/L"]


def test_a_text_layer_pdf_gives_exact_words_with_offsets_per_page() -> None:
    data = text_pdf([["Creatinine 88 umol/L 45-110", "Collected: 04/03/2025"], ["Page two"] * 6])
    pages = extract_pages(data, "application/pdf")
    assert [p.number for p in pages] == [1, 2]
    assert pages[0].source == "text_layer"
    assert "Creatinine 88 umol/L 45-110" in pages[0].text
    for word in pages[0].words:
        assert pages[0].text[word.begin : word.end] == word.text
        assert word.confidence is None and not word.low_confidence
    assert page_count(data) == 2


def test_plain_text_splits_pages_on_form_feeds() -> None:
    pages = extract_pages(b"Glucose 5.4 mmol/L\n\fHbA1c 48 mmol/mol", "text/plain")
    assert [(p.number, p.source) for p in pages] == [(1, "plain_text"), (2, "plain_text")]
    assert pages[1].text == "HbA1c 48 mmol/mol"
    assert [w.text for w in pages[1].words] == ["HbA1c", "48", "mmol/mol"]


def test_an_image_is_read_by_ocr_with_word_confidence() -> None:
    pages = extract_pages(encode(page_image(LINES), "PNG"), "image/png")
    page = pages[0]
    assert page.source == "ocr"
    assert "SODIUM 138 mmol/L" in page.text
    assert "POTASSIUM 5.9" in page.text
    assert all(w.confidence is not None for w in page.words)
    for word in page.words:
        assert page.text[word.begin : word.end] == word.text
        assert word.bbox is not None and word.bbox[0] < word.bbox[2]


def test_a_tilted_page_is_deskewed_before_reading() -> None:
    straight = page_image(LINES * 4)
    assert abs(estimate_skew(straight)) <= 0.2
    tilted = page_image(LINES * 4, rotate=3.0)
    assert estimate_skew(tilted) == pytest.approx(-3.0, abs=0.4)
    image = page_image(LINES, rotate=-2.5)
    page = extract_pages(encode(image, "JPEG", quality=90))[0]
    assert "138" in page.text and "135-145" in page.text
    # Word boxes are mapped back onto the page as uploaded (not the straightened copy).
    assert page.image_size == image.size
    pixels = image.load()
    for word in page.words:
        assert word.bbox is not None
        left, top, right, bottom = word.bbox
        darkest = min(pixels[x, y] for x in range(left, right) for y in range(top, bottom))
        assert darkest < 80, word


@pytest.mark.parametrize("turn", [90, 180])
def test_a_page_scanned_sideways_or_upside_down_is_read_upright(turn: int) -> None:
    image = page_image(LINES * 3).rotate(turn, expand=True, fillcolor=255)
    page = extract_pages(encode(image, "PNG"))[0]
    assert "SODIUM 138 mmol/L 135-145" in page.text
    assert page.image_size == image.size
    pixels = image.load()
    left, top, right, bottom = page.words[0].bbox or (0, 0, 0, 0)
    assert min(pixels[x, y] for x in range(left, right) for y in range(top, bottom)) < 80


def test_a_scanned_pdf_page_without_text_layer_goes_to_ocr() -> None:
    data = scanned_pdf(page_image(LINES))
    pages = extract_pages(data)
    assert pages[0].source == "ocr"
    assert "SODIUM 138" in pages[0].text


def test_a_scan_with_a_stamped_line_of_text_is_still_read_by_ocr() -> None:
    pdf = FPDF(format="A4")
    pdf.add_page()
    pdf.image(page_image(LINES), x=0, y=0, w=210)
    pdf.set_font("Helvetica", size=8)
    pdf.set_xy(10, 285)
    pdf.cell(0, 4, "Received by fax 2025-03-04 10:15 - Riverbend Medical Centre - page 1 of 1")
    page = extract_pages(bytes(pdf.output()))[0]
    assert page.source == "ocr"
    assert "SODIUM 138" in page.text


def test_a_multi_page_tiff_is_one_page_per_frame() -> None:
    first, second = page_image(LINES[:1]), page_image(LINES[1:])
    data = encode(first, "TIFF", save_all=True, append_images=[second])
    pages = extract_pages(data, "image/tiff")
    assert [p.number for p in pages] == [1, 2]
    assert "138" in pages[0].text and "5.9" in pages[1].text


def test_the_bytes_decide_the_type_not_the_claim() -> None:
    png = encode(page_image(LINES[:1]), "PNG")
    assert sniff_media_type(png) == "image/png"
    assert extract_pages(png, "application/pdf")[0].source == "ocr"
    assert sniff_media_type(text_pdf([["x"]])) == "application/pdf"
    assert sniff_media_type(b"Sodium 140\n") == "text/plain"


@pytest.mark.parametrize(
    ("data", "error", "status"),
    [
        (b"", EmptyDocumentError, 400),
        (
            b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + bytes(range(256)) * 4,
            UnsupportedDocumentError,
            415,
        ),
        (b"\x00\x01\x02\x03binary", UnsupportedDocumentError, 415),
        (b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\nendobj\ntrailer\n", CorruptDocumentError, 422),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, CorruptDocumentError, 422),
        (b"\f\f\n", EmptyDocumentError, 400),
    ],
    ids=["empty", "zip", "binary", "corrupt-pdf", "corrupt-png", "blank-text"],
)
def test_unreadable_files_are_typed_4xx_errors(
    data: bytes, error: type[DocumentError], status: int
) -> None:
    with pytest.raises(error) as caught:
        extract_pages(data)
    assert caught.value.status_code == status
    assert 400 <= caught.value.status_code < 500


def test_a_truncated_pdf_is_corrupt() -> None:
    data = text_pdf([["Sodium 140 mmol/L"] * 20])
    with pytest.raises(CorruptDocumentError):
        extract_pages(data[: len(data) // 3])


def test_a_password_protected_pdf_is_refused_as_encrypted() -> None:
    data = text_pdf([["Potassium 4.1 mmol/L reference 3.5-5.1"]], password="secret")
    with pytest.raises(EncryptedDocumentError) as caught:
        extract_pages(data)
    assert (caught.value.status_code, caught.value.code) == (422, "document_encrypted")


def test_limits_on_size_and_pages_are_checked_before_any_page_is_produced() -> None:
    data = text_pdf([["Sodium 140 mmol/L 135-145 and enough text"]] * 3)
    with pytest.raises(TooManyPagesError) as pages_error:
        next(iter_pages(data, limits=ExtractLimits(max_pages=2)))
    assert pages_error.value.status_code == 413
    with pytest.raises(DocumentTooLargeError):
        extract_pages(data, limits=ExtractLimits(max_bytes=len(data) - 1))
    with pytest.raises(TooManyPagesError):
        extract_pages(b"a\fb\fc", limits=ExtractLimits(max_pages=2))


def test_a_pdf_whose_streams_inflate_enormously_is_a_decompression_bomb() -> None:
    bomb = flate_bomb_pdf(30_000_000)
    assert len(bomb) < 100_000
    with pytest.raises(DecompressionBombError) as caught:
        extract_pages(bomb, limits=ExtractLimits(max_decompressed_bytes=10_000_000))
    assert caught.value.status_code == 413
    # The same structure with a modest stream is an ordinary (empty, so OCR'd) page.
    assert extract_pages(flate_bomb_pdf(1000))[0].number == 1


def test_an_image_declaring_too_many_pixels_is_refused_before_decoding() -> None:
    huge = encode(Image.new("1", (9000, 9000), 1), "PNG")
    assert len(huge) < 200_000
    with pytest.raises(DecompressionBombError):
        extract_pages(huge, limits=ExtractLimits(max_pixels=20_000_000))


def test_pages_stream_one_at_a_time() -> None:
    data = text_pdf([[f"Page {n} Sodium {130 + n} mmol/L 135-145"] for n in range(1, 6)])
    pages = iter_pages(data)
    first = next(pages)
    assert first.number == 1 and "Sodium 131" in first.text
    assert [p.number for p in pages] == [2, 3, 4, 5]


def test_a_table_drawn_column_by_column_is_read_row_by_row() -> None:
    rows = [("Sodium", "140", "mmol/L", "135-145"), ("Potassium", "4.1", "mmol/L", "3.5-5.1")]
    rows += [("Creatinine", "88", "umol/L", "45-110")]
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=10)
    for column, x in enumerate([10, 60, 90, 120]):
        for r, row in enumerate(rows):
            pdf.set_xy(x, 20 + r * 6)
            pdf.cell(0, 5, row[column])
    text = extract_pages(bytes(pdf.output()))[0].text
    assert text.splitlines() == [" ".join(row) for row in rows]
