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
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any, BinaryIO, TypeVar
from urllib.parse import urlsplit

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from clinscribe.errors import ConfigError, PayloadTooLarge, ServiceUnavailable
from clinscribe.security import records
from clinscribe.security.keys import KeyRing
from clinscribe.storage.blobs import CHUNK, SEAL_CHUNK, _as_corrupt, _BlobReader, _identity

MIN_PART = 5 * 1024 * 1024  # S3's smallest part but the last
READ_BLOCK = 16 * (records.RECORD + records.TAG)  # one GET serves 16 records of playback
T = TypeVar("T")

_MISSING_BUCKET = {"NoSuchBucket"}
_BAD_CREDENTIALS = {
    "403",  # a HEAD answer has no body to name the reason: refused, whatever the detail
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "AccessDenied",
    "InvalidToken",
    "ExpiredToken",
    "AuthorizationHeaderMalformed",
}


class BlobStoreUnavailable(ServiceUnavailable):
    """The object store cannot be reached (after retries); the request may be retried."""

    status_code = 503
    code = "blob_store_unavailable"


class BlobBucketMissing(BlobStoreUnavailable):
    """The configured bucket does not exist: an operator must create it."""

    status_code = 503
    code = "blob_bucket_missing"


class BlobCredentialsRejected(BlobStoreUnavailable):
    """The object store refuses the configured access key or secret."""

    status_code = 503
    code = "blob_credentials_rejected"


@dataclass(frozen=True)
class S3Location:
    bucket: str
    prefix: str

    @classmethod
    def parse(cls, url: str) -> S3Location:
        parts = urlsplit(url)
        if parts.scheme != "s3" or not parts.netloc:
            raise ConfigError(f"blob URL must look like s3://bucket/prefix, not {url!r}")
        prefix = parts.path.strip("/")
        return cls(parts.netloc, f"{prefix}/" if prefix else "")


@dataclass(frozen=True)
class S3Options:
    """How to reach the store; `None` credentials use boto3's own chain (instance roles)."""

    endpoint_url: str | None = None
    region: str | None = None
    access_key: str | None = None
    secret_key: str | None = None
    retry_mode: str = "standard"
    max_attempts: int = 5
    timeout: float = 10.0
    part_bytes: int = 8 * 1024 * 1024


def make_client(options: S3Options) -> Any:
    """A boto3 S3 client with bounded timeouts and botocore's own retries (throttling,
    5xx, dropped connections) in `retry_mode` ("standard" or "adaptive")."""
    config = Config(
        retries={"mode": options.retry_mode, "total_max_attempts": options.max_attempts},
        connect_timeout=options.timeout,
        read_timeout=options.timeout,
        # Path-style addressing works with every S3-compatible server, virtual hosts do not.
        s3={"addressing_style": "path"},
    )
    return boto3.session.Session().client(
        "s3",
        endpoint_url=options.endpoint_url,
        region_name=options.region or "us-east-1",
        aws_access_key_id=options.access_key,
        aws_secret_access_key=options.secret_key,
        config=config,
    )


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _unavailable(exc: Exception, bucket: str) -> BlobStoreUnavailable:
    """The one error a client sees for a store problem; names the cause, never a key."""
    if isinstance(exc, ClientError):
        code = _error_code(exc)
        if code in _MISSING_BUCKET:
            return BlobBucketMissing(f"the blob bucket {bucket!r} does not exist")
        if code in _BAD_CREDENTIALS:
            return BlobCredentialsRejected(f"the blob store rejected the credentials ({code})")
        return BlobStoreUnavailable(f"the blob store answered {code or 'an error'}")
    return BlobStoreUnavailable(f"the blob store is unreachable ({type(exc).__name__})")


class _RangedObject(io.RawIOBase):
    """A seekable reader of one object's bytes, fetched by ranged GETs of `READ_BLOCK`."""

    def __init__(self, store: S3BlobStore, name: str, size: int) -> None:
        self.store = store
        self.name = name
        self.size = size
        self.pos = 0
        self.block: tuple[int, bytes] = (-1, b"")

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

    def readinto(self, buffer: Any) -> int:
        # Fills the whole buffer up to the end of the object: a record reader asks for one
        # record at a time and takes a short read for a truncated file.
        done = 0
        while done < len(buffer) and self.pos < self.size:
            index, offset = divmod(self.pos, READ_BLOCK)
            if self.block[0] != index:
                start = index * READ_BLOCK
                end = min(self.size, start + READ_BLOCK) - 1
                self.block = (index, self.store.get_range(self.name, start, end))
            piece = self.block[1][offset : offset + len(buffer) - done]
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
        self.name = name
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

    def commit(self) -> None:
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

    # --- plumbing -----------------------------------------------------------------------------

    def _name(self, key: str) -> str:
        if not key or key.startswith("/") or ".." in key.split("/"):
            raise ValueError("blob key escapes the store")
        return self.location.prefix + key

    @contextmanager
    def _calls(self) -> Iterator[None]:
        try:
            yield
        except (ClientError, BotoCoreError) as exc:
            raise _unavailable(exc, self.location.bucket) from exc

    def _call(self, fn: Callable[[], T]) -> T:
        with self._calls():
            return fn()

    def _head(self, name: str) -> dict[str, Any] | None:
        try:
            head: dict[str, Any] = self.client.head_object(Bucket=self.location.bucket, Key=name)
        except ClientError as exc:
            if _error_code(exc) in ("404", "NoSuchKey", "NotFound"):
                self.check()  # a HEAD on a missing bucket says 404 too: tell the two apart
                return None
            raise _unavailable(exc, self.location.bucket) from exc
        except BotoCoreError as exc:
            raise _unavailable(exc, self.location.bucket) from exc
        return head

    def get_range(self, name: str, start: int, end: int) -> bytes:
        """Bytes `start`..`end` (inclusive) of an object."""
        with self._calls():
            answer = self.client.get_object(
                Bucket=self.location.bucket, Key=name, Range=f"bytes={start}-{end}"
            )
            return bytes(answer["Body"].read())

    def check(self) -> None:
        """Raise the store's clear error unless the bucket exists and the credentials work."""
        try:
            self.client.head_bucket(Bucket=self.location.bucket)
        except ClientError as exc:
            if _error_code(exc) in ("404", "NoSuchBucket", "NotFound"):
                raise BlobBucketMissing(
                    f"the blob bucket {self.location.bucket!r} does not exist"
                ) from exc
            raise _unavailable(exc, self.location.bucket) from exc
        except BotoCoreError as exc:
            raise _unavailable(exc, self.location.bucket) from exc

    # --- the BlobStore interface --------------------------------------------------------------

    def _upload(self, name: str, metadata: dict[str, str], feed: Callable[[_Parts], None]) -> None:
        """Write what `feed` gives to one object; an upload that fails midway is aborted."""
        parts = _Parts(self, name, metadata)
        with self._calls():
            try:
                feed(parts)
                parts.commit()
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

    def open(self, key: str) -> BinaryIO:
        name = self._name(key)
        head = self._head(name)
        if head is None:
            raise FileNotFoundError(key)
        raw = _RangedObject(self, name, int(head["ContentLength"]))
        with _as_corrupt():
            reader = _BlobReader(raw, self.ring, _identity(key))  # type: ignore[arg-type]
        return io.BufferedReader(reader, SEAL_CHUNK)

    def delete(self, key: str) -> None:
        name = self._name(key)
        self._call(lambda: self.client.delete_object(Bucket=self.location.bucket, Key=name))

    def exists(self, key: str) -> bool:
        return self._head(self._name(key)) is not None

    # --- what maintenance and migration use ---------------------------------------------------

    def keys(self) -> Iterable[str]:
        paginator = self.client.get_paginator("list_objects_v2")
        with self._calls():
            pages = paginator.paginate(Bucket=self.location.bucket, Prefix=self.location.prefix)
            for page in pages:
                for item in page.get("Contents", []):
                    yield str(item["Key"])[len(self.location.prefix) :]

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
        with self.open(key) as source:
            data = source.read()  # one blob in memory: S3 cannot read and replace in place
        self.put(key, io.BytesIO(data), max_bytes=len(data))
        return True

    def raw_digest(self, key: str) -> tuple[str, int, str] | None:
        """(sha256 of the stored ciphertext, its size, the digest recorded at copy time)."""
        name = self._name(key)
        head = self._head(name)
        if head is None:
            return None
        digest = hashlib.sha256()
        size = int(head["ContentLength"])
        with self._calls():
            body = self.client.get_object(Bucket=self.location.bucket, Key=name)["Body"]
            for chunk in iter(lambda: body.read(CHUNK), b""):
                digest.update(chunk)
        recorded = str(head.get("Metadata", {}).get("sha256", ""))
        return digest.hexdigest(), size, recorded

    def recorded_digest(self, key: str) -> tuple[int, str] | None:
        """(size, the ciphertext digest recorded when it was copied), without downloading."""
        head = self._head(self._name(key))
        if head is None:
            return None
        return int(head["ContentLength"]), str(head.get("Metadata", {}).get("sha256", ""))

    def put_sealed(self, key: str, sealed: BinaryIO, sha256: str) -> None:
        """Store an already sealed blob byte for byte (a copy from another store)."""

        def feed(parts: _Parts) -> None:
            for chunk in iter(lambda: sealed.read(CHUNK), b""):
                parts.write(chunk)

        self._upload(self._name(key), {"sha256": sha256}, feed)
