"""A readable byte stream over pieces produced one at a time."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from typing import Any


class PieceReader(io.RawIOBase):
    """Reads through `pieces` (bytes, any sizes) as one stream; `on_close` releases what
    produces them. Wrap in `io.BufferedReader` for line or fixed-size reads."""

    def __init__(self, pieces: Iterator[bytes], on_close: Callable[[], None] | None = None) -> None:
        self._pieces = pieces
        self._rest = b""
        self._on_close = on_close

    def readable(self) -> bool:
        return True

    def readinto(self, target: Any) -> int:
        while not self._rest:
            piece = next(self._pieces, None)
            if piece is None:
                return 0
            self._rest = piece
        size = min(len(target), len(self._rest))
        target[:size] = self._rest[:size]
        self._rest = self._rest[size:]
        return size

    def close(self) -> None:
        if self._on_close is not None and not self.closed:
            self._on_close()
        super().close()
