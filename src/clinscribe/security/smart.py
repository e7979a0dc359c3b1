"""SMART on FHIR scopes: which FHIR resource types a credential may read, and at what level.

v1 scopes `patient/Observation.read`, `user/*.read`, `system/*.read` (and `.*`), and v2
`patient/Observation.rs` (any of c r u d s in that order; reading needs `r`, searching `s`).
A `patient/` scope only reaches the patient in the credential's launch context; `user/` and
`system/` reach everything the caller could read anyway. Anything else is not a SMART scope
and grants nothing here — including v2 scopes narrowed by a query (`...rs?category=...`): they
are not enforced, so they are refused rather than read as the whole type.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Level = Literal["patient", "user", "system"]
Interaction = Literal["read", "search"]

_SCOPE = re.compile(
    r"^(?P<level>patient|user|system)/(?P<type>\*|[A-Z][A-Za-z]+)\."
    r"(?P<perm>read|write|\*|c?r?u?d?s?)$"
)


@dataclass(frozen=True)
class Scope:
    """One parsed SMART scope."""

    level: Level
    resource_type: str  # "*" for any
    read: bool
    search: bool


def parse(scope: str) -> Scope | None:
    """A SMART scope, or None when the string is not one (e.g. an API key's `read`)."""
    match = _SCOPE.match(scope)
    if match is None or match["perm"] == "":
        return None
    perm = match["perm"]
    v1_read = perm in ("read", "*")
    level: Level = match["level"]  # type: ignore[assignment]
    return Scope(
        level=level,
        resource_type=match["type"],
        read=v1_read or ("r" in perm and perm not in ("write",)),
        search=v1_read or "s" in perm,
    )


def is_smart(scope: str) -> bool:
    """Whether the string is a SMART scope (what an API key may hold beside read/write/admin)."""
    return parse(scope) is not None


def access(scopes: Iterable[str], resource_type: str, interaction: Interaction) -> Level | None:
    """The widest level the scopes grant for this interaction on this type (None: no access).

    `user` and `system` are both tenant-wide here (the caller's own visibility still applies),
    so either beats `patient`.
    """
    best: Level | None = None
    for text in scopes:
        scope = parse(text)
        if scope is None or scope.resource_type not in ("*", resource_type):
            continue
        if not (scope.read if interaction == "read" else scope.search):
            continue
        if scope.level in ("user", "system"):
            return scope.level
        best = "patient"
    return best
