"""Spoken and written numbers: "one forty two", "a hundred and one point two", "98.6"."""

from __future__ import annotations

import re

UNITS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
}
TEENS = {
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
TENS = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fourty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
_SMALL = UNITS | TEENS | TENS
_WORD = "|".join(sorted([*_SMALL, "hundred", "thousand"], key=len, reverse=True))
_DIGIT_WORD = "|".join(sorted([*UNITS, "oh"], key=len, reverse=True))

#: A number written with digits or spoken as words (no leading "oh", "and" or "point").
NUMBER_PATTERN = (
    r"(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
    rf"|(?:a\s+(?=hundred))?(?:{_WORD})\b(?:(?:\s+|-)(?:and\s+)?(?:{_WORD}|oh)\b)*"
    rf"(?:\s+point(?:\s+(?:{_DIGIT_WORD})\b)+)?)"
)
NUMBER_RE = re.compile(NUMBER_PATTERN, re.IGNORECASE)
_SPLIT_RE = re.compile(r"[\s\-]+")


def _value(word: str) -> int:
    return 0 if word == "oh" else _SMALL[word]


def _parse_integer(words: list[str]) -> int | None:
    if not words:
        return None
    # Colloquial hundreds: "one forty two" = 142, "one oh five" = 105, "two fifty" = 250.
    if (
        len(words) >= 2
        and words[0] in UNITS
        and words[0] != "zero"
        and (words[1] in TENS or words[1] in TEENS or words[1] == "oh")
        and "hundred" not in words
        and "thousand" not in words
    ):
        rest = _parse_integer(words[1:]) if words[1] != "oh" else _parse_integer(words[2:])
        if rest is None or rest >= 100:
            return None
        return UNITS[words[0]] * 100 + rest
    total = 0
    current = 0
    for word in words:
        if word == "hundred":
            current = max(current, 1) * 100
        elif word == "thousand":
            total += max(current, 1) * 1000
            current = 0
        elif word == "oh":
            continue
        else:
            current += _SMALL[word]
    return total + current


def parse_number(text: str) -> float | None:
    """Return the value of a written or spoken number, or None when it is not one."""
    cleaned = text.strip().lower()
    if not cleaned:
        return None
    digits = cleaned.replace(",", "")
    try:
        return float(digits)
    except ValueError:
        pass
    words = [w for w in _SPLIT_RE.split(cleaned) if w and w != "and"]
    if words and words[0] == "a":
        words = words[1:]
    if not words:
        return None
    if "point" in words:
        idx = words.index("point")
        int_words, frac_words = words[:idx], words[idx + 1 :]
    else:
        int_words, frac_words = words, []
    if any(w not in _SMALL and w not in ("hundred", "thousand", "oh") for w in int_words):
        return None
    integer = _parse_integer(int_words) if int_words else 0
    if integer is None:
        return None
    if not frac_words:
        return float(integer)
    if any(w not in UNITS and w != "oh" for w in frac_words):
        return None
    fraction = "".join(str(_value(w)) for w in frac_words)
    return float(f"{integer}.{fraction}")


def as_number(value: float) -> int | float:
    """Return an int when the value is whole, so 96.0 prints as 96."""
    return int(value) if value.is_integer() else round(value, 2)


def _alt(words: list[str]) -> str:
    return "(?:" + "|".join(sorted(words, key=len, reverse=True)) + r")\b"


_U = _alt([w for w in UNITS if w != "zero"])
_TEEN = _alt(list(TEENS))
_TU = rf"{_alt(list(TENS))}(?:[\s-]+{_U})?"
_BELOW_100 = rf"(?:{_TU}|{_TEEN}|{_U})"
_HUNDREDS = rf"(?:(?:a|{_U})\s+)?hundred\b(?:\s+(?:and\s+)?{_BELOW_100})?"
_COLLOQUIAL = rf"{_U}\s+(?:{_TU}|{_TEEN}|oh\s+{_U})"
#: One well-formed number: digits, or spoken words that make one value. Unlike
#: NUMBER_PATTERN it stops where a second number starts, so "heart rate sixty four one twenty
#: two over eighty" reads as 64 and then 122/80.
VALUE_PATTERN = (
    r"(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
    rf"|(?:{_HUNDREDS}|{_COLLOQUIAL}|{_BELOW_100}|zero\b)"
    rf"(?:\s+point(?:\s+{_alt([*UNITS, 'oh'])})+)?)"
)
