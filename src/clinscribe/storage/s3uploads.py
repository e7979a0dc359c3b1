"""Partial resumable uploads in the S3 store, so any node continues any upload.

An object cannot be appended to, so each PATCH body becomes a numbered part object under
`<tenant>/<uid>/data/`: a framed sealed file (`security.records`) bound to the tenant, the
upload and the part number, named `<number>.<plaintext bytes>`. The tus offset is then a
listing away, with nothing decrypted; reading checks that the parts run 1..N with none
missing and every record opens. The metadata sidecar is one sealed object beside them and an
empty `created` marker makes a new upload exist before its first byte. A PUT is atomic, so a
crash leaves a part whole or absent, never torn: the client resends what was not acknowledged.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from clinscribe.security import records
from clinscribe.security.keys import KeyRing
from clinscribe.storage.pieces import PieceReader
from clinscribe.storage.s3objects import S3Objects
from clinscribe.storage.uploads import _UID, RECORD_BYTES, SealedUploads, UploadCorruptError

MARKER = "created"
INFO = "info"


class S3SealedUploads(SealedUploads):
    """tus storage in the bucket; the same sealing as on disk, one part object per PATCH."""

    def __init__(self, objects: S3Objects, ring: KeyRing) -> None:
        super().__init__(Path("uploads"), ring)
        self.objects = objects
        # tus clients send one request at a time per upload; this orders a node's own.
        self._locks: dict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    def _base(self, uid: str) -> str:
        if not _UID.match(uid):
            raise FileNotFoundError("not an upload id")
        return f"{self._tenant()}/{uid}/"

    def location(self, uid: str) -> str:
        return f"{self._base(uid)}{uid}.sealed"

    def _parts(self, uid: str) -> list[tuple[int, int, str]]:
        """(number, plaintext bytes, object name) of each part, in order."""
        found = []
        for item in self.objects.listing(f"{self._base(uid)}data/"):
            number, _, size = item.name.rsplit("/", 1)[1].partition(".")
            if number.isdigit() and size.isdigit():
                found.append((int(number), int(size), item.name))
        return sorted(found)

    def _part_aad(self, uid: str, number: int) -> str:
        return f"{self._aad(uid, 'data')}|{number}"

    # --- data ---------------------------------------------------------------------------------

    async def create(self, uid: str) -> None:
        await asyncio.to_thread(self.objects.put, self._base(uid) + MARKER, b"")

    async def exists(self, uid: str) -> bool:
        try:
            base = self._base(uid)
        except FileNotFoundError:
            return False
        return await asyncio.to_thread(self.objects.head, base + MARKER) is not None

    def _size(self, uid: str) -> int:
        return sum(size for _, size, _ in self._parts(uid))

    async def flush(self, uid: str) -> None:
        pending = bytes(self._pending.pop((self._tenant(), uid), b""))
        if not pending:
            return
        base = self._base(uid)

        def do() -> None:
            number = max((n for n, _, _ in self._parts(uid)), default=0) + 1
            out = io.BytesIO()
            appender = records.Appender(out, self.ring, self._part_aad(uid, number))
            for start in range(0, len(pending), RECORD_BYTES):
                appender.append(pending[start : start + RECORD_BYTES])
            self.objects.put(f"{base}data/{number:08d}.{len(pending)}", out.getvalue())

        await asyncio.to_thread(do)

    async def read(self, uid: str) -> bytes | None:
        def do() -> bytes | None:
            if self.objects.head(self._base(uid) + MARKER) is None:
                return None
            return b"".join(self._records(io.BytesIO(), uid))

        return await asyncio.to_thread(do)

    def _records(self, handle: BinaryIO, uid: str) -> Iterator[bytes]:
        """The plaintext of each record of each part, in order, each checked."""
        del handle  # the parts are fetched one at a time instead
        tenant = self._tenant()  # captured: the generator may run in another context
        for expected, (number, _, name) in enumerate(self._parts(uid), start=1):
            if number != expected:
                raise UploadCorruptError("a part of the upload is missing; start it again")
            body = self.objects.get(name)
            if body is None:
                raise UploadCorruptError("a part of the upload is missing; start it again")
            aad = f"upload|{tenant}|{uid}|data|{number}"
            try:
                yield from records.read_framed(io.BytesIO(body), self.ring, aad)
            except records.RecordError as exc:
                raise UploadCorruptError(
                    "the upload's stored data is damaged; start the upload again"
                ) from exc

    def reader(self, uid: str) -> BinaryIO:
        return io.BufferedReader(PieceReader(self._records(io.BytesIO(), uid)), RECORD_BYTES)

    def remove(self, uid: str) -> None:
        self.objects.delete_all(self._base(uid))

    def expire(self, older_than: float) -> int:
        """Delete uploads whose newest object is older than `older_than` seconds."""
        cutoff = time.time() - older_than
        newest: dict[str, float] = {}
        for item in self.objects.listing():
            upload = "/".join(item.name.split("/")[:2]) + "/"
            newest[upload] = max(newest.get(upload, 0.0), item.modified.timestamp())
        stale = [upload for upload, at in newest.items() if at < cutoff]
        for upload in stale:
            self.objects.delete_all(upload)
        return len(stale)

    # --- info sidecar -------------------------------------------------------------------------

    async def read_info(self, uid: str) -> dict[str, Any] | None:
        def do() -> dict[str, Any] | None:
            sealed = self.objects.get(self._base(uid) + INFO)
            if sealed is None:
                return None
            try:
                info: dict[str, Any] = json.loads(
                    records.unseal(self.ring, self._aad(uid, "info"), sealed)
                )
            except (records.RecordError, ValueError):
                return None  # unreadable metadata: the upload is not resumable, as in tus
            return info

        return await asyncio.to_thread(do)

    async def write_info(self, uid: str, data: dict[str, Any]) -> None:
        plain = json.dumps(data, default=str).encode()
        sealed = records.seal(self.ring, self._aad(uid, "info"), plain)
        await asyncio.to_thread(self.objects.put, self._base(uid) + INFO, sealed)

    async def list_uids(self) -> list[str]:
        def do() -> list[str]:
            names = {item.name.split("/")[1] for item in self.objects.listing(f"{self._tenant()}/")}
            return sorted(n for n in names if _UID.match(n))

        return await asyncio.to_thread(do)

    @contextlib.asynccontextmanager
    async def lock(self, uid: str) -> AsyncIterator[None]:  # type: ignore[override]
        async with self._locks[f"{self._tenant()}/{uid}"]:
            yield
