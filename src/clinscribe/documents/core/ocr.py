"""OCR of one page image with Tesseract: deskew first, then words with their confidence.

The text is rebuilt from Tesseract's word boxes (one line of the page per line of text, words
joined by one space), so every `PageWord` points at its exact characters and carries the
engine's 0-100 confidence; lab parsing uses that to flag numbers it must not trust.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pytesseract
from PIL import Image, ImageFilter, ImageOps

from clinscribe.documents.core.errors import OcrUnavailableError
from clinscribe.documents.core.pages import PageText, PageWord

# Skew search: scanned and photographed pages are rarely off by more than a few degrees;
# anything at right angles is a page turned on its side, which Tesseract's layout handles worse
# but which a scanner operator fixes (and the projection search below cannot tell apart).
_MAX_SKEW_DEG = 6.0
_COARSE_STEP = 0.5
_FINE_STEP = 0.1
_SKEW_WIDTH = 900  # the skew is measured on a reduced copy: fast and just as accurate


@dataclass(frozen=True)
class OcrSettings:
    """How pages are read: language, Tesseract layout mode and a per-page time limit."""

    language: str = "eng"
    # 6 = "a single uniform block of text": keeps a lab row's name, value, unit and range on
    # one line, where the automatic layout (3) tends to split table columns into blocks.
    psm: int = 6
    timeout_s: float = 120.0
    deskew: bool = True


def tesseract_available() -> bool:
    """Whether the Tesseract binary is on PATH."""
    return shutil.which(pytesseract.pytesseract.tesseract_cmd) is not None


def _binary(gray: Image.Image) -> npt.NDArray[np.bool_]:
    small = gray
    if gray.width > _SKEW_WIDTH:
        ratio = _SKEW_WIDTH / gray.width
        small = gray.resize(
            (_SKEW_WIDTH, max(1, round(gray.height * ratio))), Image.Resampling.BILINEAR
        )
    arr = np.asarray(small, dtype=np.uint8)
    # Ink is what is clearly darker than the page: robust to grey paper and photo lighting.
    threshold = min(160.0, float(np.percentile(arr, 50)) - 40.0)
    return arr < threshold


def _profile_score(ink: Image.Image, angle: float) -> float:
    rotated = ink.rotate(angle, resample=Image.Resampling.NEAREST, expand=False, fillcolor=0)
    rows = np.asarray(rotated, dtype=np.float64).sum(axis=1)
    # Text lines aligned with the rows give a spiky row profile: maximise its energy.
    return float(np.square(np.diff(rows)).sum())


def estimate_skew(gray: Image.Image) -> float:
    """The angle (degrees, counter-clockwise positive) that makes the text lines horizontal."""
    mask = _binary(gray)
    if mask.sum() < 50:
        return 0.0
    ink = Image.fromarray((mask * 255).astype(np.uint8))
    best, best_score = 0.0, _profile_score(ink, 0.0)
    steps = int(_MAX_SKEW_DEG / _COARSE_STEP)
    for i in range(-steps, steps + 1):
        angle = i * _COARSE_STEP
        score = _profile_score(ink, angle)
        if score > best_score:
            best, best_score = angle, score
    centre = best
    for i in range(-5, 6):
        angle = centre + i * _FINE_STEP
        score = _profile_score(ink, angle)
        if score > best_score:
            best, best_score = angle, score
    return round(best, 2)


def prepare(image: Image.Image, settings: OcrSettings) -> tuple[Image.Image, float]:
    """Greyscale, deskewed copy of a page image, and the rotation applied."""
    gray = ImageOps.exif_transpose(image) if image.format in {"JPEG", "TIFF"} else image
    gray = gray.convert("L")
    angle = estimate_skew(gray) if settings.deskew else 0.0
    if abs(angle) >= _FINE_STEP:
        gray = gray.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    # Small images (photos of slips) read better a little larger; a light median filter takes
    # the sensor speckle off without blurring strokes.
    if gray.width < 1400:
        factor = 1400 / gray.width
        gray = gray.resize((1400, round(gray.height * factor)), Image.Resampling.LANCZOS)
    gray = gray.filter(ImageFilter.MedianFilter(3))
    return gray, angle


def ocr_page(image: Image.Image, number: int, settings: OcrSettings | None = None) -> PageText:
    """Read one page image into a `PageText` whose words carry Tesseract's confidence."""
    settings = settings or OcrSettings()
    if not tesseract_available():
        raise OcrUnavailableError("this page has no text layer and Tesseract is not installed")
    prepared, _angle = prepare(image, settings)
    try:
        data = pytesseract.image_to_data(
            prepared,
            lang=settings.language,
            config=f"--psm {settings.psm}",
            output_type=pytesseract.Output.DICT,
            timeout=settings.timeout_s,
        )
    except (RuntimeError, pytesseract.TesseractError) as exc:
        # pytesseract signals its timeout as a bare RuntimeError.
        raise OcrUnavailableError(f"OCR of page {number} failed: {exc}") from exc
    return _page_from_data(data, number)


def _page_from_data(data: dict[str, list[object]], number: int) -> PageText:
    parts: list[str] = []
    words: list[PageWord] = []
    length = 0
    last_line: tuple[object, ...] | None = None
    for i, raw in enumerate(data["text"]):
        text = str(raw).strip()
        if not text:
            continue
        line = (data["block_num"][i], data["par_num"][i], data["line_num"][i])
        if last_line is not None:
            sep = " " if line == last_line else "\n"
            parts.append(sep)
            length += 1
        last_line = line
        left, top = int(str(data["left"][i])), int(str(data["top"][i]))
        width, height = int(str(data["width"][i])), int(str(data["height"][i]))
        conf = float(str(data["conf"][i]))
        words.append(
            PageWord(
                text=text,
                begin=length,
                end=length + len(text),
                confidence=max(0.0, conf),
                bbox=(left, top, left + width, top + height),
            )
        )
        parts.append(text)
        length += len(text)
    return PageText(number=number, text="".join(parts), source="ocr", words=tuple(words))
