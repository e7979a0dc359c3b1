"""OCR of one page image with Tesseract: deskew first, then words with their confidence.

The text is rebuilt from Tesseract's word boxes (one line of the page per line of text, words
joined by one space), so every `PageWord` points at its exact characters and carries the
engine's 0-100 confidence; lab parsing uses that to flag numbers it must not trust.
"""

from __future__ import annotations

import math
import os
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


def _prepare(image: Image.Image, settings: OcrSettings) -> tuple[Image.Image, _Geometry]:
    gray = ImageOps.exif_transpose(image) if image.format in {"JPEG", "TIFF"} else image
    gray = gray.convert("L")
    original = gray.size
    angle = estimate_skew(gray) if settings.deskew else 0.0
    if abs(angle) >= _FINE_STEP:
        gray = gray.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    else:
        angle = 0.0
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


def ocr_page(image: Image.Image, number: int, settings: OcrSettings | None = None) -> PageText:
    """Read one page image into a `PageText` whose words carry Tesseract's confidence."""
    settings = settings or OcrSettings()
    if not tesseract_available():
        raise OcrUnavailableError("this page has no text layer and Tesseract is not installed")
    prepared, geometry = _prepare(image, settings)
    # One Tesseract thread per page: on a shared CPU its OpenMP threads only contend (measured
    # 2x slower under load); parallelism comes from running several jobs.
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
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
    return _page_from_data(data, number, geometry)


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
