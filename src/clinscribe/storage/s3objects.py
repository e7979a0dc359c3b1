"""Plumbing shared by everything kept in the S3-compatible store: where (bucket and prefix),
how to reach it (a botocore client with retries), the one error a client sees for a store
problem, and a small object helper for the areas other than blobs (partial uploads, spools).

Nothing here encrypts: callers hand over sealed bytes only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from clinscribe.errors import ConfigError, ServiceUnavailable

T = TypeVar("T")
_NOT_FOUND = ("404", "NoSuchKey", "NotFound")
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


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def unavailable(exc: Exception, bucket: str) -> BlobStoreUnavailable:
    """The one error a client sees for a store problem; names the cause, never a key."""
    if isinstance(exc, ClientError):
        code = error_code(exc)
        if code == "NoSuchBucket":
            return BlobBucketMissing(f"the blob bucket {bucket!r} does not exist")
        if code in _BAD_CREDENTIALS:
            return BlobCredentialsRejected(f"the blob store rejected the credentials ({code})")
        return BlobStoreUnavailable(f"the blob store answered {code or 'an error'}")
    return BlobStoreUnavailable(f"the blob store is unreachable ({type(exc).__name__})")


@dataclass(frozen=True)
class Listed:
    name: str  # relative to the area
    size: int
    modified: datetime


class S3Objects:
    """Objects under one prefix of the bucket, with the store's errors."""

    def __init__(self, client: Any, bucket: str, prefix: str) -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix

    @contextmanager
    def calls(self) -> Iterator[None]:
        try:
            yield
        except (ClientError, BotoCoreError) as exc:
            raise unavailable(exc, self.bucket) from exc

    def call(self, fn: Callable[[], T]) -> T:
        with self.calls():
            return fn()

    def area(self, name: str) -> S3Objects:
        return S3Objects(self.client, self.bucket, f"{self.prefix}{name}/")

    def check(self) -> None:
        """Raise the store's clear error unless the bucket exists and the credentials work."""
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError as exc:
            if error_code(exc) in (*_NOT_FOUND, "NoSuchBucket"):
                raise BlobBucketMissing(f"the blob bucket {self.bucket!r} does not exist") from exc
            raise unavailable(exc, self.bucket) from exc
        except BotoCoreError as exc:
            raise unavailable(exc, self.bucket) from exc

    def head(self, name: str) -> dict[str, Any] | None:
        try:
            found: dict[str, Any] = self.client.head_object(
                Bucket=self.bucket, Key=self.prefix + name
            )
        except ClientError as exc:
            if error_code(exc) in _NOT_FOUND:
                self.check()  # a HEAD on a missing bucket says 404 too: tell the two apart
                return None
            raise unavailable(exc, self.bucket) from exc
        except BotoCoreError as exc:
            raise unavailable(exc, self.bucket) from exc
        return found

    def get(self, name: str, byte_range: tuple[int, int] | None = None) -> bytes | None:
        """An object's bytes (`byte_range`: first and last, inclusive); None when missing."""
        extra = {"Range": f"bytes={byte_range[0]}-{byte_range[1]}"} if byte_range else {}
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self.prefix + name, **extra)
            return bytes(answer["Body"].read())
        except ClientError as exc:
            if error_code(exc) in _NOT_FOUND:
                self.check()
                return None
            raise unavailable(exc, self.bucket) from exc
        except BotoCoreError as exc:
            raise unavailable(exc, self.bucket) from exc

    def get_with_size(self, name: str, length: int) -> tuple[bytes, int] | None:
        """The first `length` bytes of an object and its whole size; None when missing."""
        try:
            answer = self.client.get_object(
                Bucket=self.bucket, Key=self.prefix + name, Range=f"bytes=0-{length - 1}"
            )
            body = bytes(answer["Body"].read())
        except ClientError as exc:
            if error_code(exc) in _NOT_FOUND:
                self.check()
                return None
            raise unavailable(exc, self.bucket) from exc
        except BotoCoreError as exc:
            raise unavailable(exc, self.bucket) from exc
        total = str(answer.get("ContentRange", "")).rpartition("/")[2]
        return body, int(total) if total.isdigit() else len(body)

    def put(self, name: str, body: bytes, metadata: dict[str, str] | None = None) -> None:
        self.call(
            lambda: self.client.put_object(
                Bucket=self.bucket, Key=self.prefix + name, Body=body, Metadata=metadata or {}
            )
        )

    def delete(self, name: str) -> None:
        self.call(lambda: self.client.delete_object(Bucket=self.bucket, Key=self.prefix + name))

    def listing(self, under: str = "") -> Iterator[Listed]:
        """Objects whose names start with `under`, in name order."""
        paginator = self.client.get_paginator("list_objects_v2")
        with self.calls():
            for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix + under):
                for item in page.get("Contents", []):
                    name = str(item["Key"])[len(self.prefix) :]
                    yield Listed(name, int(item["Size"]), item["LastModified"])

    def delete_all(self, under: str) -> None:
        for item in list(self.listing(under)):
            self.delete(item.name)
