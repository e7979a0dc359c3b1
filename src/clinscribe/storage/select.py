"""The blob store the settings choose: local files under the data dir, or an S3 bucket."""

from __future__ import annotations

from clinscribe.config import Settings
from clinscribe.security.keys import KeyRing
from clinscribe.storage.blobs import LocalBlobStore, MaintainedBlobStore
from clinscribe.storage.s3 import S3BlobStore, S3Location, S3Options
from clinscribe.storage.s3uploads import S3SealedUploads
from clinscribe.storage.uploads import SealedUploads


def s3_options(settings: Settings) -> S3Options:
    def secret(value: object) -> str | None:
        return value.get_secret_value() if value is not None else None  # type: ignore[attr-defined]

    return S3Options(
        endpoint_url=settings.s3_endpoint_url,
        region=settings.s3_region,
        access_key=secret(settings.s3_access_key),
        secret_key=secret(settings.s3_secret_key),
        retry_mode=settings.s3_retry_mode,
        max_attempts=settings.s3_max_attempts,
        timeout=settings.s3_timeout_seconds,
        part_bytes=settings.s3_part_mb * 1024 * 1024,
    )


def s3_store(settings: Settings, url: str, ring: KeyRing) -> S3BlobStore:
    return S3BlobStore(S3Location.parse(url), ring, s3_options(settings))


def blob_store(settings: Settings, ring: KeyRing) -> MaintainedBlobStore:
    """The configured store (a URL other than s3://... is a configuration error)."""
    url = settings.blob_url
    if url:
        return s3_store(settings, url, ring)
    return LocalBlobStore(settings.blob_dir, ring)


def upload_store(settings: Settings, ring: KeyRing, blobs: object) -> SealedUploads:
    """Partial uploads beside the blobs: in the bucket when blobs are, so any node resumes."""
    if isinstance(blobs, S3BlobStore):
        return S3SealedUploads(blobs.area("uploads"), ring)
    return SealedUploads(settings.data_dir / "uploads", ring)
