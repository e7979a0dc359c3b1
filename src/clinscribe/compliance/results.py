"""The latest machine-readable results of drills and audits, kept under the data dir.

`backup-drill` and `audit-deps` write here; the controls report and the evidence pack read from
here, so an operator's last run is evidence whichever directory it also wrote to.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from clinscribe.config import Settings
from clinscribe.errors import ClinscribeError

BACKUP_DRILL = "backup-drill.json"
DEPS_AUDIT = "deps-audit.json"


class EvidenceError(ClinscribeError):
    """An evidence input or output cannot be read or written as asked."""

    status_code = 400
    code = "evidence_error"


class Unreadable(EvidenceError):
    """A stored result exists but is not the JSON object it should be (reported by the
    control or pack that reads it, not raised to a client)."""

    status_code = 422
    code = "evidence_result_unreadable"


def now() -> datetime:
    return datetime.now(UTC)


def parse_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def write_json(path: Path, value: dict[str, Any]) -> None:
    """Write `value` atomically (a temporary name, then renamed) so a reader never sees half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(json.dumps(value, indent=2, default=str))
    os.replace(partial, path)


def save_latest(settings: Settings, name: str, value: dict[str, Any]) -> Path:
    path = settings.evidence_dir / name
    write_json(path, value)
    return path


def load_latest(settings: Settings, name: str) -> dict[str, Any] | None:
    """The stored result, None when there is none; `Unreadable` when it is damaged."""
    path = settings.evidence_dir / name
    if not path.is_file():
        return None
    try:
        value = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise Unreadable(f"{name} is unreadable ({type(exc).__name__})") from exc
    if not isinstance(value, dict):
        raise Unreadable(f"{name} is not a JSON object")
    return value
