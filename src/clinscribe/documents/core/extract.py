"""Bytes in, pages of text out: PDF text layer first, OCR for pages without one.

The type is read from the bytes (magic numbers), never from a file name or a client's claim.
Pages are produced one at a time (`iter_pages`) so a 300-page PDF never holds more than one
rendered page in memory; every limit (size, pages, pixels, decompressed bytes) is checked before
the expensive work, and every way a file can be unreadable is a typed 4xx error.
"""

from __future__ import annotations

import io
import itertools
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image, ImageSequence, UnidentifiedImageError

from clinscribe.documents.core.errors import (
    CorruptDocumentError,
    DecompressionBombError,
    DocumentTooLargeError,
    EmptyDocumentError,
    EncryptedDocumentError,
    TooManyPagesError,
    UnsupportedDocumentError,
)
from clinscribe.documents.core.ocr import OcrSettings, ocr_page
from clinscribe.documents.core.pages import PageText, PageWord

MediaType = Literal["application/pdf", "image/png", "image/jpeg", "image/tiff", "text/plain"]
MEDIA_TYPES: tuple[MediaType, ...] = (
    "application/pdf",
    "image/png",
    "image/jpeg",
    "image/tiff",
    "text/plain",
)

_WORD = re.compile(r"\S+")
_ALNUM = re.compile(r"[A-Za-z0-9]")
_STREAM = re.compile(rb"stream\r?\n")
# Letters and digits of real text a page holding a full-page scan needs to be read as text.
_SCAN_TEXT_CHARS = 300


@dataclass(frozen=True)
class ExtractLimits:
    """What one document may cost: bytes, pages, pixels and decompressed bytes."""

    max_bytes: int = 50 * 1024 * 1024
    max_pages: int = 500
    # Pixels of one image (or one rendered PDF page); an image header that declares more is
    # refused before it is decoded.
    max_pixels: int = 40_000_000
    # All compressed PDF streams together may expand to at most this many bytes.
    max_decompressed_bytes: int = 1024 * 1024 * 1024
    # A page whose text layer has fewer letters and digits than this is treated as an image.
    min_text_chars: int = 25
    ocr_dpi: int = 300
    ocr: bool = True
    ocr_settings: OcrSettings = field(default_factory=OcrSettings)


def sniff_media_type(data: bytes) -> MediaType:
    """The media type of the bytes, from their content alone."""
    head = data[:1024]
    if b"%PDF-" in head:
        return "application/pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith((b"II*\x00", b"MM\x00*")):
        return "image/tiff"
    if _looks_like_text(data):
        return "text/plain"
    raise UnsupportedDocumentError("the file is not a PDF, PNG, JPEG, TIFF or plain-text document")


# Byte-order marks, longest first (a UTF-32 LE mark starts with the UTF-16 LE one).
_BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)


def decode_text(data: bytes, *, partial: bool = False) -> str | None:
    """The text of a plain-text file, or None when the bytes are not text.

    Exports from older clinical systems arrive as UTF-16 (with a byte-order mark) or as
    Windows-1252/Latin-1 bytes; both are read rather than refused. Without a mark, UTF-8 is
    tried first and a single-byte code page is the fallback. `partial` says `data` may end
    mid-character (a sample of a larger file).
    """
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return data.decode(codec, errors="replace")
    if b"\x00" in data:  # NULs without a mark: binary (or BOM-less UTF-16, which we refuse)
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the sample's end is still UTF-8.
        if partial and exc.start >= len(data) - 4:
            return data[: exc.start].decode("utf-8", errors="replace")
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _looks_like_text(data: bytes) -> bool:
    text = decode_text(data[:65536], partial=len(data) > 65536)
    if text is None:
        return False
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\n\r\f")
    return controls <= len(text) // 100


def extract_pages(
    data: bytes, media_type: str | None = None, *, limits: ExtractLimits | None = None
) -> list[PageText]:
    """Every page of a document as text (see `iter_pages` for the streaming form)."""
    return list(iter_pages(data, media_type, limits=limits))


def iter_pages(
    data: bytes, media_type: str | None = None, *, limits: ExtractLimits | None = None
) -> Iterator[PageText]:
    """Pages one at a time, in order, numbered from 1.

    `media_type` is the client's claim; the bytes decide. The whole document is validated
    (type, size, page count, encryption, decompression) before the first page is yielded, so
    a caller that stores pages as they come never stores part of a refused document.
    """
    limits = limits or ExtractLimits()
    if not data:
        raise EmptyDocumentError("the document is empty")
    if len(data) > limits.max_bytes:
        raise DocumentTooLargeError(
            f"the document is {len(data)} bytes; the limit is {limits.max_bytes}"
        )
    kind = sniff_media_type(data)
    del media_type  # the claim is not trusted (a .pdf name on a PNG is still a PNG)
    if kind == "application/pdf":
        return _pdf_pages(data, limits)
    if kind == "text/plain":
        return iter(_text_pages(data, limits))
    return _image_pages(data, limits)


def page_count(data: bytes) -> int:
    """Pages in a document without extracting them (validates it as `iter_pages` does)."""
    kind = sniff_media_type(data)
    if kind == "application/pdf":
        pdf = _open_pdf(data)
        try:
            return len(pdf)
        finally:
            pdf.close()
    if kind == "text/plain":
        return len(_split_text(data))
    with _open_image(data, ExtractLimits()) as image:
        return int(getattr(image, "n_frames", 1))


# ---------------------------------------------------------------------------------- plain text


def _split_text(data: bytes) -> list[str]:
    text = (decode_text(data) or "").replace("\r\n", "\n").replace("\r", "\n")
    # A form feed is the one page break plain text has.
    return [page for page in text.split("\f")] or [""]


def text_page(number: int, text: str, source: Literal["text_layer", "plain_text"]) -> PageText:
    """A page of exact text (a PDF text layer or a plain-text file): words without confidence."""
    words = tuple(PageWord(m.group(), m.start(), m.end()) for m in _WORD.finditer(text))
    return PageText(number=number, text=text, source=source, words=words)


def _text_pages(data: bytes, limits: ExtractLimits) -> list[PageText]:
    pages = _split_text(data)
    if len(pages) > limits.max_pages:
        raise TooManyPagesError(
            f"the document has {len(pages)} pages; the limit is {limits.max_pages}"
        )
    if not any(p.strip() for p in pages):
        raise EmptyDocumentError("the document has no text")
    return [text_page(i, p, "plain_text") for i, p in enumerate(pages, start=1)]


# ---------------------------------------------------------------------------------------- PDF


def _check_streams(data: bytes, limit: int) -> None:
    """Refuse a PDF whose compressed streams expand beyond `limit` bytes in total.

    Each stream is inflated in bounded chunks and the output thrown away, so the check itself
    never holds more than a chunk; streams that are not zlib data (images in DCT, JBIG2, raw
    content) simply fail to inflate and count nothing.
    """
    total = 0
    for match in _STREAM.finditer(data):
        inflater = zlib.decompressobj()
        pos = match.end()
        try:
            while pos < len(data):
                chunk = data[pos : pos + 65536]
                pos += len(chunk)
                out = inflater.decompress(chunk, 1 << 20)
                total += len(out)
                while inflater.unconsumed_tail and total <= limit:
                    out = inflater.decompress(inflater.unconsumed_tail, 1 << 20)
                    total += len(out)
                if total > limit:
                    raise DecompressionBombError(
                        "the PDF's compressed streams expand beyond the allowed size"
                    )
                if inflater.eof:
                    break
        except zlib.error:
            continue


def _open_pdf(data: bytes) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if exc.err_code in (pdfium_c.FPDF_ERR_PASSWORD, pdfium_c.FPDF_ERR_SECURITY):
            raise EncryptedDocumentError("the PDF is password-protected") from exc
        raise CorruptDocumentError("the PDF is damaged and cannot be read") from exc


def _pdf_pages(data: bytes, limits: ExtractLimits) -> Iterator[PageText]:
    _check_streams(data, limits.max_decompressed_bytes)
    pdf = _open_pdf(data)
    count = len(pdf)
    if count == 0:
        pdf.close()
        raise EmptyDocumentError("the PDF has no pages")
    if count > limits.max_pages:
        pdf.close()
        raise TooManyPagesError(f"the PDF has {count} pages; the limit is {limits.max_pages}")
    return _pdf_page_iter(pdf, count, limits)


def _pdf_page_iter(
    pdf: pdfium.PdfDocument, count: int, limits: ExtractLimits
) -> Iterator[PageText]:
    try:
        for index in range(count):
            yield _pdf_page(pdf, index, limits)
    finally:
        pdf.close()


def _pdf_page(pdf: pdfium.PdfDocument, index: int, limits: ExtractLimits) -> PageText:
    try:
        page = pdf[index]
    except pdfium.PdfiumError as exc:
        raise CorruptDocumentError(f"page {index + 1} of the PDF is damaged") from exc
    try:
        textpage = page.get_textpage()
        try:
            text = _layout_text(textpage) or textpage.get_text_range()
        finally:
            textpage.close()
        text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
        width, height = page.get_size()  # points
        scan_dpi = _scan_dpi(page, width)
        letters = len(_ALNUM.findall(text))
        # A page is read from its text layer when it has one worth the name; a full-page scan
        # with only a stamped line or footer of real text (fewer than _SCAN_TEXT_CHARS) is read
        # by OCR, which sees that text too since it is rendered with the image.
        enough = _SCAN_TEXT_CHARS if scan_dpi else limits.min_text_chars
        if letters >= enough or not limits.ocr:
            return text_page(index + 1, text, "text_layer")
        ceiling = limits.ocr_dpi
        scale = (min(ceiling, max(150, round(scan_dpi))) if scan_dpi else ceiling) / 72.0
        pixels = width * height * scale * scale
        if pixels > limits.max_pixels:
            # An oversized page is read at a lower resolution, not refused.
            scale *= (limits.max_pixels / pixels) ** 0.5
        bitmap = page.render(scale=scale, grayscale=True)
        try:
            image = bitmap.to_pil()
        finally:
            bitmap.close()
        return ocr_page(image, index + 1, limits.ocr_settings)
    finally:
        page.close()


def _layout_text(textpage: pdfium.PdfTextPage) -> str | None:
    """The page's text rebuilt row by row, when its content stream is written column-wise.

    PDFium returns text in drawing order. Most report engines draw a table row by row, so that
    order is the reading order; some draw it column by column, which puts every name before
    every value. Those pages jump back up the page again and again in drawing order; for them
    the text runs are regrouped into rows by position, left to right. Returns None when the
    drawing order is already the reading order.
    """
    runs = []
    for i in range(textpage.count_rects()):
        left, bottom, right, top = textpage.get_rect(i)
        runs.append((left, bottom, right, top))
    if len(runs) < 4:
        return None
    heights = sorted(t - b for _l, b, _r, t in runs)
    line_h = max(heights[len(heights) // 2], 1.0)
    jumps = sum(
        1
        for (_l0, b0, _r0, t0), (_l1, b1, _r1, t1) in itertools.pairwise(runs)
        if (b1 + t1) / 2 > (b0 + t0) / 2 + 1.5 * line_h
    )
    if jumps < 2:
        return None
    rows: list[list[tuple[float, float, float, float]]] = []
    for run in sorted(runs, key=lambda r: -(r[1] + r[3]) / 2):
        centre = (run[1] + run[3]) / 2
        if rows and abs((rows[-1][0][1] + rows[-1][0][3]) / 2 - centre) < 0.5 * line_h:
            rows[-1].append(run)
        else:
            rows.append([run])
    lines = []
    for row in rows:
        parts = [textpage.get_text_bounded(*r).strip() for r in sorted(row, key=lambda r: r[0])]
        lines.append(" ".join(p for p in parts if p))
    return "\n".join(lines)


def _scan_dpi(page: pdfium.PdfPage, width_pt: float) -> float:
    """The resolution of a full-page image on the page (a scan), or 0 when there is none.

    A scan is rendered for OCR at its own resolution (at most the configured one): rendering a
    200 dpi scan at 300 dpi adds no detail, only pixels for OCR to chew through.
    """
    best = 0.0
    for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=1):
        try:
            px_width, _px_height = obj.get_px_size()
            left, _bottom, right, _top = obj.get_bounds()
        except (pdfium.PdfiumError, AttributeError):
            continue
        if right - left > 0.5 * width_pt:  # a full-page scan, not a logo
            best = max(best, px_width / ((right - left) / 72.0))
    return best


# ------------------------------------------------------------------------------------- images


def _open_image(data: bytes, limits: ExtractLimits) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(data))
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise CorruptDocumentError("the image is damaged and cannot be read") from exc
    except Image.DecompressionBombError as exc:
        raise DecompressionBombError("the image declares too many pixels") from exc
    width, height = image.size
    if width * height > limits.max_pixels:
        image.close()
        raise DecompressionBombError(
            f"the image is {width}x{height} pixels; the limit is {limits.max_pixels} pixels"
        )
    return image


def _image_pages(data: bytes, limits: ExtractLimits) -> Iterator[PageText]:
    image = _open_image(data, limits)
    frames = int(getattr(image, "n_frames", 1))
    if frames > limits.max_pages:
        image.close()
        raise TooManyPagesError(f"the image has {frames} pages; the limit is {limits.max_pages}")
    return _image_page_iter(image, limits)


def _image_page_iter(image: Image.Image, limits: ExtractLimits) -> Iterator[PageText]:
    with image:
        for number, frame in enumerate(ImageSequence.Iterator(image), start=1):
            if frame.width * frame.height > limits.max_pixels:
                raise DecompressionBombError(f"page {number} of the image has too many pixels")
            try:
                frame.load()
            except (OSError, ValueError, SyntaxError) as exc:
                raise CorruptDocumentError(f"page {number} of the image is damaged") from exc
            if not limits.ocr:
                yield PageText(number=number, text="", source="ocr")
                continue
            yield ocr_page(frame.copy(), number, limits.ocr_settings)
