"""The members of an uploaded zip, read safely.

Refused before anything is stored: member names that are absolute or climb out (`..`), more
members than allowed (a flood of tiny files), and more uncompressed bytes than allowed (a zip
bomb). The sizes a zip declares can lie, so each member is also counted as it is read and cut
off at what is left of the allowance.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import BinaryIO

from clinscribe.imaging.core.errors import ArchiveTooLargeError, UnsafeArchiveError

ZIP_MAGIC = b"PK\x03\x04"
CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    max_members: int
    max_bytes: int


def is_zip(head: bytes) -> bool:
    return head[:4] == ZIP_MAGIC


def _safe_name(name: str) -> bool:
    if not name or "\x00" in name:
        return False
    normal = name.replace("\\", "/")
    path = PurePosixPath(normal)
    if path.is_absolute() or normal.startswith("/") or (len(normal) > 1 and normal[1] == ":"):
        return False
    return ".." not in path.parts


def _skipped(name: str) -> bool:
    # Folders, and the resource forks macOS adds to every zip it makes.
    return name.endswith("/") or name.startswith("__MACOSX/") or "/." in f"/{name}"


def members(source: BinaryIO, limits: Limits) -> Iterator[tuple[str, bytes]]:
    """(name, bytes) of each file in the zip, after every name and size has been checked."""
    try:
        archive = zipfile.ZipFile(source)
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise UnsafeArchiveError("the zip cannot be read") from exc
    files = [i for i in infos if not _skipped(i.filename)]
    for info in infos:
        if not _safe_name(info.filename):
            raise UnsafeArchiveError("the zip has a member name outside the archive (.. or /)")
    if len(files) > limits.max_members:
        raise ArchiveTooLargeError(
            f"the zip has {len(files)} files; the limit is {limits.max_members}"
        )
    declared = sum(i.file_size for i in files)
    if declared > limits.max_bytes:
        raise ArchiveTooLargeError(f"the zip unpacks to more than {limits.max_bytes} bytes")
    left = limits.max_bytes
    with archive:
        for info in files:
            try:
                with archive.open(info) as handle:
                    data = handle.read(min(left, info.file_size) + 1)
            except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError) as exc:
                raise UnsafeArchiveError("a zip member cannot be read") from exc
            if len(data) > info.file_size or len(data) > left:
                raise ArchiveTooLargeError("a zip member unpacks to more than it declares")
            left -= len(data)
            yield info.filename, data
