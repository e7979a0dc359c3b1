"""Keys that tell record entries apart: alert pairs, and what counts as the same fact twice."""

from __future__ import annotations

import re
from datetime import datetime


def pair_key(kind: str, a: str, b: str) -> str:
    """`<check kind>:<sorted normalized names joined by |>` (the acknowledgement's key)."""
    first, second = sorted((_norm(a), _norm(b)))
    return f"{kind}:{first}|{second}"


def _norm(name: str) -> str:
    return " ".join(name.casefold().split())


_DOSE_TAIL = re.compile(r"\s+\d.*$")


def drug_key(name: str, generic: str | None = None) -> str:
    """The same drug twice is one statement: its generic name, else its name without dose."""
    if generic:
        return _norm(generic)
    return _DOSE_TAIL.sub("", _norm(name)) or _norm(name)


def observation_key(code: str | None, display: str | None, effective_at: datetime | None) -> str:
    """Same LOINC (else the same name) at the same effective time is one observation."""
    when = effective_at.isoformat() if effective_at else ""
    return f"{code or _norm(display or '')}@{when}"


def text_key(text: str) -> str:
    """Conditions and allergies without a code are the same when they read the same."""
    return re.sub(r"[^a-z0-9 ]", "", _norm(text))
