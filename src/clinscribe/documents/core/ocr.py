"""OCR of one page image with Tesseract: deskew first, then words with their confidence.

The text is rebuilt from Tesseract's word boxes (one line of the page per line of text, words
joined by one space), so every `PageWord` points at its exact characters and carries the
engine's 0-100 confidence; lab parsing uses that to flag numbers it must not trust.
"""

from __future__ import annotations

import math
import os
import re
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


@dataclass(frozen=True)
class _Geometry:
    """How a prepared image maps back onto the original: rotation about the centre, scale."""

    angle: float
    original: tuple[int, int]
    rotated: tuple[int, int]
    scale: float

    def to_original(self, box: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
        left, top, right, bottom = (v / self.scale for v in box)
        theta = math.radians(self.angle)
        cos, sin = math.cos(theta), math.sin(theta)
        cx, cy = self.rotated[0] / 2, self.rotated[1] / 2
        ox, oy = self.original[0] / 2, self.original[1] / 2
        xs, ys = [], []
        for x, y in ((left, top), (right, top), (left, bottom), (right, bottom)):
            # Pillow rotates counter-clockwise on screen (y down): undo it about the centres.
            dx, dy = x - cx, y - cy
            xs.append(ox + cos * dx - sin * dy)
            ys.append(oy + sin * dx + cos * dy)
        w, h = self.original
        return _clamp(min(xs), w), _clamp(min(ys), h), _clamp(max(xs), w), _clamp(max(ys), h)


def _clamp(value: float, high: int) -> int:
    return max(0, min(high, round(value)))


def prepare(image: Image.Image, settings: OcrSettings) -> tuple[Image.Image, float]:
    """Greyscale, deskewed copy of a page image, and the rotation applied."""
    prepared, geometry = _prepare(image, settings)
    return prepared, geometry.angle


def _prepare(
    image: Image.Image, settings: OcrSettings, turn: int = 0
) -> tuple[Image.Image, _Geometry]:
    """Greyscale, upright (`turn`: degrees counter-clockwise), deskewed, denoised copy."""
    gray = ImageOps.exif_transpose(image) if image.format in {"JPEG", "TIFF"} else image
    gray = gray.convert("L")
    original = gray.size
    upright = gray.rotate(turn, expand=True) if turn else gray
    skew = estimate_skew(upright) if settings.deskew else 0.0
    angle = turn + (skew if abs(skew) >= _FINE_STEP else 0.0)
    if angle:
        # One rotation from the original (right angle and skew together), so word boxes map
        # back onto the page as uploaded through a single inverse.
        gray = gray.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    rotated = gray.size
    scale = 1.0
    # Small images (photos of slips) read better a little larger.
    if gray.width < 1400:
        scale = 1400 / gray.width
        gray = gray.resize((1400, round(gray.height * scale)), Image.Resampling.LANCZOS)
    # A light median filter takes scanner and sensor speckle off without blurring strokes; on
    # the noisy development scans it is worth two of eighteen values.
    gray = gray.filter(ImageFilter.MedianFilter(3))
    return gray, _Geometry(angle, original, rotated, scale)


def _read(prepared: Image.Image, settings: OcrSettings, number: int) -> dict[str, list[object]]:
    try:
        data: dict[str, list[object]] = pytesseract.image_to_data(
            prepared,
            lang=settings.language,
            config=f"--psm {settings.psm}",
            output_type=pytesseract.Output.DICT,
            timeout=settings.timeout_s,
        )
    except (RuntimeError, pytesseract.TesseractError) as exc:
        # pytesseract signals its timeout as a bare RuntimeError.
        raise OcrUnavailableError(f"OCR of page {number} failed: {exc}") from exc
    return data


_ODD_CHARS = re.compile("[€°’‘«»§¥£¢]")  # noqa: RUF001 - what upside-down text reads as
_LETTER_RUN = re.compile(r"[A-Za-z]+")


def _garbled(page: PageText) -> float:
    """Share of words that no writer would print: what a page read upside down looks like.

    Tesseract reads an upside-down page with high confidence as strings like "VjowwW" or
    "L°S-G€": letters in mixed case inside a word, digits between letters, currency and degree
    signs. Real text has few (HbA1c, NT-proBNP), so a high share means the page is turned.
    """
    words = [w.text for w in page.words if len(w.text) >= 3 and any(c.isalpha() for c in w.text)]
    if not words:
        return 0.0
    bad = 0
    for word in words:
        runs = _LETTER_RUN.findall(word)
        mixed = any(
            not (r.islower() or r.isupper() or (r[0].isupper() and r[1:].islower())) for r in runs
        )
        if mixed or _ODD_CHARS.search(word) or re.search(r"[A-Za-z]\d+[A-Za-z]", word):
            bad += 1
    return bad / len(words)


def _confident_chars(page: PageText) -> int:
    return sum(len(w.text) for w in page.words if not w.low_confidence and w.text.isalnum())


def _upright_turn(prepared: Image.Image, settings: OcrSettings) -> int:
    """Degrees (counter-clockwise) that turn a sideways or upside-down page upright, or 0."""
    try:
        osd = pytesseract.image_to_osd(prepared, config="--psm 0", timeout=settings.timeout_s)
    except (RuntimeError, pytesseract.TesseractError):
        return 0  # too little text to tell: leave the page as it is
    rotate = re.search(r"Rotate:\s*(\d+)", osd)
    confidence = re.search(r"Orientation confidence:\s*([\d.]+)", osd)
    if rotate is None or confidence is None or float(confidence.group(1)) < 1.0:
        return 0
    return -int(rotate.group(1)) % 360


def ocr_page(image: Image.Image, number: int, settings: OcrSettings | None = None) -> PageText:
    """Read one page image into a `PageText` whose words carry Tesseract's confidence.

    A page that reads badly is checked for being sideways or upside down (Tesseract's
    orientation detection) and read again turned upright; the better reading is kept.
    """
    settings = settings or OcrSettings()
    if not tesseract_available():
        raise OcrUnavailableError("this page has no text layer and Tesseract is not installed")
    # One Tesseract thread per page: on a shared CPU its OpenMP threads only contend (measured
    # 2x slower under load); parallelism comes from running several jobs.
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    prepared, geometry = _prepare(image, settings)
    page = _page_from_data(_read(prepared, settings, number), number, geometry)
    words = [w for w in page.words if w.text.isalnum()]
    reads_well = len(words) >= 8 and _confident_chars(page) >= 0.6 * sum(len(w.text) for w in words)
    if reads_well and _garbled(page) < 0.3:
        return page
    turn = _upright_turn(prepared, settings)
    if turn == 0 and _garbled(page) >= 0.3:
        turn = 180  # orientation detection needs more text than a slip has: try the flip
    if turn == 0:
        return page
    turned, turned_geometry = _prepare(image, settings, turn)
    again = _page_from_data(_read(turned, settings, number), number, turned_geometry)
    better = (_garbled(again), -_confident_chars(again)) < (_garbled(page), -_confident_chars(page))
    return again if better else page


def _page_from_data(data: dict[str, list[object]], number: int, geometry: _Geometry) -> PageText:
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
                bbox=geometry.to_original((left, top, left + width, top + height)),
            )
        )
        parts.append(text)
        length += len(text)
    return PageText(
        number=number,
        text="".join(parts),
        source="ocr",
        words=tuple(words),
        image_size=geometry.original,
    )
