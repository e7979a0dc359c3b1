"""The purge export: one private directory per run, JSONL per kind, audio copies, a manifest.

Nothing is deleted unless the whole export was written, flushed to disk and re-hashed against
its manifest, so the directory is the only copy that must be right.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any, BinaryIO

from clinscribe.errors import ClinscribeError
from clinscribe.storage.blobs import sha256_of

MANIFEST = "manifest.json"
FORMAT = 1
CHUNK = 1 << 20
DIR_MODE = 0o700
FILE_MODE = 0o600


class ExportFailed(ClinscribeError):
    """The purge export could not be written or verified; nothing was deleted."""

    status_code = 500
    code = "retention_export_failed"


def _default(value: object) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"cannot export {type(value).__name__}")


def _private_file(path: Path) -> IO[bytes]:
    # O_EXCL: a run never appends to or overwrites a file it did not create.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    os.fchmod(fd, FILE_MODE)  # the umask may have narrowed or widened what open() asked for
    return os.fdopen(fd, "wb")


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass
class _Stream:
    handle: IO[bytes]
    digest: Any = field(default_factory=hashlib.sha256)
    size: int = 0
    lines: int = 0


class ExportRun:
    """Writes one run directory; `close` flushes everything and writes the manifest last."""

    def __init__(self, root: Path, name: str) -> None:
        self.root = root
        self.path = root / name
        self._streams: dict[str, _Stream] = {}
        self.files: dict[str, dict[str, Any]] = {}

    def open(self) -> None:
        if not self.root.exists():
            self.root.mkdir(mode=DIR_MODE, parents=True)
        self.path.mkdir(mode=DIR_MODE)
        os.chmod(self.path, DIR_MODE)
        (self.path / "audio").mkdir(mode=DIR_MODE)
        os.chmod(self.path / "audio", DIR_MODE)

    def write(self, kind: str, row: dict[str, Any]) -> None:
        """Append one row to `<kind>.jsonl`."""
        stream = self._streams.get(kind)
        if stream is None:
            stream = _Stream(_private_file(self.path / f"{kind}.jsonl"))
            self._streams[kind] = stream
        line = (json.dumps(row, default=_default, ensure_ascii=False) + "\n").encode()
        stream.handle.write(line)
        stream.digest.update(line)
        stream.size += len(line)
        stream.lines += 1

    def copy_audio(self, name: str, source: BinaryIO) -> tuple[str, int]:
        """Copy a blob's plaintext to `audio/<name>`; returns the copy's SHA-256 and size."""
        relative = f"audio/{name}"
        digest = hashlib.sha256()
        size = 0
        with _private_file(self.path / relative) as out:
            for chunk in iter(lambda: source.read(CHUNK), b""):
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        self.files[relative] = {"sha256": digest.hexdigest(), "size": size}
        return digest.hexdigest(), size

    def close(self, meta: dict[str, Any]) -> dict[str, Any]:
        """Flush the JSONL files, then write the manifest (to a temporary name, renamed)."""
        for kind, stream in self._streams.items():
            stream.handle.flush()
            os.fsync(stream.handle.fileno())
            stream.handle.close()
            self.files[f"{kind}.jsonl"] = {
                "sha256": stream.digest.hexdigest(),
                "size": stream.size,
                "lines": stream.lines,
            }
        self._streams.clear()
        manifest = {"format": FORMAT, **meta, "files": dict(sorted(self.files.items()))}
        partial = self.path / f".{MANIFEST}.partial"
        with _private_file(partial) as out:
            out.write(json.dumps(manifest, indent=2, default=_default).encode())
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, self.path / MANIFEST)
        _fsync_dir(self.path / "audio")
        _fsync_dir(self.path)
        return manifest

    def abort(self) -> None:
        """Remove a half-written run, so no directory without a manifest looks like an export."""
        for stream in self._streams.values():
            stream.handle.close()
        self._streams.clear()
        shutil.rmtree(self.path, ignore_errors=True)


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    problems: list[str]


def verify(path: Path) -> VerifyResult:
    """Re-hash every file named in the run's manifest; report missing, resized or changed ones."""
    try:
        manifest = json.loads((path / MANIFEST).read_text())
        files: dict[str, dict[str, Any]] = manifest["files"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return VerifyResult(False, 0, [f"{MANIFEST}: unreadable ({type(exc).__name__})"])
    problems: list[str] = []
    for name, expected in files.items():
        target = path / name
        if not target.resolve().is_relative_to(path.resolve()) or not target.is_file():
            problems.append(f"{name}: missing")
        elif target.stat().st_size != expected["size"]:
            problems.append(f"{name}: size differs")
        elif sha256_of(target) != expected["sha256"]:
            problems.append(f"{name}: SHA-256 differs")
    return VerifyResult(not problems, len(files), problems)
