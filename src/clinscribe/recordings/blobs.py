"""Blob storage behind a small interface: local files now, an S3-compatible store later."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO, Protocol

from clinscribe.errors import PayloadTooLarge

CHUNK = 1024 * 1024


class BlobStore(Protocol):
    """Where recordings live. Keys are opaque, tenant-prefixed paths."""

    def put(self, key: str, data: BinaryIO, *, max_bytes: int) -> tuple[str, int]:
        """Store a stream; returns (sha256 hex, size). Raises PayloadTooLarge past max_bytes."""
        ...

    def adopt(self, key: str, path: Path) -> tuple[str, int]:
        """Move an already-written local file into the store (resumable uploads)."""
        ...

    def path(self, key: str) -> Path:
        """A local path to read the blob from (downloaded first for remote stores)."""
        ...

    def delete(self, key: str) -> None: ...

    def exists(self, key: str) -> bool: ...


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


class LocalBlobStore:
    """Files under the data dir, written to a temporary name and renamed (never half a blob)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)

    def path(self, key: str) -> Path:
        target = (self.root / key).resolve()
        if not target.is_relative_to(self.root.resolve()):
            raise ValueError("blob key escapes the store")
        return target

    def _chunks(self, data: BinaryIO) -> Iterable[bytes]:
        return iter(lambda: data.read(CHUNK), b"")

    def put(self, key: str, data: BinaryIO, *, max_bytes: int) -> tuple[str, int]:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in self._chunks(data):
                    size += len(chunk)
                    if size > max_bytes:
                        raise PayloadTooLarge(f"recording exceeds {max_bytes} bytes")
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp_name, target)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        return digest.hexdigest(), size

    def adopt(self, key: str, path: Path) -> tuple[str, int]:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(path), target)
        return sha256_of(target), target.stat().st_size

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()
