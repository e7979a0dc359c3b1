"""Blob storage behind a small interface: local files now, an S3-compatible store later.

Every blob is a sealed record file in the fixed layout (`security.records`): AES-256-GCM records
of a fixed size, so audio of any length streams through in constant memory and can still be read
at any offset (players seek, PyAV probes the end of a file). Each record's associated data names
the blob key, the record index and whether it is the last one: records cannot be reordered,
moved to another blob, or cut off.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Protocol

from clinscribe.errors import ClinscribeError, PayloadTooLarge
from clinscribe.security import records
from clinscribe.security.keys import KeyRing

CHUNK = 1024 * 1024
SEAL_CHUNK = records.RECORD


class BlobCorruptError(ClinscribeError):
    """A stored blob was altered, truncated, moved, or its key is not configured."""

    status_code = 500
    code = "blob_corrupt"


class BlobStore(Protocol):
    """Where recordings live. Keys are opaque, tenant-prefixed paths."""

    def put(self, key: str, data: BinaryIO, *, max_bytes: int) -> tuple[str, int]:
        """Store a stream; returns (sha256 hex, size). Raises PayloadTooLarge past max_bytes."""
        ...

    def open(self, key: str, *, whole: bool = False) -> BinaryIO:
        """A seekable reader of the blob's plaintext. `whole`: the caller reads it front to
        back (a decode, a copy), so a remote store may fetch it in its largest blocks."""
        ...

    def delete(self, key: str) -> None: ...

    def exists(self, key: str) -> bool: ...


class MaintainedBlobStore(BlobStore, Protocol):
    """A store that key rotation, retention and migration can walk and re-encrypt."""

    def keys(self) -> Iterable[str]: ...

    def key_id(self, key: str) -> str | None: ...

    def reseal(self, key: str) -> bool: ...

    def check(self) -> None:
        """Raise a clear error when the store cannot take or serve blobs (readiness)."""
        ...


def _identity(key: str) -> str:
    # Blob records have been bound to `blob|<key>|<index>|<final>` since blobs were first
    # encrypted, so every stored blob opens as it is.
    return f"blob|{key}"


@contextmanager
def _as_corrupt() -> Iterator[None]:
    try:
        yield
    except records.RecordError as exc:
        raise BlobCorruptError(f"stored blob is unreadable: {exc}") from exc


class _BlobReader(records.FixedReader):
    """A blob's plaintext; a record that does not open is the blob store's own error."""

    def record(self, index: int) -> bytes:
        with _as_corrupt():
            return super().record(index)


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
                writer = records.FixedWriter(out, self.ring, _identity(key))
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

    def open(self, key: str, *, whole: bool = False) -> BinaryIO:
        handle = self._path(key).open("rb")  # a local file reads ahead by itself
        with _as_corrupt():
            reader = _BlobReader(handle, self.ring, _identity(key))
        return io.BufferedReader(reader, SEAL_CHUNK)

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def check(self) -> None:
        if not self.root.is_dir():
            raise FileNotFoundError("the blob directory is missing")

    def keys(self) -> Iterable[str]:
        for path in sorted(self.root.rglob("*")):
            if path.is_file() and not path.name.startswith(".incoming-"):
                yield path.relative_to(self.root).as_posix()

    def key_id(self, key: str) -> str | None:
        """The key id a blob is sealed with, or None for a legacy plaintext file."""
        with self._path(key).open("rb") as handle:
            try:
                return records.FixedHeader.read(handle).kid
            except records.RecordError:
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
