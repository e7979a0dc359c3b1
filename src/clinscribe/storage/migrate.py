"""Copy an embedded install's blobs to an S3 store, verified, resumable and idempotent.

Blobs are copied as the sealed files they are (the store never sees plaintext, and a blob's
records are bound to its key, which is the same in both stores). Each copy is read back and its
SHA-256 compared with the local file's; the digest is kept in the object's metadata, so a rerun
skips what is already there with the same size and digest and copies only the rest. Every
`sample_every`-th copied blob is also opened through the S3 store and read to the end, which
decrypts and checks every record: the key ring reads what was copied.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from clinscribe.storage.blobs import LocalBlobStore, sha256_of
from clinscribe.storage.s3 import S3BlobStore

READ = 1024 * 1024


@dataclass
class MigrationSummary:
    dry_run: bool
    total: int = 0
    copied: int = 0
    already_there: int = 0
    bytes_copied: int = 0
    decrypt_checked: int = 0
    to_copy: int = 0  # dry run: what a real run would copy
    unsealed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "dry_run": self.dry_run,
            "total": self.total,
            "copied": self.copied,
            "already_there": self.already_there,
            "to_copy": self.to_copy,
            "bytes_copied": self.bytes_copied,
            "decrypt_checked": self.decrypt_checked,
            "unsealed": self.unsealed,
            "failed": self.failed,
        }


Progress = Callable[[MigrationSummary], None]


def migrate(
    source: LocalBlobStore,
    target: S3BlobStore,
    *,
    dry_run: bool = False,
    sample_every: int = 20,
    progress: Progress | None = None,
) -> MigrationSummary:
    """Copy every blob of `source` missing from `target` (blob keys only in the summary)."""
    summary = MigrationSummary(dry_run=dry_run)
    for key in list(source.keys()):
        summary.total += 1
        path = source.root / key
        if source.key_id(key) is None:
            # A plaintext file from before blobs were sealed: `clinscribe admin rotate-keys`
            # seals it; copying it as it is would put plaintext in the store.
            summary.unsealed.append(key)
            continue
        digest, size = sha256_of(path), path.stat().st_size
        if target.recorded_digest(key) == (size, digest):
            summary.already_there += 1
            continue
        if dry_run:
            summary.to_copy += 1
            continue
        with path.open("rb") as sealed:
            target.put_sealed(key, sealed, digest)
        stored = target.raw_digest(key)
        if stored is None or stored[0] != digest or stored[1] != size:
            summary.failed.append(key)
            continue
        summary.copied += 1
        summary.bytes_copied += size
        if (summary.copied - 1) % sample_every == 0:
            with target.open(key) as plain:
                while plain.read(READ):
                    pass
            summary.decrypt_checked += 1
        if progress is not None and summary.total % 100 == 0:
            progress(summary)
    return summary
