"""Blobs in an S3-compatible object store, sealed exactly as on local disk.

The store only ever sees ciphertext: a blob object holds the same fixed-layout record file
(`security.records`) that `LocalBlobStore` writes, bound to the same `blob|<key>` identity, so
objects can be copied between the two stores byte for byte (`clinscribe admin migrate-blobs`).
A read at any offset fetches only the records it covers with ranged GETs, a block of records
at a time; large blobs go up as multipart uploads of `part_bytes` parts, so memory stays
bounded by one part whatever the recording's length.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Iterable
from contextlib import suppress
from dataclasses import replace
from typing import Any, BinaryIO

from botocore.exceptions import BotoCoreError, ClientError

from clinscribe.errors import PayloadTooLarge
from clinscribe.security import records
from clinscribe.security.keys import KeyRing
from clinscribe.storage.blobs import CHUNK, SEAL_CHUNK, _as_corrupt, _BlobReader, _identity
from clinscribe.storage.s3objects import (
    BlobBucketMissing,
    BlobCredentialsRejected,
    BlobStoreUnavailable,
    S3Location,
    S3Objects,
    S3Options,
    make_client,
)

__all__ = [
    "BlobBucketMissing",
    "BlobCredentialsRejected",
    "BlobStoreUnavailable",
    "S3BlobStore",
    "S3Location",
    "S3Options",
]

# A GET costs a round trip whatever its size, so sequential reads fetch 32 records at a time.
READ_BLOCK = 32 * (records.RECORD + records.TAG)
SEEK_SPAN = records.RECORD + records.TAG  # what a read after a seek fetches: one record
HEADER_MAX = records.MAGIC_BYTES + 1 + 255 + records.PREFIX
# Areas of the store that are not blobs sit under names starting with "_" (tenant ids never do).
AREA_MARK = "_"


class _RangedObject(io.RawIOBase):
    """A seekable reader of one object's bytes by ranged GETs: a read after a seek fetches
    one record's worth (playback seeking), each read where the last one ended fetches twice
    as much, up to `READ_BLOCK` (whole-file reads), and what was fetched last is kept."""

    def __init__(
        self, store: S3BlobStore, name: str, first: bytes, size: int, span: int = SEEK_SPAN
    ) -> None:
        self.store = store
        self.name = name
        self.size = size
        self.pos = 0
        self.cached: tuple[int, bytes] = (0, first)
        self.span = span

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

    def _fetch(self, want: int) -> None:
        start, body = self.cached
        sequential = self.pos == start + len(body)
        self.span = min(READ_BLOCK, self.span * 2) if sequential else SEEK_SPAN
        end = min(self.size, self.pos + max(want, self.span)) - 1
        self.cached = (self.pos, self.store.get_range(self.name, self.pos, end))

    def readinto(self, buffer: Any) -> int:
        # Fills the whole buffer up to the end of the object: a record reader asks for one
        # record at a time and takes a short read for a truncated file.
        done = 0
        while done < len(buffer) and self.pos < self.size:
            start, body = self.cached
            if not start <= self.pos < start + len(body):
                self._fetch(len(buffer) - done)
                start, body = self.cached
            piece = body[self.pos - start : self.pos - start + len(buffer) - done]
            if not piece:
                break  # the object shrank under us: the record check reports it
            buffer[done : done + len(piece)] = piece
            done += len(piece)
            self.pos += len(piece)
        return done


class _Parts:
    """Ciphertext on its way up: one PUT when small, else a multipart upload of fixed parts."""

    def __init__(self, store: S3BlobStore, name: str, metadata: dict[str, str]) -> None:
        self.store = store
        self.name = store.location.prefix + name  # the object's full key
        self.metadata = metadata
        self.buffer = bytearray()
        self.upload_id: str | None = None
        self.parts: list[dict[str, Any]] = []

    def write(self, data: bytes) -> int:
        self.buffer += data
        while len(self.buffer) >= self.store.options.part_bytes:
            self._send(bytes(self.buffer[: self.store.options.part_bytes]))
            del self.buffer[: self.store.options.part_bytes]
        return len(data)

    def _send(self, body: bytes) -> None:
        client, bucket = self.store.client, self.store.location.bucket
        if self.upload_id is None:
            started = client.create_multipart_upload(
                Bucket=bucket, Key=self.name, Metadata=self.metadata
            )
            self.upload_id = str(started["UploadId"])
        number = len(self.parts) + 1
        sent = client.upload_part(
            Bucket=bucket, Key=self.name, UploadId=self.upload_id, PartNumber=number, Body=body
        )
        self.parts.append({"PartNumber": number, "ETag": sent["ETag"]})

    def complete(self) -> None:
        client, bucket = self.store.client, self.store.location.bucket
        if self.upload_id is None:
            body = bytes(self.buffer)
            client.put_object(Bucket=bucket, Key=self.name, Body=body, Metadata=self.metadata)
            return
        if self.buffer:
            self._send(bytes(self.buffer))
        client.complete_multipart_upload(
            Bucket=bucket,
            Key=self.name,
            UploadId=self.upload_id,
            MultipartUpload={"Parts": self.parts},
        )

    def abort(self) -> None:
        if self.upload_id is not None:
            self.store.client.abort_multipart_upload(
                Bucket=self.store.location.bucket, Key=self.name, UploadId=self.upload_id
            )


class S3BlobStore:
    """`BlobStore` over an S3 bucket and key prefix; every node of a cluster sees the same."""

    def __init__(self, location: S3Location, ring: KeyRing, options: S3Options) -> None:
        self.location = location
        self.ring = ring
        self.options = options
        self.client = make_client(options)
        self.objects = S3Objects(self.client, location.bucket, location.prefix)
        # Readiness asks once, quickly: a probe must not wait out every retry of a dead store.
        quick = replace(options, max_attempts=1, timeout=min(options.timeout, 2.0))
        self._probe = S3Objects(make_client(quick), location.bucket, location.prefix)

    # --- plumbing -----------------------------------------------------------------------------

    def _name(self, key: str) -> str:
        if not key or key.startswith(("/", AREA_MARK)) or ".." in key.split("/"):
            raise ValueError("blob key escapes the store")
        return key

    def area(self, name: str) -> S3Objects:
        """Objects of another kind kept beside the blobs (partial uploads, live spools)."""
        return self.objects.area(AREA_MARK + name)

    def get_range(self, name: str, start: int, end: int) -> bytes:
        """Bytes `start`..`end` (inclusive) of a blob object."""
        found = self.objects.get(name, (start, end))
        if found is None:
            raise FileNotFoundError(name)
        return found

    def check(self) -> None:
        self._probe.check()

    # --- the BlobStore interface --------------------------------------------------------------

    def _upload(self, name: str, metadata: dict[str, str], feed: Callable[[_Parts], None]) -> None:
        """Write what `feed` gives to one object; an upload that fails midway is aborted."""
        parts = _Parts(self, name, metadata)
        with self.objects.calls():
            try:
                feed(parts)
                parts.complete()
            except BaseException:
                with suppress(ClientError, BotoCoreError):
                    parts.abort()  # else the bucket's lifecycle rule reaps the parts
                raise

    def put(self, key: str, data: BinaryIO, *, max_bytes: int) -> tuple[str, int]:
        digest = hashlib.sha256()
        size = 0

        def feed(parts: _Parts) -> None:
            nonlocal size
            writer = records.FixedWriter(parts, self.ring, _identity(key))  # type: ignore[arg-type]
            for chunk in iter(lambda: data.read(CHUNK), b""):
                size += len(chunk)
                if size > max_bytes:
                    raise PayloadTooLarge(f"recording exceeds {max_bytes} bytes")
                digest.update(chunk)
                writer.write(chunk)
            writer.close()

        self._upload(self._name(key), {}, feed)
        return digest.hexdigest(), size

    def open(self, key: str, *, whole: bool = False) -> BinaryIO:
        name = self._name(key)
        # One GET brings the header, the first record and (in Content-Range) the size. A
        # reader of the whole blob starts at full blocks: a dictation is then one GET, not the
        # three that doubling from one record takes (each a round trip and a request to serve).
        span = READ_BLOCK if whole else SEEK_SPAN
        first = self.objects.get_with_size(name, HEADER_MAX + span)
        if first is None:
            raise FileNotFoundError(key)
        raw = _RangedObject(self, name, *first, span=span)
        with _as_corrupt():
            reader = _BlobReader(raw, self.ring, _identity(key))  # type: ignore[arg-type]
        return io.BufferedReader(reader, SEAL_CHUNK)

    def delete(self, key: str) -> None:
        name = self._name(key)
        self.objects.delete(name)

    def exists(self, key: str) -> bool:
        return self.objects.head(self._name(key)) is not None

    # --- what maintenance and migration use ---------------------------------------------------

    def keys(self) -> Iterable[str]:
        for item in self.objects.listing():
            if not item.name.startswith(AREA_MARK):
                yield item.name

    def key_id(self, key: str) -> str | None:
        """The key id a blob is sealed with (None: not a sealed blob)."""
        head = self.get_range(self._name(key), 0, records.MAGIC_BYTES + 256 + records.PREFIX)
        try:
            return records.FixedHeader.read(io.BytesIO(head)).kid
        except records.RecordError:
            return None

    def reseal(self, key: str) -> bool:
        """Re-encrypt under the primary key; whether it changed."""
        if self.key_id(key) == self.ring.primary:
            return False
        with self.open(key, whole=True) as source:
            # Streamed: the new object replaces the old one only when its upload completes,
            # after the last ranged read of the old one.
            self.put(key, source, max_bytes=2**62)
        return True

    def raw_digest(self, key: str) -> tuple[str, int, str] | None:
        """(sha256 of the stored ciphertext, its size, the digest recorded at copy time)."""
        name = self._name(key)
        head = self.objects.head(name)
        if head is None:
            return None
        digest = hashlib.sha256()
        size = int(head["ContentLength"])
        with self.objects.calls():
            key = self.location.prefix + name
            body = self.client.get_object(Bucket=self.location.bucket, Key=key)["Body"]
            for chunk in iter(lambda: body.read(CHUNK), b""):
                digest.update(chunk)
        recorded = str(head.get("Metadata", {}).get("sha256", ""))
        return digest.hexdigest(), size, recorded

    def recorded_digest(self, key: str) -> tuple[int, str] | None:
        """(size, the ciphertext digest recorded when it was copied), without downloading."""
        head = self.objects.head(self._name(key))
        if head is None:
            return None
        return int(head["ContentLength"]), str(head.get("Metadata", {}).get("sha256", ""))

    def put_sealed(self, key: str, sealed: BinaryIO, sha256: str) -> None:
        """Store an already sealed blob byte for byte (a copy from another store)."""

        def feed(parts: _Parts) -> None:
            for chunk in iter(lambda: sealed.read(CHUNK), b""):
                parts.write(chunk)

        self._upload(self._name(key), {"sha256": sha256}, feed)
