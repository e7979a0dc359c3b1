"""Where partial resumable uploads wait: encrypted, one folder per tenant.

tuspyserver's own storage writes the bytes and the metadata (which names the file) to disk in
the clear until the upload completes. This backend keeps the same layout per upload id but
seals every write: the data is a sealed record file in the framed layout (`security.records`),
each PATCH body appended as records bound to the tenant, the upload and the record index, and
the metadata sidecar is a sealed file of one record. The tenant comes from the request
(`for_tenant`, called by the route's file dependency before any storage call), so another
tenant's upload id is simply not found.

Uploads left partial by the layout before sealed record files are not read: their sidecar does
not open, so tus answers 404 and the client starts again from its own copy of the file (they
are deleted at the tus expiry like any abandoned upload).
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import os
import re
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Iterator
from contextvars import ContextVar
from pathlib import Path
from typing import Any, BinaryIO

from tuspyserver.lock import acquire_upload_lock
from tuspyserver.storage import TusStorage

from clinscribe.errors import ClinscribeError
from clinscribe.security import records
from clinscribe.security.keys import KeyRing
from clinscribe.storage.pieces import PieceReader

_TENANT: ContextVar[str | None] = ContextVar("upload_tenant", default=None)
RECORD_BYTES = 1024 * 1024  # plaintext per record: bounds what one read must hold
_UID = re.compile(r"^[0-9a-f]{32}$")


class UploadCorruptError(ClinscribeError):
    """A sealed upload record does not decrypt: altered, moved, or its key is gone."""

    # The client can recover by uploading again, so it is told so rather than given a 500.
    status_code = 409
    code = "upload_corrupt"


@contextlib.contextmanager
def _damaged() -> Iterator[None]:
    try:
        yield
    except records.RecordError as exc:
        raise UploadCorruptError(
            "the upload's stored data is damaged; start the upload again"
        ) from exc


def for_tenant(tenant_id: str) -> None:
    """Scope this request's storage calls to the tenant's folder."""
    _TENANT.set(tenant_id)


class SealedUploads(TusStorage):
    """tus storage with encrypted data and metadata under `<root>/<tenant>/`."""

    def __init__(self, root: Path, ring: KeyRing) -> None:
        self.root = root
        self.ring = ring
        self._pending: dict[tuple[str, str], bytearray] = defaultdict(bytearray)

    # --- paths --------------------------------------------------------------------------------

    def _tenant(self) -> str:
        tenant = _TENANT.get()
        if not tenant:
            raise RuntimeError("upload storage used outside a tenant's request")
        return tenant

    def _dir(self) -> Path:
        return self.root / self._tenant()

    def _data(self, uid: str) -> Path:
        if not _UID.match(uid):
            raise FileNotFoundError("not an upload id")
        return self._dir() / f"{uid}.sealed"

    def _info(self, uid: str) -> Path:
        return self._dir() / f"{uid}.info.sealed"

    def _aad(self, uid: str, part: str) -> str:
        return f"upload|{self._tenant()}|{uid}|{part}"

    def location(self, uid: str) -> str:
        return str(self._data(uid))

    # --- data ---------------------------------------------------------------------------------

    async def create(self, uid: str) -> None:
        def do() -> None:
            self._dir().mkdir(parents=True, exist_ok=True, mode=0o700)
            self._data(uid).touch(mode=0o600)

        await asyncio.to_thread(do)

    async def exists(self, uid: str) -> bool:
        try:
            path = self._data(uid)
        except FileNotFoundError:
            return False
        return await asyncio.to_thread(path.is_file)

    async def size(self, uid: str) -> int:
        return await asyncio.to_thread(self._size, uid)

    def _size(self, uid: str) -> int:
        """Plaintext bytes in the upload's whole records, from their lengths alone (the offset
        is counted without decrypting; reading the upload checks every byte)."""
        path = self._data(uid)
        if not path.is_file():
            return 0
        with path.open("rb") as handle:
            try:
                return sum(records.tail(handle, self.ring, self._aad(uid, "data"))[1])
            except records.RecordError:
                return 0  # not a sealed record file: its sidecar does not open either

    async def append(self, uid: str, chunk: bytes) -> None:
        self._pending[(self._tenant(), uid)].extend(chunk)

    async def flush(self, uid: str) -> None:
        pending = bytes(self._pending.pop((self._tenant(), uid), b""))
        if not pending:
            return
        aad = self._aad(uid, "data")

        def do() -> None:
            with self._data(uid).open("r+b") as out, _damaged():
                # A record torn by a crash is cut off: its PATCH never completed.
                appender = records.Appender(out, self.ring, aad)
                for start in range(0, len(pending), RECORD_BYTES):
                    appender.append(pending[start : start + RECORD_BYTES])
                out.flush()
                os.fsync(out.fileno())

        await asyncio.to_thread(do)

    async def finalize(self, uid: str) -> None:
        return None

    async def read(self, uid: str) -> bytes | None:
        def do() -> bytes | None:
            path = self._data(uid)
            if not path.is_file():
                return None
            with path.open("rb") as handle:
                return b"".join(self._records(handle, uid))

        return await asyncio.to_thread(do)

    def _records(self, handle: BinaryIO, uid: str) -> Iterator[bytes]:
        """The plaintext of each record, each checked."""
        with _damaged():
            yield from records.read_framed(handle, self.ring, self._aad(uid, "data"))

    def reader(self, uid: str) -> BinaryIO:
        """The completed upload's bytes, decrypted record by record as they are read."""
        handle = self._data(uid).open("rb")
        return io.BufferedReader(
            PieceReader(self._records(handle, uid), handle.close), RECORD_BYTES
        )

    async def delete(self, uid: str) -> None:
        self._pending.pop((self._tenant(), uid), None)
        await asyncio.to_thread(self.remove, uid)

    def remove(self, uid: str) -> None:
        """Delete the upload's data and metadata (blocking)."""
        for path in (self._data(uid), self._info(uid)):
            path.unlink(missing_ok=True)

    def expire(self, older_than: float) -> int:
        """Delete partial uploads untouched for `older_than` seconds, in every tenant's
        folder (blocking); returns how many. tus never finishes an abandoned upload."""
        cutoff = time.time() - older_than
        removed = 0
        for path in self.root.glob("*/*.sealed"):
            with contextlib.suppress(FileNotFoundError):
                if path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed += not path.name.endswith(".info.sealed")
        return removed

    # --- info sidecar -------------------------------------------------------------------------

    async def read_info(self, uid: str) -> dict[str, Any] | None:
        def do() -> dict[str, Any] | None:
            path = self._info(uid)
            if not path.is_file():
                return None
            try:
                plain = records.unseal(self.ring, self._aad(uid, "info"), path.read_bytes())
                info: dict[str, Any] = json.loads(plain)
            except (records.RecordError, ValueError):
                return None  # unreadable metadata: the upload is not resumable, as in tus
            return info

        return await asyncio.to_thread(do)

    async def write_info(self, uid: str, data: dict[str, Any]) -> None:
        plain = json.dumps(data, default=str).encode()
        sealed = records.seal(self.ring, self._aad(uid, "info"), plain)

        def do() -> None:
            path = self._info(uid)
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            tmp = path.with_name(f"{path.name}.tmp")
            with tmp.open("wb") as out:
                out.write(sealed)
                out.flush()
                os.fsync(out.fileno())
            tmp.replace(path)  # atomic: a torn sidecar would make the upload unresumable

        await asyncio.to_thread(do)

    # --- housekeeping -------------------------------------------------------------------------

    async def list_uids(self) -> list[str]:
        def do() -> list[str]:
            folder = self._dir()
            if not folder.is_dir():
                return []
            names = (p.name.removesuffix(".sealed") for p in folder.glob("*.sealed"))
            return [n for n in names if _UID.match(n)]

        return await asyncio.to_thread(do)

    # The base class annotates the generator, the routes use it as `async with` (as its own
    # local backend does).
    @contextlib.asynccontextmanager
    async def lock(self, uid: str) -> AsyncIterator[None]:  # type: ignore[override]
        """Advisory file lock per upload, shared with other processes on this data dir."""
        path = str(self._data(uid))
        locks = str(self._dir() / ".locks")
        manager = await asyncio.to_thread(acquire_upload_lock, path, locks_dir=locks, blocking=True)
        await asyncio.to_thread(manager.__enter__)
        try:
            yield
        finally:
            await asyncio.to_thread(manager.__exit__, None, None, None)
