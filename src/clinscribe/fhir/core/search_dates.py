"""FHIR date search values: prefixes, partial dates as ranges, and what each prefix matches.

A search value is a half-open range `[lo, hi)` at its own precision (`2024` is the whole year,
`2024-03` the month, `2024-03-05` the day, a time to the second is that second). A resource's
date is a range too: a day-precision date column is `[day, day + 1)`, an instant is a point.
Each prefix is written once here as comparisons of the resource's `start` and `end` with the
bounds (FHIR R4 §3.1.1.4.2); the server turns those comparisons into SQL for its column kind,
and `matches` evaluates them in Python (the tests hold both to the same table).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Literal

from clinscribe.fhir.core.errors import FhirError

Prefix = Literal["eq", "ne", "lt", "gt", "le", "ge", "sa", "eb", "ap"]
PREFIXES: tuple[Prefix, ...] = ("eq", "ne", "lt", "gt", "le", "ge", "sa", "eb", "ap")
Edge = Literal["start", "end"]
Op = Literal[">=", "<", ">", "<="]

_DATE = re.compile(
    r"^(?P<prefix>eq|ne|lt|gt|le|ge|sa|eb|ap)?"
    r"(?P<y>\d{4})(?:-(?P<m>\d{2})(?:-(?P<d>\d{2})"
    r"(?:T(?P<H>\d{2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?P<f>\.\d{1,9})?)?"
    r"(?P<tz>Z|[+-]\d{2}:\d{2})?)?)?)?$"
)


class SearchError(FhirError):
    """A search parameter or its value is not one this server understands."""

    status_code = 400
    code = "fhir_invalid_search"


@dataclass(frozen=True)
class DateRange:
    """One date search value: its prefix and the range `[lo, hi)` it names (UTC)."""

    prefix: Prefix
    lo: datetime
    hi: datetime


@dataclass(frozen=True)
class Comparison:
    """`<edge of the resource's range> <op> <bound>`."""

    edge: Edge
    op: Op
    bound: datetime


@dataclass(frozen=True)
class Condition:
    """All comparisons must hold (negated for `ne`)."""

    negated: bool
    all_of: tuple[Comparison, ...]


def _add_months(value: datetime, months: int) -> datetime:
    month = value.month - 1 + months
    return value.replace(year=value.year + month // 12, month=month % 12 + 1)


def _zone(text: str | None) -> timezone:
    if text is None or text == "Z":
        return UTC
    sign = 1 if text[0] == "+" else -1
    hours, minutes = int(text[1:3]), int(text[4:6])
    if hours > 14 or minutes > 59:
        raise SearchError("a date's time zone offset is out of range")
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def parse_date(text: str, *, now: datetime) -> DateRange:
    """A date search value (`ge2024-03`, `2024-03-05T10:00:00Z`, ...) as a prefix and range."""
    match = _DATE.match(text.strip())
    if match is None:
        raise SearchError("a date value must be [prefix]YYYY[-MM[-DD[Thh:mm[:ss][zone]]]]")
    g = match.groupdict()
    prefix: Prefix = g["prefix"] or "eq"  # type: ignore[assignment]
    try:
        year = int(g["y"])
        if g["m"] is None:
            lo = datetime(year, 1, 1, tzinfo=UTC)
            hi = _add_months(lo, 12)
        elif g["d"] is None:
            lo = datetime(year, int(g["m"]), 1, tzinfo=UTC)
            hi = _add_months(lo, 1)
        elif g["H"] is None:
            lo = datetime(year, int(g["m"]), int(g["d"]), tzinfo=UTC)
            hi = lo + timedelta(days=1)
        else:
            zone = _zone(g["tz"])
            second = int(g["S"] or 0)
            micro = int((g["f"] or ".0")[1:7].ljust(6, "0"))
            local = datetime(
                year, int(g["m"]), int(g["d"]), int(g["H"]), int(g["M"]), second, micro, zone
            )
            lo = local.astimezone(UTC)
            step = (
                timedelta(minutes=1)
                if g["S"] is None
                else timedelta(microseconds=1)
                if g["f"]
                else timedelta(seconds=1)
            )
            hi = lo + step
    except ValueError as exc:
        raise SearchError("a date value names a day or time that does not exist") from exc
    if prefix == "ap":
        # "Approximately": widened by 10% of the distance from now (at least a day).
        gap = max(abs(now - lo) / 10, timedelta(days=1))
        lo, hi = lo - gap, hi + gap
    return DateRange(prefix, lo, hi)


def condition(value: DateRange) -> Condition:
    """The comparisons a resource range `[start, end)` must satisfy for this search value."""
    lo, hi = value.lo, value.hi
    both = (Comparison("start", ">=", lo), Comparison("end", "<=", hi))
    table: dict[Prefix, Condition] = {
        "eq": Condition(False, both),
        "ne": Condition(True, both),
        "gt": Condition(False, (Comparison("end", ">", hi),)),
        "lt": Condition(False, (Comparison("start", "<", lo),)),
        "ge": Condition(False, (Comparison("end", ">", lo),)),
        "le": Condition(False, (Comparison("start", "<", hi),)),
        "sa": Condition(False, (Comparison("start", ">=", hi),)),
        "eb": Condition(False, (Comparison("end", "<=", lo),)),
        "ap": Condition(False, (Comparison("start", "<", hi), Comparison("end", ">", lo))),
    }
    return table[value.prefix]


def day_range(day: date) -> tuple[datetime, datetime]:
    """The range a day-precision date covers, in UTC."""
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return start, start + timedelta(days=1)


def matches(value: DateRange, start: datetime, end: datetime) -> bool:
    """Whether a resource covering `[start, end)` matches (an instant: `start == end`)."""
    cond = condition(value)
    ok = all(
        _compare(start, c.op, c.bound)
        if c.edge == "start"
        else _compare(end, instant_end_op(c.op) if start == end else c.op, c.bound)
        for c in cond.all_of
    )
    return ok != cond.negated


def instant_end_op(op: Op) -> Op:
    """An instant's end lies just past its start: `end > X` is `t >= X`, `end <= X` is `t < X`."""
    return {">": ">=", "<=": "<"}.get(op, op)  # type: ignore[return-value]


def _compare(left: datetime, op: Op, right: datetime) -> bool:
    if op == ">=":
        return left >= right
    if op == "<":
        return left < right
    if op == ">":
        return left > right
    return left <= right
