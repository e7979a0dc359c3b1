"""Backup and restore for the embedded profile: a SQLite snapshot, the blob files, a manifest.

The database is copied with SQLite's online backup API (a consistent snapshot while the
service runs); blobs are written before the rows that point at them commit, so every blob the
snapshot references is already on disk when the files are copied afterwards.
"""

from __future__ import annotations

import json
import sqlite3
import tarfile
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from clinscribe.config import Settings
from clinscribe.errors import ClinscribeError
from clinscribe.storage.blobs import sha256_of


class BackupError(ClinscribeError):
    """The backup or restore cannot proceed as asked."""

    status_code = 400
    code = "backup_error"


def table_counts(db: Path) -> dict[str, int]:
    """Rows per table of a SQLite file (every table, so a drill can compare them all)."""
    with sqlite3.connect(db) as conn:
        tables = [
            str(row[0])
            for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
                "ORDER BY name"
            )
        ]
        return {t: int(conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]) for t in tables}  # noqa: S608  # nosec B608


def create(settings: Settings, out: Path) -> dict[str, Any]:
    """Write `out` (.tar.gz): database snapshot, blobs, dev secrets, and a SHA-256 manifest."""
    if not settings.is_sqlite:
        raise BackupError(
            "backup covers the embedded SQLite profile; "
            "use pg_dump or mariadb-dump for a server database"
        )
    if settings.blob_url:
        # An archive without the blobs would restore rows pointing at nothing.
        raise BackupError(
            "backup covers blobs under the data dir, and these are in the S3 store "
            "(CLINSCRIBE_BLOB_URL): back up the bucket with the store's own tools"
        )
    source = settings.data_dir / "clinscribe.db"
    if not source.is_file():
        raise BackupError(f"no database at {source}")
    with tempfile.TemporaryDirectory() as tmp:
        staging = Path(tmp)
        snapshot = staging / "clinscribe.db"
        with sqlite3.connect(source) as src, sqlite3.connect(snapshot) as dst:
            src.backup(dst)
        files: dict[str, Path] = {"clinscribe.db": snapshot}
        for folder in ("blobs", "secrets"):
            root = settings.data_dir / folder
            if root.is_dir():
                for path in sorted(p for p in root.rglob("*") if p.is_file()):
                    if not path.name.startswith(".incoming-"):
                        files[str(Path(folder) / path.relative_to(root))] = path
        manifest = {
            "format": 1,
            "created_at": datetime.now(UTC).isoformat(),
            "counts": table_counts(snapshot),
            "files": {
                name: {"sha256": sha256_of(p), "size": p.stat().st_size}
                for name, p in files.items()
            },
        }
        out.parent.mkdir(parents=True, exist_ok=True)
        with tarfile.open(out, "w:gz") as tar:
            for name, path in files.items():
                tar.add(path, arcname=name)
            manifest_path = staging / "manifest.json"
            manifest_path.write_text(json.dumps(manifest, indent=1))
            tar.add(manifest_path, arcname="manifest.json")
    return manifest


def restore(archive: Path, data_dir: Path) -> dict[str, Any]:
    """Unpack into an empty data dir and check every file against the manifest."""
    if not archive.is_file():
        raise BackupError(f"no such backup: {archive}")
    if (data_dir / "clinscribe.db").exists():
        raise BackupError(f"{data_dir} already holds a database; restore into an empty data dir")
    try:
        with tarfile.open(archive, "r:gz") as tar:
            handle = tar.extractfile("manifest.json")
            if handle is None:
                raise BackupError("the backup has no manifest")
            manifest: dict[str, Any] = json.loads(handle.read())
            members = [m for m in tar.getmembers() if m.name != "manifest.json"]
            for member in members:
                if member.name not in manifest["files"] or not member.isfile():
                    raise BackupError(f"unexpected entry in backup: {member.name}")
            data_dir.mkdir(parents=True, exist_ok=True)
            tar.extractall(data_dir, members=members, filter="data")
    except (tarfile.TarError, KeyError, json.JSONDecodeError, OSError) as exc:
        raise BackupError(f"not a readable Clinscribe backup ({type(exc).__name__})") from exc
    for name, meta in manifest["files"].items():
        path = data_dir / name
        if not path.is_file() or sha256_of(path) != meta["sha256"]:
            raise BackupError(f"backup file {name} is missing or corrupt")
    counts = table_counts(data_dir / "clinscribe.db")
    # Older backups counted a few tables only: compare the tables the manifest names.
    if {t: counts.get(t) for t in manifest["counts"]} != manifest["counts"]:
        raise BackupError("restored row counts differ from the manifest")
    secrets = data_dir / "secrets"
    if secrets.is_dir():
        for path in secrets.iterdir():
            path.chmod(0o600)
    return manifest
