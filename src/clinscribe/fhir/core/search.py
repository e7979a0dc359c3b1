"""FHIR search requests: the parameters each resource type supports, parsed and checked.

Pure: the query string (as name/value pairs) in, a `SearchRequest` out, or `SearchError`
(400) naming the parameter (never its value: it may be PHI). Values of one parameter joined
by commas are alternatives (OR); a parameter repeated must hold each time (AND).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from clinscribe.fhir.core.search_dates import DateRange, SearchError, parse_date

__all__ = [
    "COUNT_DEFAULT",
    "COUNT_MAX",
    "SEARCH_PARAMS",
    "Criterion",
    "SearchError",
    "SearchRequest",
    "TokenValue",
    "UnknownParameter",
    "parse_search",
]

Kind = Literal["token", "date", "reference"]
COUNT_DEFAULT = 50
COUNT_MAX = 500

_PATIENT: dict[str, Kind] = {"patient": "reference", "subject": "reference"}
_ID: dict[str, Kind] = {"_id": "token"}
# What each type can be searched by (the CapabilityStatement lists exactly these).
SEARCH_PARAMS: dict[str, dict[str, Kind]] = {
    "Patient": {**_ID},
    "Encounter": {**_ID, **_PATIENT, "date": "date", "status": "token"},
    "Observation": {
        **_ID,
        **_PATIENT,
        "code": "token",
        "category": "token",
        "date": "date",
        "status": "token",
    },
    "Condition": {
        **_ID,
        **_PATIENT,
        "code": "token",
        "clinical-status": "token",
        "verification-status": "token",
        "category": "token",
        "onset-date": "date",
    },
    "MedicationStatement": {
        **_ID,
        **_PATIENT,
        "code": "token",
        "status": "token",
        "effective": "date",
    },
    "MedicationRequest": {
        **_ID,
        **_PATIENT,
        "code": "token",
        "status": "token",
        "intent": "token",
        "authoredon": "date",
    },
    "ServiceRequest": {
        **_ID,
        **_PATIENT,
        "code": "token",
        "category": "token",
        "status": "token",
        "intent": "token",
        "authored": "date",
    },
    "AllergyIntolerance": {
        **_ID,
        "patient": "reference",
        "code": "token",
        "category": "token",
        "clinical-status": "token",
        "verification-status": "token",
        "date": "date",
    },
    "CarePlan": {**_ID, **_PATIENT, "status": "token", "date": "date"},
    "Consent": {
        **_ID,
        "patient": "reference",
        "status": "token",
        "category": "token",
        "date": "date",
    },
    "DocumentReference": {
        **_ID,
        **_PATIENT,
        "status": "token",
        "type": "token",
        "date": "date",
    },
    "Composition": {**_ID, **_PATIENT, "status": "token", "type": "token", "date": "date"},
    "ImagingStudy": {**_ID, **_PATIENT, "status": "token", "started": "date"},
}
# Result parameters: accepted everywhere, never filters.
_CONTROL = frozenset({"_count", "_offset", "_include", "_format", "_pretty", "_total"})
_ID_VALUE = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")


class UnknownParameter(SearchError):
    """A search parameter this server does not support for the resource type."""

    status_code = 400
    code = "fhir_unknown_parameter"


@dataclass(frozen=True)
class TokenValue:
    """`system|code`: system None matches any system, "" only codes without one."""

    system: str | None
    code: str | None


@dataclass(frozen=True)
class Criterion:
    """One occurrence of a parameter: its alternatives (any one may match)."""

    name: str
    kind: Kind
    tokens: tuple[TokenValue, ...] = ()
    dates: tuple[DateRange, ...] = ()
    ids: tuple[str, ...] = ()  # reference and _id values: the ids named


@dataclass(frozen=True)
class SearchRequest:
    """A checked search: its criteria, page and includes, and the query that reproduces it."""

    resource_type: str
    criteria: tuple[Criterion, ...]
    count: int = COUNT_DEFAULT
    offset: int = 0
    includes: tuple[str, ...] = ()  # the param each _include follows (`patient`, `subject`)
    echo: tuple[tuple[str, str], ...] = field(default=())  # kept parameters, for links


def _unescape_split(value: str, sep: str) -> list[str]:
    """Split on `sep` except where escaped with a backslash; unescape `\\,` `\\|` `\\$` `\\\\`."""
    parts, current, escaped = [], [], False
    for ch in value:
        if escaped:
            current.append(ch)
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == sep:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    if escaped:
        raise SearchError("a search value ends with a lone backslash")
    parts.append("".join(current))
    return parts


def _token(text: str) -> TokenValue:
    if "|" not in text.replace("\\|", ""):
        value = _unescape_split(text, "|")[0]
        if not value:
            raise SearchError("a token value is empty")
        return TokenValue(None, value)
    pieces = _unescape_split(text, "|")
    if len(pieces) != 2:
        raise SearchError("a token value has more than one '|'")
    system, code = pieces
    if not system and not code:
        raise SearchError("a token value is empty")
    return TokenValue(system, code or None)


def _reference(name: str, text: str) -> str:
    """`<id>`, `Patient/<id>` or an absolute URL ending in `Patient/<id>`."""
    parts = text.strip().rstrip("/").split("/")
    resource_id = parts[-1]
    if (len(parts) > 1 and parts[-2] != "Patient") or not _ID_VALUE.match(resource_id):
        raise SearchError(f"{name} must reference a Patient (Patient/<id> or <id>)")
    return resource_id


def _criterion(name: str, kind: Kind, raw: str, *, now: datetime) -> Criterion:
    alternatives = [v for v in _unescape_split(raw, ",")] if kind != "date" else raw.split(",")
    if any(not v.strip() for v in alternatives):
        raise SearchError(f"{name} has an empty value")
    if kind == "date":
        return Criterion(name, kind, dates=tuple(parse_date(v, now=now) for v in alternatives))
    if kind == "reference":
        return Criterion(name, kind, ids=tuple(_reference(name, v) for v in alternatives))
    if name == "_id":
        if not all(_ID_VALUE.match(v) for v in alternatives):
            raise SearchError("_id values must be resource ids")
        return Criterion(name, kind, ids=tuple(alternatives))
    return Criterion(name, kind, tokens=tuple(_token(v) for v in raw_tokens(raw)))


def raw_tokens(raw: str) -> list[str]:
    """Comma-separated token values, keeping each value's escapes for `_token` to read."""
    out, current, escaped = [], [], False
    for ch in raw:
        if escaped:
            current.append(ch)
            escaped = False
        elif ch == "\\":
            current.append(ch)
            escaped = True
        elif ch == ",":
            out.append("".join(current))
            current = []
        else:
            current.append(ch)
    out.append("".join(current))
    return out


def _int(name: str, raw: str, low: int, high: int) -> int:
    if not re.fullmatch(r"\d{1,9}", raw.strip()):
        raise SearchError(f"{name} must be a whole number")
    value = int(raw)
    if not low <= value <= high:
        raise SearchError(f"{name} must be between {low} and {high}")
    return value


def _includes(resource_type: str, values: Iterable[str], lenient: bool) -> tuple[str, ...]:
    params = SEARCH_PARAMS[resource_type]
    out: list[str] = []
    for value in values:
        source, _, param = value.partition(":")
        param = param.split(":")[0]
        if source == resource_type and params.get(param) == "reference":
            if param not in out:
                out.append(param)
        elif not lenient:
            raise SearchError("_include must be <this type>:patient or :subject")
    return tuple(out)


def parse_search(
    resource_type: str,
    pairs: Sequence[tuple[str, str]],
    *,
    now: datetime,
    lenient: bool = False,
) -> SearchRequest:
    """Check and parse a search of `resource_type`; unknown parameters are an error unless
    `lenient` (the client sent `Prefer: handling=lenient`), when they are dropped."""
    params = SEARCH_PARAMS.get(resource_type)
    if params is None:
        raise UnknownParameter("this resource type is not supported")
    criteria: list[Criterion] = []
    count, offset, includes, echo = COUNT_DEFAULT, 0, [], []
    for name, raw in pairs:
        base, _, modifier = name.partition(":")
        if base in _CONTROL:
            if base == "_count":
                count = _int("_count", raw, 0, COUNT_MAX)
            elif base == "_offset":
                offset = _int("_offset", raw, 0, 10_000_000)
            elif base == "_include":
                includes.append(raw)
                echo.append((name, raw))
            continue
        kind = params.get(base)
        allowed_modifier = modifier == "" or (kind == "reference" and modifier == "Patient")
        if kind is None or not allowed_modifier:
            if lenient:
                continue
            raise UnknownParameter(f"unsupported search parameter '{_safe(name)}'")
        criteria.append(_criterion(base, kind, raw, now=now))
        echo.append((name, raw))
    return SearchRequest(
        resource_type=resource_type,
        criteria=tuple(criteria),
        count=count,
        offset=offset,
        includes=_includes(resource_type, includes, lenient),
        echo=tuple(echo),
    )


def _safe(name: str) -> str:
    # Parameter names are not PHI, but keep them short and printable in the outcome.
    return re.sub(r"[^A-Za-z0-9_:\-.]", "?", name)[:60]
