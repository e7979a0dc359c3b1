"""Consistent surrogate values for PHI: the same original always gets the same stand-in."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from typing import Final

from clinscribe.nlp.core.schemas import PhiType

_FIRST: Final = [
    "Alex",
    "Jordan",
    "Casey",
    "Morgan",
    "Riley",
    "Taylor",
    "Jamie",
    "Avery",
    "Quinn",
    "Rowan",
    "Emerson",
    "Harper",
    "Finley",
    "Dakota",
    "Reese",
    "Sawyer",
    "Parker",
    "Hayden",
    "Skyler",
    "Logan",
]
_LAST: Final = [
    "Abernathy",
    "Blackwood",
    "Carrington",
    "Delacroix",
    "Ellsworth",
    "Fairbanks",
    "Galloway",
    "Hollister",
    "Iverson",
    "Jennings",
    "Kingsley",
    "Lindqvist",
    "Marlowe",
    "Northcott",
    "Oakley",
    "Pemberton",
    "Quimby",
    "Rutherford",
    "Stanton",
    "Thackeray",
]
_STREETS: Final = [
    "Maple",
    "Cedar",
    "Willow",
    "Aspen",
    "Juniper",
    "Hawthorn",
    "Linden",
    "Sycamore",
    "Alder",
    "Chestnut",
]
_SUFFIX: Final = ["Street", "Avenue", "Lane", "Road", "Drive", "Court"]
_CITIES: Final = [
    "Springfield",
    "Fairview",
    "Riverton",
    "Greenville",
    "Franklin",
    "Clinton",
    "Madison",
    "Georgetown",
]
_ORGS: Final = (
    "Northside Clinic",
    "Riverbend Medical Center",
    "Hillcrest Health",
    "Oakview Hospital",
    "Pine Valley Family Practice",
)
_MONTHS: Final = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
_NUMERIC_DATE: Final = re.compile(r"^(\d{1,2})([/-])(\d{1,2})\2(\d{2}|\d{4})$")
_ISO_DATE: Final = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


class SurrogateGenerator:
    """Deterministic stand-ins keyed by (type, original) under a per-instance secret key.

    Dates are shifted by one offset per instance so intervals between them are kept.
    """

    def __init__(self, key: bytes | None = None) -> None:
        self._key = key if key is not None else secrets.token_bytes(16)
        self._cache: dict[tuple[str, str], str] = {}
        self._shift = dt.timedelta(days=self._int("date-shift", 365) + 30)

    def _int(self, seed: str, modulo: int) -> int:
        digest = hmac.new(self._key, seed.encode(), hashlib.sha256).digest()
        return int.from_bytes(digest[:8], "big") % modulo

    def _pick(self, seed: str, options: tuple[str, ...] | list[str]) -> str:
        return options[self._int(seed, len(options))]

    def replace(self, phi_type: PhiType, original: str) -> str:
        """The surrogate for one PHI value (the same value gives the same surrogate)."""
        key = (phi_type, " ".join(original.lower().split()))
        if key not in self._cache:
            self._cache[key] = self._make(phi_type, original, key[1])
        return self._cache[key]

    def _make(self, phi_type: PhiType, original: str, seed: str) -> str:
        match phi_type:
            case "NAME":
                parts = original.split()
                last = self._pick("last" + parts[-1].lower(), _LAST)
                if len(parts) == 1:
                    return last if original[:1].isupper() else last.lower()
                first = self._pick("first" + parts[0].lower(), _FIRST)
                return f"{first} {last}"
            case "DATE":
                return self._date(original, seed)
            case "AGE_OVER_89":
                return "90+ years old"
            case "PHONE":
                return f"555-01{self._int(seed, 100):02d}"
            case "EMAIL":
                return f"{self._pick(seed, _FIRST).lower()}{self._int(seed, 1000)}@example.org"
            case "ADDRESS":
                number = self._int(seed, 9000) + 100
                return f"{number} {self._pick(seed, _STREETS)} {self._pick(seed + 's', _SUFFIX)}"
            case "LOCATION":
                return self._pick(seed, _CITIES)
            case "ORGANIZATION":
                return self._pick(seed, _ORGS)
            case "URL":
                return "https://example.org/"
            case "IP":
                return f"192.0.2.{self._int(seed, 254) + 1}"
            case _:
                return self._same_shape(original, seed)

    def _same_shape(self, original: str, seed: str) -> str:
        out = []
        for i, ch in enumerate(original):
            if ch.isdigit():
                out.append(str(self._int(f"{seed}{i}", 10)))
            elif ch.isalpha():
                letter = chr(ord("A") + self._int(f"{seed}{i}", 26))
                out.append(letter if ch.isupper() else letter.lower())
            else:
                out.append(ch)
        return "".join(out)

    def _date(self, original: str, seed: str) -> str:
        text = original.strip()
        if m := _ISO_DATE.match(text):
            shifted = self._shifted(int(m[1]), int(m[2]), int(m[3]))
            if shifted:
                return shifted.isoformat()
        if m := _NUMERIC_DATE.match(text):
            year = int(m[4]) + (2000 if len(m[4]) == 2 and int(m[4]) < 50 else 0)
            year += 1900 if len(m[4]) == 2 and year < 100 else 0
            shifted = self._shifted(year, int(m[1]), int(m[3]))
            if shifted:
                yy = f"{shifted.year}" if len(m[4]) == 4 else f"{shifted.year % 100:02d}"
                return f"{shifted.month:02d}{m[2]}{shifted.day:02d}{m[2]}{yy}"
        month = self._int(seed, 12)
        day = self._int(seed + "d", 28) + 1
        return f"{_MONTHS[month].capitalize()} {day}"

    def _shifted(self, year: int, month: int, day: int) -> dt.date | None:
        try:
            return dt.date(year, month, day) + self._shift
        except ValueError:
            return None
