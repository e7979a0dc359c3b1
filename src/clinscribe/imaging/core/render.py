"""A preview PNG of one frame: modality LUT (rescale), then a linear VOI window, 8 bits.

The window is the caller's (`wc`/`ww`), else the file's first Window Center/Width, else the
frame's own range. MONOCHROME1 is inverted so bone is white as in every viewer; colour images
(RGB, YBR, palette) are converted to RGB and not windowed.
"""

from __future__ import annotations

import io
import warnings
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image
from pydicom.dataset import Dataset
from pydicom.pixels.processing import apply_color_lut, apply_modality_lut, convert_color_space
from pydicom.pixels.utils import pixel_array

from clinscribe.imaging.core.errors import BadFrameError, PreviewUnavailableError


def frames_of(ds: Dataset) -> int:
    try:
        return int(ds.get("NumberOfFrames", 1) or 1)
    except (TypeError, ValueError):
        return 1


def _window(
    values: NDArray[np.float64], center: float | None, width: float | None
) -> NDArray[np.uint8]:
    if center is None or width is None or width <= 0:
        low, high = float(values.min()), float(values.max())
    else:
        # PS3.3 C.11.2.1.2.1: the linear function, centred on c - 0.5 over width w - 1.
        low = center - 0.5 - (width - 1) / 2
        high = center - 0.5 + (width - 1) / 2
    if high <= low:
        high = low + 1
    scaled = (values - low) / (high - low) * 255.0
    return np.clip(scaled, 0, 255).astype(np.uint8)


def _to_8bit_rgb(ds: Dataset, frame: NDArray[np.generic]) -> NDArray[np.uint8]:
    photometric = str(ds.get("PhotometricInterpretation", "")).upper()
    if photometric == "PALETTE COLOR":
        frame = apply_color_lut(frame, ds)
    elif photometric.startswith("YBR") and frame.ndim == 3:
        frame = convert_color_space(frame, photometric, "RGB")
    values = frame.astype(np.float64)
    if values.max() > 255 or values.dtype != np.uint8:
        top = float(values.max()) or 1.0
        values = values / (65535.0 if top > 255 else 255.0) * 255.0
    return np.clip(values, 0, 255).astype(np.uint8)


def render_png(
    ds: Dataset,
    *,
    frame: int = 0,
    center: float | None = None,
    width: float | None = None,
    default_center: float | None = None,
    default_width: float | None = None,
) -> bytes:
    """The frame as PNG bytes; PreviewUnavailableError if it cannot be decoded here."""
    count = frames_of(ds)
    if not 0 <= frame < count:
        raise BadFrameError(f"frame {frame} is outside 0..{count - 1}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            data = pixel_array(ds, index=frame if count > 1 else None)
        except Exception as exc:  # no decoder, or damaged compressed data
            raise PreviewUnavailableError("this instance's pixel data cannot be decoded") from exc
    try:
        out, mode = _pixels(ds, data, center, width, default_center, default_width)
    except Exception as exc:  # a colour space or LUT pydicom cannot convert
        raise PreviewUnavailableError("this instance's pixels cannot be rendered") from exc
    buffer = io.BytesIO()
    # Fast zlib level: a 512x512 slice compresses in a few ms, which is what the preview needs.
    Image.fromarray(out, mode=mode).save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def _pixels(
    ds: Dataset,
    data: NDArray[Any],
    center: float | None,
    width: float | None,
    default_center: float | None,
    default_width: float | None,
) -> tuple[NDArray[np.uint8], str]:
    if (
        (data.ndim == 3 and data.shape[-1] in (3, 4))
        or ds.get("SamplesPerPixel", 1) == 3
        or str(ds.get("PhotometricInterpretation", "")).upper() == "PALETTE COLOR"
    ):
        out = _to_8bit_rgb(ds, data)
        mode = "RGB"
    else:
        values = np.asarray(apply_modality_lut(data, ds), dtype=np.float64)
        if values.ndim > 2:
            values = values.reshape(values.shape[-2], values.shape[-1])
        c = center if center is not None else default_center
        w = width if width is not None else default_width
        out = _window(values, c, w)
        if str(ds.get("PhotometricInterpretation", "")).upper() == "MONOCHROME1":
            out = (255 - out).astype(np.uint8)
        mode = "L"
    return out, mode


def can_render(ds: Dataset, center: float | None, width: float | None) -> bool:
    """Whether the first frame decodes and renders here (tried once, at upload)."""
    try:
        render_png(ds, default_center=center, default_width=width)
    except PreviewUnavailableError:
        return False
    return True
