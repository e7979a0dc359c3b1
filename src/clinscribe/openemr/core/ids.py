"""Ids the way OpenEMR makes them (pure)."""

from __future__ import annotations

import secrets
import time


def comb_uuid(now: float | None = None, noise: bytes | None = None) -> bytes:
    """A timestamp-first COMB v4 UUID as the 16 bytes OpenEMR stores in its `uuid` columns.

    OpenEMR (Ramsey `CombGenerator` with `TimestampFirstCombCodec`) puts the time in
    10-microsecond units in the first 48 bits, so new rows' uuids sort by creation; the rest is
    random with the version-4 and RFC 4122 variant bits set.
    """
    stamp = int((time.time() if now is None else now) * 100_000) & 0xFFFF_FFFF_FFFF
    rest = bytearray(noise if noise is not None else secrets.token_bytes(10))
    if len(rest) != 10:
        raise ValueError("noise must be 10 bytes")
    raw = bytearray(stamp.to_bytes(6, "big") + rest)
    raw[6] = (raw[6] & 0x0F) | 0x40  # version 4
    raw[8] = (raw[8] & 0x3F) | 0x80  # RFC 4122 variant
    return bytes(raw)
