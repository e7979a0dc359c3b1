"""The backup drill: back up, restore into scratch, verify the copy, record the results.

SQLite (embedded) uses the maintenance backup (SQLite's online backup API, blobs, manifest);
PostgreSQL uses `pg_dump` under an exported snapshot, so the row counts taken in that same
snapshot are exactly what the dump holds, restored with `pg_restore` into a scratch database
that is dropped afterwards. Either way the restored copy must show the same rows per table, an
intact audit chain, blobs whose hashes match, and sealed fields that open with the keys.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Protocol, cast

from sqlalchemy import select

from clinscribe.audit import service as audit
from clinscribe.compliance import mariadbdump, pgdump
from clinscribe.compliance.results import (
    BACKUP_DRILL,
    EvidenceError,
    now,
    save_latest,
    write_json,
)
from clinscribe.config import Settings
from clinscribe.db import sealed
from clinscribe.db.models import AuditHead
from clinscribe.db.session import get_engine, session_scope
from clinscribe.errors import ClinscribeError
from clinscribe.maintenance import backup as backups
from clinscribe.maintenance.rotation import SEALED_MODELS
from clinscribe.security import crypto
from clinscribe.storage.blobs import LocalBlobStore, sha256_of

SEALED_SAMPLE = 3  # rows per sealed table opened on the restored copy
BLOB_SAMPLE = 3  # blobs decrypted end to end on the restored copy


def _check_output_dir(out: Path) -> None:
    if not out.is_dir():
        raise EvidenceError(f"no such directory: {out}")
    probe = out / f".drill-{uuid.uuid4().hex[:8]}"
    try:
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise EvidenceError(f"cannot write to {out}: {exc.strerror or exc}") from None


def _verify_copy(settings: Settings, url: str, report: dict[str, Any]) -> None:
    """Audit chain and a sample of sealed fields, read through the restored database."""
    crypto.install(settings)
    try:
        with session_scope(url) as session:
            chain = audit.verify(session)
            head = session.get(AuditHead, 1)
            report["audit"] = {
                "ok": chain.ok,
                "checked": chain.checked,
                "problem": chain.problem,
                "head_hash": head.last_hash if head else None,
            }
            if not chain.ok:
                report["problems"].append(f"restored audit chain: {chain.problem}")
            checked = failed = 0
            for model in SEALED_MODELS:
                rows = session.scalars(select(model).limit(SEALED_SAMPLE)).all()
                for row in rows:
                    for f in sealed.sealed_fields(model):
                        checked += 1
                        try:
                            getattr(row, f.name)
                        except ClinscribeError:
                            failed += 1
            report["encrypted_sample"] = {"checked": checked, "failed": failed}
            if failed:
                report["problems"].append(f"{failed} sealed values do not decrypt on the copy")
    finally:
        get_engine(url).dispose()


def _compare_counts(
    source: dict[str, int], restored: dict[str, int], report: dict[str, Any]
) -> None:
    tables = sorted(set(source) | set(restored))
    report["tables"] = {t: {"source": source.get(t), "restored": restored.get(t)} for t in tables}
    differ = [t for t in tables if source.get(t) != restored.get(t)]
    if differ:
        report["problems"].append("row counts differ for " + ", ".join(differ))


def _sample_blobs(store: LocalBlobStore, keys: list[str], report: dict[str, Any]) -> None:
    opened = 0
    for key in keys[:BLOB_SAMPLE]:
        try:
            with store.open(key) as handle:
                while handle.read(1 << 20):
                    pass
            opened += 1
        except ClinscribeError:
            report["problems"].append(f"blob {key} does not decrypt on the copy")
    report["blobs"]["decrypted_sample"] = opened


def _drill_sqlite(settings: Settings, scratch: Path, report: dict[str, Any]) -> None:
    archive = scratch / "backup.tar.gz"
    manifest = backups.create(settings, archive)
    report["backup"] = {
        "method": "sqlite-online-backup",
        "bytes": archive.stat().st_size,
        "sha256": sha256_of(archive),
        "files": len(manifest["files"]),
    }
    restored = scratch / "restored"
    backups.restore(archive, restored)  # re-hashes every file against the manifest
    _compare_counts(manifest["counts"], backups.table_counts(restored / "clinscribe.db"), report)
    blobs = sorted(n for n in manifest["files"] if n.startswith("blobs/"))
    mismatched = [n for n in blobs if sha256_of(restored / n) != manifest["files"][n]["sha256"]]
    report["blobs"] = {"count": len(blobs), "verified": len(blobs) - len(mismatched)}
    report["problems"].extend(f"blob {n} differs after restore" for n in mismatched)
    copy = settings.model_copy(update={"data_dir": restored, "database_url": None})
    _verify_copy(copy, copy.resolved_database_url, report)
    store = LocalBlobStore(restored / "blobs", crypto.key_ring(copy))
    _sample_blobs(store, [n.removeprefix("blobs/") for n in blobs], report)


def _copy_blobs(settings: Settings, scratch: Path, report: dict[str, Any]) -> list[str]:
    source = settings.blob_dir
    keys = list(LocalBlobStore(source, crypto.key_ring(settings)).keys()) if source.is_dir() else []
    mismatched = []
    for key in keys:
        target = scratch / "blobs" / key
        target.parent.mkdir(parents=True, exist_ok=True)
        expected = sha256_of(source / key)
        shutil.copyfile(source / key, target)
        if sha256_of(target) != expected:
            mismatched.append(key)
    report["blobs"] = {"count": len(keys), "verified": len(keys) - len(mismatched)}
    report["problems"].extend(f"blob {k} differs after copy" for k in mismatched)
    return keys


class _Dumper(Protocol):
    def dump(self, url: str, out: Path) -> dict[str, int]: ...
    def restore(self, dump_file: Path, url: str) -> None: ...
    def table_counts(self, url: str) -> dict[str, int]: ...
    def scratch_database(self, url: str) -> AbstractContextManager[str]: ...


# The server databases by URL scheme, and how each is dumped (method named in the report).
DUMPERS: dict[str, tuple[_Dumper, str]] = {
    "postgresql": (cast(_Dumper, pgdump), "pg_dump (custom format, exported snapshot)"),
    "postgres": (cast(_Dumper, pgdump), "pg_dump (custom format, exported snapshot)"),
    "mysql": (cast(_Dumper, mariadbdump), "mariadb-dump --single-transaction (SQL)"),
    "mariadb": (cast(_Dumper, mariadbdump), "mariadb-dump --single-transaction (SQL)"),
}


def _drill_server(
    settings: Settings, scratch: Path, report: dict[str, Any], dumper: tuple[_Dumper, str]
) -> None:
    tools, method = dumper
    url = settings.resolved_database_url
    dump = scratch / "database.dump"
    counts = tools.dump(url, dump)
    report["backup"] = {"method": method, "bytes": dump.stat().st_size, "sha256": sha256_of(dump)}
    keys = _copy_blobs(settings, scratch, report)
    with tools.scratch_database(url) as scratch_url:
        tools.restore(dump, scratch_url)
        _compare_counts(counts, tools.table_counts(scratch_url), report)
        copy = settings.model_copy(update={"database_url": scratch_url})
        _verify_copy(copy, scratch_url, report)
    crypto.install(settings)  # the live database's cipher again, for whatever runs next
    _sample_blobs(LocalBlobStore(scratch / "blobs", crypto.key_ring(settings)), keys, report)


def run(settings: Settings, out: Path, scratch_root: Path | None = None) -> dict[str, Any]:
    """One drill; results go to `out` and to the data dir (for validate-controls and packs).
    The scratch copy is made under `scratch_root` (default: the system's temporary directory)
    and removed afterwards."""
    _check_output_dir(out)
    started = now()
    database = "sqlite" if settings.is_sqlite else settings.resolved_database_url.split(":")[0]
    report: dict[str, Any] = {
        "kind": "clinscribe-backup-drill",
        "format": 1,
        "started_at": started.isoformat(),
        "database": database.split("+")[0],
        "problems": [],
    }
    if not settings.is_sqlite and report["database"] not in DUMPERS:
        raise EvidenceError("the backup drill covers SQLite, PostgreSQL and MariaDB")
    if scratch_root is not None and not scratch_root.is_dir():
        raise EvidenceError(f"no such scratch directory: {scratch_root}")
    with tempfile.TemporaryDirectory(prefix="clinscribe-drill-", dir=scratch_root) as tmp:
        try:
            if settings.is_sqlite:
                _drill_sqlite(settings, Path(tmp), report)
            else:
                _drill_server(settings, Path(tmp), report, DUMPERS[report["database"]])
        except ClinscribeError as exc:
            # A backup that cannot be made or restored is the drill's finding: record it.
            report["problems"].append(exc.message)
        except OSError as exc:
            report["problems"].append(f"scratch space: {exc.strerror or type(exc).__name__}")
    finished = now()
    report["finished_at"] = finished.isoformat()
    report["seconds"] = round((finished - started).total_seconds(), 2)
    report["ok"] = not report["problems"]
    name = f"backup-drill-{finished:%Y%m%dT%H%M%SZ}.json"
    try:
        write_json(out / name, report)
    except OSError as exc:
        raise EvidenceError(f"cannot write to {out}: {exc.strerror or exc}") from None
    save_latest(settings, BACKUP_DRILL, report)
    report["file"] = str(out / name)
    return report
