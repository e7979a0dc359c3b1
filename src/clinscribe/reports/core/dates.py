"""Find where a date is printed on a page, so a sentence can quote it exactly as printed."""

from __future__ import annotations

import re
from datetime import date

_MONTHS = [
    *("January", "February", "March", "April", "May", "June"),
    *("July", "August", "September", "October", "November", "December"),
]


def renderings(d: date) -> list[str]:
    """The common ways a laboratory or letter prints `d` (most specific first)."""
    full, short = _MONTHS[d.month - 1], _MONTHS[d.month - 1][:3]
    day, day2, mon2, year = str(d.day), f"{d.day:02d}", f"{d.month:02d}", str(d.year)
    return [
        d.isoformat(),
        f"{short} {day2}, {year}",
        f"{short} {day}, {year}",
        f"{full} {day}, {year}",
        f"{full} {day2}, {year}",
        f"{day2} {short} {year}",
        f"{day} {short} {year}",
        f"{day} {full} {year}",
        f"{day2} {full} {year}",
        f"{day2}-{short}-{year}",
        f"{day}-{short}-{year}",
        f"{mon2}/{day2}/{year}",
        f"{d.month}/{day}/{year}",
        f"{day2}/{mon2}/{year}",
        f"{day}/{d.month}/{year}",
        f"{day2}.{mon2}.{year}",
        f"{short}. {day}, {year}",
    ]


def find_printed(d: date, text: str) -> tuple[int, int] | None:
    """The span of the first rendering of `d` found in `text` (case-insensitive), if any."""
    for form in renderings(d):
        # Digits must not continue on either side ("1/2/2025" inside "11/2/20251").
        pattern = r"(?<![0-9])" + re.escape(form) + r"(?![0-9])"
        match = re.search(pattern, text, re.IGNORECASE)
        if match:
            return match.start(), match.end()
    return None
