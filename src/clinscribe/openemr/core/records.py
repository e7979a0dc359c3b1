"""Turning OpenEMR `patient_data` and `form_encounter` values into ours (pure)."""

from __future__ import annotations

from datetime import UTC, date, datetime

_SEXES = {"female": "female", "f": "female", "male": "male", "m": "male"}
_UNKNOWN = {"", "unk", "unknown", "asked-declined", "declined to specify"}


def sex(value: object) -> str:
    """OpenEMR's free-ish `sex` list value as female | male | other | unknown."""
    text = str(value or "").strip().casefold()
    if text in _UNKNOWN:
        return "unknown"
    return _SEXES.get(text, "other")


def birth_date(value: object) -> date | None:
    """A DOB; OpenEMR's zero dates ('0000-00-00', which PyMySQL hands back as text) are None."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return None


def mrn(pubpid: object, pid: int) -> str:
    """The chart number people see; OpenEMR itself shows the pid when `pubpid` is blank."""
    text = str(pubpid or "").strip()
    return text or str(pid)


def when(value: object) -> datetime | None:
    """An OpenEMR DATETIME (site-local, no zone; read as UTC) or None for a zero date."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return None
