"""Offline dependency audit: pinned packages against an OSV-format vulnerability database.

The database is the OSV project's per-ecosystem export for PyPI (a zip of one JSON document per
advisory, or that zip unpacked into a folder) that the operator downloads and hands over; no
network is used here. Package names are compared in PEP 503 normal form; ECOSYSTEM ranges are
evaluated with `packaging.version` as the OSV schema defines them (introduced, fixed,
last_affected, limit), explicit `versions` lists too. Withdrawn advisories are skipped.
"""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.version import InvalidVersion, Version

from clinscribe.compliance.results import EvidenceError

ECOSYSTEM = "PyPI"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*==\s*([^\s;#\\]+)")
# Order of events that share a version: an introduction before a fix at the same version.
EVENT_ORDER = {"introduced": 0, "fixed": 1, "last_affected": 2, "limit": 3}


def normalise(name: str) -> str:
    """PEP 503: runs of -, _ and . are one -, case-insensitive."""
    return re.sub(r"[-_.]+", "-", name).lower()


def read_lock(path: Path) -> dict[str, str]:
    """`name==version` pins of a requirements file (comments, hashes and markers ignored)."""
    try:
        lines = path.read_text().splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise EvidenceError(f"cannot read the lock file {path}: {type(exc).__name__}") from None
    pins = {}
    for line in lines:
        match = PIN.match(line.strip())
        if match:
            pins[normalise(match.group(1))] = match.group(2)
    if not pins:
        raise EvidenceError(f"{path} pins no packages (expected name==version lines)")
    return pins


def _documents(db: Path) -> Iterator[tuple[str, bytes]]:
    if db.is_dir():
        for path in sorted(db.rglob("*.json")):
            yield path.relative_to(db).as_posix(), path.read_bytes()
        return
    if not db.is_file():
        raise EvidenceError(f"no such OSV database: {db}")
    try:
        with zipfile.ZipFile(db) as archive:
            for name in sorted(archive.namelist()):
                if name.endswith(".json"):
                    yield name, archive.read(name)
    except (zipfile.BadZipFile, OSError) as exc:
        raise EvidenceError(f"{db} is not a readable OSV zip ({type(exc).__name__})") from None


def _version(raw: object) -> Version | None:
    try:
        return Version(str(raw))
    except InvalidVersion:
        return None  # advisories carry the odd non-PEP 440 version; it cannot match a pin


def _range_hit(events: list[dict[str, Any]], version: Version) -> tuple[bool, str | None]:
    """Whether `version` is inside the range, and the first fix above it."""
    parsed = []
    for event in events:
        for kind, raw in event.items():
            if kind not in EVENT_ORDER:
                continue
            at = Version("0") if kind == "introduced" and str(raw) == "0" else _version(raw)
            if at is not None:
                parsed.append((at, EVENT_ORDER[kind], kind, str(raw)))
    affected = False
    for at, _, kind, _ in sorted(parsed):
        if kind == "introduced" and at <= version:
            affected = True
        elif (kind in ("fixed", "limit") and at <= version) or (
            kind == "last_affected" and at < version  # the last affected one is still affected
        ):
            affected = False
    fixes = sorted((at, raw) for at, _, kind, raw in parsed if kind == "fixed" and at > version)
    return affected, (fixes[0][1] if fixes else None)


@dataclass(frozen=True)
class Finding:
    id: str
    aliases: list[str]
    package: str
    version: str
    fixed: str | None
    summary: str | None

    def as_dict(self) -> dict[str, Any]:
        return dict(vars(self))


def _affected(advisory: dict[str, Any], pins: dict[str, str]) -> Iterator[Finding]:
    for affected in advisory.get("affected") or []:
        package = affected.get("package") or {}
        if package.get("ecosystem") != ECOSYSTEM:
            continue
        name = normalise(str(package.get("name", "")))
        pinned = pins.get(name)
        version = _version(pinned) if pinned else None
        if pinned is None or version is None:
            continue
        hit, fixed = False, None
        if any(_version(v) == version for v in affected.get("versions") or []):
            hit = True
        for span in affected.get("ranges") or []:
            if span.get("type") == "ECOSYSTEM":
                inside, fix = _range_hit(span.get("events") or [], version)
                if inside:
                    hit, fixed = True, fixed or fix
        if hit:
            yield Finding(
                id=str(advisory["id"]),
                aliases=[str(a) for a in advisory.get("aliases") or []],
                package=name,
                version=pinned,
                fixed=fixed,
                summary=advisory.get("summary"),
            )


def audit(db: Path, lock: Path) -> dict[str, Any]:
    """Every advisory in `db` that affects a pin of `lock`; malformed documents are errors."""
    pins = read_lock(lock)
    findings: list[Finding] = []
    read = withdrawn = 0
    for name, raw in _documents(db):
        try:
            advisory = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise EvidenceError(f"OSV database entry {name} is not valid JSON") from None
        if not isinstance(advisory, dict) or not isinstance(advisory.get("id"), str):
            raise EvidenceError(f"OSV database entry {name} is not an advisory (no id)")
        if not isinstance(advisory.get("affected", []), list):
            raise EvidenceError(f"OSV database entry {name} has a malformed 'affected' list")
        read += 1
        if advisory.get("withdrawn"):
            withdrawn += 1
            continue
        try:
            findings.extend(_affected(advisory, pins))
        except (AttributeError, TypeError) as exc:
            raise EvidenceError(
                f"OSV database entry {name} is malformed ({type(exc).__name__})"
            ) from None
    if not read:
        raise EvidenceError(f"{db} holds no OSV advisories")
    return {
        "packages": len(pins),
        "advisories": read,
        "withdrawn": withdrawn,
        "findings": [f.as_dict() for f in sorted(findings, key=lambda f: (f.package, f.id))],
    }
