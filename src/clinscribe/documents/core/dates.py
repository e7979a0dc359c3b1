"""Dates as documents print them: "Mar 04, 2025", "18.02.2025", "14-MAR-2025", "06/24/2025".

Numeric day/month order is ambiguous (04/03/2025); a document settles it by itself when any of
its dates has a day above 12, and dotted dates are day-first by convention everywhere.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date

_MONTHS = {
    m: i
    for i, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for m in names
}
_MON = r"(?P<mon>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"  # noqa: E501
_PATTERNS = [
    # 2025-03-04
    re.compile(r"\b(?P<y>(?:19|20)\d\d)-(?P<m>\d{1,2})-(?P<d>\d{1,2})\b"),
    # 04 Mar 2025, 14-MAR-2025, 4 March, 2025
    re.compile(
        rf"\b(?P<d>\d{{1,2}})(?:st|nd|rd|th)?[\s\-/.]*{_MON}[\s\-/.,]*(?P<y>(?:19|20)\d\d)\b", re.I
    ),
    # Mar 04, 2025 / March 4 2025
    re.compile(rf"\b{_MON}\s*(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?\s*(?P<y>(?:19|20)\d\d)\b", re.I),
    # 18.02.2025, 06/24/2025, 04-03-2025, 06/24/25
    re.compile(r"\b(?P<a>\d{1,2})(?P<sep>[./\-])(?P<b>\d{1,2})(?P=sep)(?P<y>(?:19|20)?\d\d)\b"),
]


@dataclass(frozen=True)
class FoundDate:
    """A date and where it is printed."""

    value: date
    begin: int
    end: int
    printed: str


def _year(text: str) -> int:
    year = int(text)
    return year + 2000 if year < 100 else year


def day_first(texts: Iterable[str]) -> bool | None:
    """Whether the numeric dates of a document put the day first (None when undecided)."""
    votes = 0
    for text in texts:
        for m in _PATTERNS[3].finditer(text):
            a, b = int(m["a"]), int(m["b"])
            if m["sep"] == "." or a > 12 >= b:
                votes += 1
            elif b > 12 >= a:
                votes -= 1
    if votes == 0:
        return None
    return votes > 0


def find_dates(text: str, *, dayfirst: bool | None = None) -> Iterator[FoundDate]:
    """Every date printed in `text`, in order (month-first when undecided and ambiguous)."""
    seen: list[tuple[int, int]] = []
    found: list[FoundDate] = []
    for index, pattern in enumerate(_PATTERNS):
        for m in pattern.finditer(text):
            if any(b < m.end() and m.start() < e for b, e in seen):
                continue
            try:
                value = _value(m, index, dayfirst)
            except ValueError:
                continue
            seen.append((m.start(), m.end()))
            found.append(FoundDate(value, m.start(), m.end(), m.group()))
    yield from sorted(found, key=lambda f: f.begin)


def _value(m: re.Match[str], index: int, dayfirst: bool | None) -> date:
    if index == 0:
        return date(int(m["y"]), int(m["m"]), int(m["d"]))
    if index in (1, 2):
        return date(int(m["y"]), _MONTHS[m["mon"].lower().rstrip(".")], int(m["d"]))
    a, b, year = int(m["a"]), int(m["b"]), _year(m["y"])
    if m["sep"] == "." or a > 12:
        return date(year, b, a)
    if b > 12:
        return date(year, a, b)
    return date(year, b, a) if dayfirst else date(year, a, b)


def parse_date(text: str, *, dayfirst: bool | None = None) -> date | None:
    """The first date in `text`, or None."""
    return next((f.value for f in find_dates(text, dayfirst=dayfirst)), None)
