"""Blob storage behind a small interface: local files now, an S3-compatible store later.

Every blob is encrypted at rest with AES-256-GCM in fixed-size chunks, so audio of any length
streams through in constant memory and can still be read at any offset (players seek, PyAV
probes the end of a file). Each chunk's associated data names the blob key, the chunk index and
whether it is the last one: chunks cannot be reordered, moved to another blob, or cut off.
"""

from __future__ import annotations

import hashlib
import io
import os
import struct
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from clinscribe.errors import ClinscribeError, PayloadTooLarge
from clinscribe.security.keys import KeyRing

CHUNK = 1024 * 1024
SEAL_CHUNK = 64 * 1024
TAG = 16
MAGIC = b"CSBLOB1"


class BlobCorruptError(ClinscribeError):
    """A stored blob was altered, truncated, moved, or its key is not configured."""

    status_code = 500
    code = "blob_corrupt"


class BlobStore(Protocol):
    """Where recordings live. Keys are opaque, tenant-prefixed paths."""

    def put(self, key: str, data: BinaryIO, *, max_bytes: int) -> tuple[str, int]:
        """Store a stream; returns (sha256 hex, size). Raises PayloadTooLarge past max_bytes."""
        ...

    def open(self, key: str) -> BinaryIO:
        """A seekable reader of the blob's plaintext."""
        ...

    def delete(self, key: str) -> None: ...

    def exists(self, key: str) -> bool: ...


class _Header:
    def __init__(self, kid: str, prefix: bytes) -> None:
        self.kid = kid
        self.prefix = prefix

    def encode(self) -> bytes:
        kid = self.kid.encode()
        return MAGIC + bytes([len(kid)]) + kid + self.prefix

    @classmethod
    def read(cls, handle: BinaryIO) -> _Header:
        head = handle.read(len(MAGIC) + 1)
        if len(head) != len(MAGIC) + 1 or not head.startswith(MAGIC):
            raise BlobCorruptError("stored blob is not an encrypted blob")
        kid = handle.read(head[-1]).decode(errors="replace")
        prefix = handle.read(8)
        if len(prefix) != 8:
            raise BlobCorruptError("stored blob header is truncated")
        return cls(kid, prefix)

    def __len__(self) -> int:
        return len(MAGIC) + 1 + len(self.kid.encode()) + 8


def _aad(key: str, index: int, final: bool) -> bytes:
    return f"blob|{key}|{index}|{int(final)}".encode()


def _nonce(prefix: bytes, index: int) -> bytes:
    return prefix + struct.pack(">I", index)


class _SealingWriter:
    """Encrypts what is written to it into `out`, one chunk at a time."""

    def __init__(self, out: BinaryIO, ring: KeyRing, key: str) -> None:
        self.out = out
        self.key = key
        self.aead = AESGCM(ring.keys[ring.primary])
        self.header = _Header(ring.primary, os.urandom(8))
        self.buffer = bytearray()
        self.index = 0
        out.write(self.header.encode())

    def write(self, data: bytes) -> None:
        self.buffer += data
        # Keep at least one byte back: the last chunk must be written with the final flag.
        while len(self.buffer) > SEAL_CHUNK:
            self._emit(bytes(self.buffer[:SEAL_CHUNK]), final=False)
            del self.buffer[:SEAL_CHUNK]

    def close(self) -> None:
        self._emit(bytes(self.buffer), final=True)
        self.buffer.clear()

    def _emit(self, chunk: bytes, *, final: bool) -> None:
        nonce = _nonce(self.header.prefix, self.index)
        self.out.write(self.aead.encrypt(nonce, chunk, _aad(self.key, self.index, final)))
        self.index += 1


class _OpeningReader(io.RawIOBase):
    """Random access to a sealed blob's plaintext, decrypting one chunk at a time."""

    def __init__(self, path: Path, ring: KeyRing, key: str) -> None:
        self.handle = path.open("rb")
        try:
            self.header = _Header.read(self.handle)
            if self.header.kid not in ring.keys:
                raise BlobCorruptError(f"blob key id {self.header.kid!r} is not configured")
        except BaseException:
            self.handle.close()
            raise
        self.aead = AESGCM(ring.keys[self.header.kid])
        self.key = key
        body = path.stat().st_size - len(self.header)
        stride = SEAL_CHUNK + TAG
        self.chunks = max(1, -(-body // stride))
        self.last_len = body - (self.chunks - 1) * stride
        if self.last_len < TAG:
            self.handle.close()
            raise BlobCorruptError("stored blob is truncated")
        self.size = (self.chunks - 1) * SEAL_CHUNK + self.last_len - TAG
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

    def _chunk(self, index: int) -> bytes:
        if self.cached is not None and self.cached[0] == index:
            return self.cached[1]
        final = index == self.chunks - 1
        self.handle.seek(len(self.header) + index * (SEAL_CHUNK + TAG))
        sealed = self.handle.read(self.last_len if final else SEAL_CHUNK + TAG)
        try:
            plain = self.aead.decrypt(
                _nonce(self.header.prefix, index), sealed, _aad(self.key, index, final)
            )
        except InvalidTag as exc:
            raise BlobCorruptError("stored blob was altered, truncated or moved") from exc
        self.cached = (index, plain)
        return plain

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self.pos >= self.size:
            return 0
        index, offset = divmod(self.pos, SEAL_CHUNK)
        piece = self._chunk(index)[offset : offset + len(buffer)]
        buffer[: len(piece)] = piece
        self.pos += len(piece)
        return len(piece)

    def close(self) -> None:
        self.handle.close()
        super().close()


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


class LocalBlobStore:
    """Encrypted files under the data dir, written to a temporary name and renamed."""

    def __init__(self, root: Path, ring: KeyRing) -> None:
        self.root = root
        self.ring = ring
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        target = (self.root / key).resolve()
        if not target.is_relative_to(self.root.resolve()):
            raise ValueError("blob key escapes the store")
        return target

    def _chunks(self, data: BinaryIO) -> Iterable[bytes]:
        return iter(lambda: data.read(CHUNK), b"")

    def put(self, key: str, data: BinaryIO, *, max_bytes: int) -> tuple[str, int]:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as out:
                writer = _SealingWriter(out, self.ring, key)
                for chunk in self._chunks(data):
                    size += len(chunk)
                    if size > max_bytes:
                        raise PayloadTooLarge(f"recording exceeds {max_bytes} bytes")
                    digest.update(chunk)
                    writer.write(chunk)
                writer.close()
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp_name, target)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        return digest.hexdigest(), size

    def open(self, key: str) -> BinaryIO:
        return io.BufferedReader(_OpeningReader(self._path(key), self.ring, key), SEAL_CHUNK)

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def keys(self) -> Iterable[str]:
        for path in sorted(self.root.rglob("*")):
            if path.is_file() and not path.name.startswith(".incoming-"):
                yield path.relative_to(self.root).as_posix()

    def key_id(self, key: str) -> str | None:
        """The key id a blob is sealed with, or None for a legacy plaintext file."""
        with self._path(key).open("rb") as handle:
            try:
                return _Header.read(handle).kid
            except BlobCorruptError:
                return None

    def reseal(self, key: str) -> bool:
        """Re-encrypt under the primary key (plaintext legacy files too); whether it changed."""
        kid = self.key_id(key)
        if kid == self.ring.primary:
            return False
        path = self._path(key)
        if kid is None:
            with path.open("rb") as source:
                self.put(key, source, max_bytes=path.stat().st_size)
        else:
            with self.open(key) as source:
                self.put(key, source, max_bytes=path.stat().st_size)
        return True
