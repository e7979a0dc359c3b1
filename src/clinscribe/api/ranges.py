"""Byte-range responses over a seekable reader (the audio is decrypted as it is sent)."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from typing import BinaryIO
from urllib.parse import quote

from fastapi import Response
from fastapi.responses import StreamingResponse

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
PIECE = 64 * 1024


def _span(header: str | None, size: int) -> tuple[int, int] | bool | None:
    """(first, last) to send; None for the whole body; False when unsatisfiable."""
    if not header:
        return None
    match = _RANGE.match(header.strip())
    if match is None:  # several ranges or another unit: sending everything is allowed
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # a suffix: the last N bytes
        length = int(last)
        if length == 0 or size == 0:
            return False
        return max(0, size - length), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or end < start:
        return False
    return start, end


def _pieces(reader: BinaryIO, start: int, length: int) -> Iterator[bytes]:
    try:
        reader.seek(start)
        left = length
        while left > 0:
            piece = reader.read(min(PIECE, left))
            if not piece:
                break
            left -= len(piece)
            yield piece
    finally:
        reader.close()


def ranged(
    reader: BinaryIO, *, media_type: str, filename: str, range_header: str | None
) -> Response:
    size = reader.seek(0, io.SEEK_END)
    headers = {
        "Accept-Ranges": "bytes",
        "Content-Disposition": f"attachment; filename*=utf-8''{quote(filename)}",
    }
    span = _span(range_header, size)
    if span is False:
        reader.close()
        return Response(status_code=416, headers={**headers, "Content-Range": f"bytes */{size}"})
    if span is None or span is True:
        headers["Content-Length"] = str(size)
        return StreamingResponse(_pieces(reader, 0, size), media_type=media_type, headers=headers)
    start, end = span
    headers["Content-Length"] = str(end - start + 1)
    headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    return StreamingResponse(
        _pieces(reader, start, end - start + 1),
        status_code=206,
        media_type=media_type,
        headers=headers,
    )
