"""Sealed record files: the one encrypted format for data kept on disk as a sequence of records
(audio blobs, live-session spools, partial uploads).

A sealed file is a header and a sequence of AES-256-GCM records. Each record's associated data
names the file's identity (a string its owner derives from where the file belongs, such as
`blob|<key>`), the record's index and whether it is the last record: a record cannot be moved to
another file, reordered, or passed off as the end of its file. There are two layouts, told apart
by the header's magic:

- **fixed** (`CSBLOB1`, the blob layout since blobs were first encrypted): magic, key id,
  8-byte nonce prefix, then records of exactly `RECORD` plaintext bytes back to back, the last
  one shorter (possibly empty) and sealed as final; nonce = prefix + index. Written in one pass,
  so a counter nonce is never reused; read at any offset by arithmetic, and a cut at a record
  boundary is detected because the new last record was not sealed as final.
- **framed** (`CSRECF1`): magic, then records each framed as a length, the key id and a random
  nonce of their own. Appended to across process restarts: a crash tears at most the last
  record, which the next appender drops (it was never acknowledged); a record is rewritten at
  that index under a fresh nonce, and records appended after a key rotation use the primary key.
  No record is sealed as final: a framed file holds what was acknowledged, so a cut at a record
  boundary is what a crash leaves too (an upload's offset then asks the client for the rest).

Pure: uses the key ring, never the database. Every failure is a `RecordError`, which is the
key ring's `DecryptionError`; each owner turns it into its own error.
"""

from __future__ import annotations

import io
import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from clinscribe.security.keys import DecryptionError, KeyRing

FIXED = b"CSBLOB1"
FRAMED = b"CSRECF1"
MAGIC_BYTES = 7
RECORD = 64 * 1024  # plaintext per fixed record: what one ranged read decrypts
TAG = 16
NONCE = 12
PREFIX = 8
_LENGTH = struct.Struct(">I")
_INDEX = struct.Struct(">I")


class RecordError(DecryptionError):
    """Not a sealed record file, or a record was altered, reordered, cut off, moved to another
    file, or sealed with a key that is not configured."""

    # Stored data the server wrote is damaged: a server fault; blob, spool and upload callers
    # turn it into their own error where the client can recover.
    status_code = 500
    code = "sealed_record_corrupt"


def associated(identity: str, index: int, final: bool) -> bytes:
    """What binds a record to its file, its place and whether it ends the file."""
    return f"{identity}|{index}|{int(final)}".encode()


def layout(handle: BinaryIO) -> bytes | None:
    """The magic of a sealed file (FIXED or FRAMED), or None; reads from the start."""
    handle.seek(0)
    magic = handle.read(MAGIC_BYTES)
    return magic if magic in (FIXED, FRAMED) else None


def _aead(ring: KeyRing, kid: str) -> AESGCM:
    key = ring.keys.get(kid)
    if key is None:
        raise RecordError(f"records sealed with key id {kid!r}, which is not configured")
    return AESGCM(key)


def _open(aead: AESGCM, nonce: bytes, sealed: bytes, aad: bytes) -> bytes:
    try:
        return aead.decrypt(nonce, sealed, aad)
    except InvalidTag as exc:
        raise RecordError("a sealed record was altered, reordered, cut off or moved") from exc


# --- fixed layout -------------------------------------------------------------------------------


@dataclass(frozen=True)
class FixedHeader:
    kid: str
    prefix: bytes

    def encode(self) -> bytes:
        kid = self.kid.encode()
        return FIXED + bytes([len(kid)]) + kid + self.prefix

    def __len__(self) -> int:
        return MAGIC_BYTES + 1 + len(self.kid.encode()) + PREFIX

    @classmethod
    def read(cls, handle: BinaryIO) -> FixedHeader:
        head = handle.read(MAGIC_BYTES + 1)
        if len(head) != MAGIC_BYTES + 1 or not head.startswith(FIXED):
            raise RecordError("not a sealed file of fixed records")
        kid = handle.read(head[-1]).decode(errors="replace")
        prefix = handle.read(PREFIX)
        if len(prefix) != PREFIX:
            raise RecordError("the sealed file's header is truncated")
        return cls(kid, prefix)


def _nonce(prefix: bytes, index: int) -> bytes:
    return prefix + _INDEX.pack(index)


class FixedWriter:
    """Seals what is written to it into `out` as fixed records, in one pass, under the primary
    key. `close()` seals the last record as final; a file never closed does not open."""

    def __init__(self, out: BinaryIO, ring: KeyRing, identity: str) -> None:
        self.out = out
        self.identity = identity
        self.header = FixedHeader(ring.primary, os.urandom(PREFIX))
        self.aead = _aead(ring, ring.primary)
        self.buffer = bytearray()
        self.index = 0
        out.write(self.header.encode())

    def write(self, data: bytes) -> None:
        self.buffer += data
        # Keep at least one byte back: the last record must be sealed with the final flag.
        while len(self.buffer) > RECORD:
            self._seal(bytes(self.buffer[:RECORD]), final=False)
            del self.buffer[:RECORD]

    def close(self) -> None:
        self._seal(bytes(self.buffer), final=True)
        self.buffer.clear()

    def _seal(self, plain: bytes, *, final: bool) -> None:
        aad = associated(self.identity, self.index, final)
        self.out.write(self.aead.encrypt(_nonce(self.header.prefix, self.index), plain, aad))
        self.index += 1


class FixedReader(io.RawIOBase):
    """Seekable plaintext of a fixed-layout file, decrypting one record at a time (a read at
    any offset opens only the records it covers). Owns `handle` and closes it."""

    def __init__(self, handle: BinaryIO, ring: KeyRing, identity: str) -> None:
        self.handle = handle
        try:
            self.header = FixedHeader.read(handle)
            self.aead = _aead(ring, self.header.kid)
            body = handle.seek(0, io.SEEK_END) - len(self.header)
            stride = RECORD + TAG
            self.records = max(1, -(-body // stride))
            self.last_len = body - (self.records - 1) * stride
            if self.last_len < TAG:
                raise RecordError("the sealed file is truncated")
        except BaseException:
            handle.close()
            raise
        self.identity = identity
        self.size = (self.records - 1) * RECORD + self.last_len - TAG
        self.pos = 0
        self.cached: tuple[int, bytes] | None = None

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.pos, io.SEEK_END: self.size}[whence]
        self.pos = max(0, base + offset)
        return self.pos

    def record(self, index: int) -> bytes:
        """The plaintext of record `index` (the last one checked as final)."""
        if self.cached is not None and self.cached[0] == index:
            return self.cached[1]
        final = index == self.records - 1
        self.handle.seek(len(self.header) + index * (RECORD + TAG))
        sealed = self.handle.read(self.last_len if final else RECORD + TAG)
        nonce = _nonce(self.header.prefix, index)
        plain = _open(self.aead, nonce, sealed, associated(self.identity, index, final))
        self.cached = (index, plain)
        return plain

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self.pos >= self.size:
            return 0
        index, offset = divmod(self.pos, RECORD)
        piece = self.record(index)[offset : offset + len(buffer)]
        buffer[: len(piece)] = piece
        self.pos += len(piece)
        return len(piece)

    def close(self) -> None:
        self.handle.close()
        super().close()


def seal(ring: KeyRing, identity: str, plain: bytes) -> bytes:
    """A whole small value (a sidecar) as one fixed-layout file's bytes."""
    out = io.BytesIO()
    writer = FixedWriter(out, ring, identity)
    writer.write(plain)
    writer.close()
    return out.getvalue()


def unseal(ring: KeyRing, identity: str, data: bytes) -> bytes:
    """The plaintext of `seal`'s output; RecordError if it is anything else."""
    with FixedReader(io.BytesIO(data), ring, identity) as reader:
        return reader.read()


# --- framed layout ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Frame:
    """Where one framed record sits: `offset` of its length prefix, `end` just after it."""

    offset: int
    end: int
    kid_len: int

    @property
    def size(self) -> int:
        """Plaintext bytes, known without decrypting (the sealed length fixes it)."""
        return self.end - self.offset - _LENGTH.size - 1 - self.kid_len - NONCE - TAG


def frames(handle: BinaryIO) -> Iterator[Frame]:
    """The framed records of a FRAMED file, from their lengths alone, up to the end or to a
    length that runs past the end or cannot be a record (a write torn by a crash)."""
    end = handle.seek(0, io.SEEK_END)
    offset = MAGIC_BYTES
    while offset + _LENGTH.size + 1 <= end:
        handle.seek(offset)
        head = handle.read(_LENGTH.size + 1)
        (length,) = _LENGTH.unpack(head[: _LENGTH.size])
        after = offset + _LENGTH.size + length
        if length < 1 + head[-1] + NONCE + TAG or after > end:
            return
        yield Frame(offset, after, head[-1])
        offset = after


def open_frame(handle: BinaryIO, ring: KeyRing, identity: str, frame: Frame, index: int) -> bytes:
    """Decrypt one framed record as record `index` of the file `identity`."""
    handle.seek(frame.offset + _LENGTH.size + 1)
    body = handle.read(frame.end - frame.offset - _LENGTH.size - 1)
    kid = body[: frame.kid_len].decode(errors="replace")
    nonce = body[frame.kid_len : frame.kid_len + NONCE]
    sealed = body[frame.kid_len + NONCE :]
    return _open(_aead(ring, kid), nonce, sealed, associated(identity, index, False))


def read_framed(handle: BinaryIO, ring: KeyRing, identity: str) -> Iterator[bytes]:
    """The plaintext of every record, in order, each checked; the file must end exactly after
    a whole record (an appender drops a torn one before anything reads the file)."""
    if layout(handle) != FRAMED:
        raise RecordError("not a sealed file of framed records")
    end = handle.seek(0, io.SEEK_END)
    reached = MAGIC_BYTES
    for index, frame in enumerate(list(frames(handle))):
        yield open_frame(handle, ring, identity, frame, index)
        reached = frame.end
    if reached != end:
        raise RecordError("a sealed file ends inside a record")


def tail(
    handle: BinaryIO, ring: KeyRing, identity: str, *, verify_all: bool = False
) -> tuple[int, list[int]]:
    """Where the next record of a framed file goes, and the plaintext size of each whole record
    before it; 0 for a file without its header yet (new, or torn before anything was appended).

    A last record that is incomplete was torn by a crash (it was never acknowledged) and lies
    past the append point. With `verify_all` every record is opened: a last one that does not
    open is torn too, an earlier one is damage and raises RecordError. Without it nothing is
    decrypted (a damaged record is found by whoever reads the file). Only reads `handle`.
    """
    end = handle.seek(0, io.SEEK_END)
    magic = layout(handle)
    if magic is None:
        handle.seek(0)
        if end and not FRAMED.startswith(handle.read(MAGIC_BYTES)):
            raise RecordError("not a sealed file of framed records")
        return 0, []
    if magic != FRAMED:
        raise RecordError("not a sealed file of framed records")
    found = list(frames(handle))
    kept, sizes = MAGIC_BYTES, []
    for index, frame in enumerate(found):
        if verify_all:
            try:
                open_frame(handle, ring, identity, frame, index)
            except RecordError:
                if index == len(found) - 1 and frame.end == end:
                    break  # torn: its bytes reached the disk, not all of them correctly
                raise
        sizes.append(frame.size)
        kept = frame.end
    return kept, sizes


class Appender:
    """Appends framed records to `handle` (opened `r+b` or `w+b`) under the primary key, after
    cutting off what `tail` finds torn (and writing the header of a new file). The caller
    flushes and syncs as its durability needs."""

    def __init__(
        self, handle: BinaryIO, ring: KeyRing, identity: str, *, verify_all: bool = False
    ) -> None:
        self.handle = handle
        self.identity = identity
        self.aead = _aead(ring, ring.primary)
        self.kid = ring.primary.encode()
        kept, self.sizes = tail(handle, ring, identity, verify_all=verify_all)
        handle.truncate(kept)
        if not kept:
            handle.seek(0)
            handle.write(FRAMED)

    @property
    def count(self) -> int:
        """Records in the file, the next one's index."""
        return len(self.sizes)

    @property
    def size(self) -> int:
        """Plaintext bytes in the file."""
        return sum(self.sizes)

    def append(self, plain: bytes) -> None:
        nonce = os.urandom(NONCE)
        aad = associated(self.identity, self.count, False)
        body = bytes([len(self.kid)]) + self.kid + nonce + self.aead.encrypt(nonce, plain, aad)
        self.handle.seek(0, io.SEEK_END)  # a reader may have moved the shared handle
        self.handle.write(_LENGTH.pack(len(body)) + body)  # one write: a crash tears the tail
        self.sizes.append(len(plain))
