"""Medication attributes (dosage, route, frequency, duration) in written and spoken forms."""

from __future__ import annotations

import re
from typing import Final

from clinscribe.nlp.core.numbers import NUMBER_PATTERN
from clinscribe.nlp.core.schemas import MedicationAttributes

_NUM: Final = rf"(?:{NUMBER_PATTERN}|one half|a half|half(?: a)?)"
_UNIT: Final = (
    r"(?:mg|milligrams?|mgs|mcg|micrograms?|µg|ug|g|grams?|gm|kg|units?|u|iu|international units|"
    r"ml|milliliters?|cc|meq|milliequivalents?|%|percent|puffs?|tablets?|tabs?|pills?|capsules?|"
    r"caps?|drops?|sprays?|patch(?:es)?|doses?|teaspoons?|tablespoons?|tsp|mg/kg|mg/ml|mcg/hr)"
)
DOSAGE_RE: Final = re.compile(
    rf"\b{_NUM}(?:\s*(?:-|to)\s*{_NUM})?\s*{_UNIT}(?![a-z])", re.IGNORECASE
)
ROUTE_RE: Final = re.compile(
    r"\b(?:by mouth|per mouth|orally|oral|p\.?o\.?|intravenous(?:ly)?|i\.?v\.?|"
    r"intramuscular(?:ly)?|i\.?m\.?|subcutaneous(?:ly)?|sub-?q|s\.?c\.?|sq|topical(?:ly)?|"
    r"inhaled|inhalation|nebulized|via nebulizer|sublingual(?:ly)?|under the tongue|s\.?l\.?|"
    r"rectal(?:ly)?|p\.?r\.?|per rectum|transdermal(?:ly)?|intranasal(?:ly)?|nasal spray|"
    r"in each nostril|ophthalmic|eye drops?|in (?:the|each|both) eyes?|vaginal(?:ly)?|"
    r"injection|injected|as an injection|intra-?articular|chewed|chewable|to chew|chew)(?![a-z])",
    re.IGNORECASE,
)
_EVERY: Final = rf"(?:every|each|q\.?)\s*(?:{_NUM}|other)?\s*(?:to\s*{_NUM}\s*)?"
_FREQ_CORE: Final = (
    r"(?:once|twice|one time|two times|three times|four times|five times|1x|2x|3x|4x|"
    rf"{_NUM} times)\s+(?:a|per|each|every)\s+(?:day|week|month|night)"
    r"|(?:once|twice|three times|four times)\s+(?:daily|weekly|nightly)"
    r"|(?:once|twice|three times|four times)(?=\s+(?:with|as|for|at|in)\b)"
    rf"|{_EVERY}(?:hours?|hrs?|days?|weeks?|months?|morning|night|evening|day)"
    r"|q\.?\s?\d{1,2}\s?h(?:ours?|rs?)?|q\.?\s?(?:am|pm|hs|d|day|week|wk)\b\.?"
    r"|b\.?i\.?d\.?|t\.?i\.?d\.?|q\.?i\.?d\.?|q\.?d\.?|q\.?h\.?s\.?|h\.?s\.?"
    r"|daily|nightly|weekly|monthly|hourly|a day|per day|a week|per week"
    r"|at bedtime|before bed(?:time)?|at night|in the morning|in the evening|every morning"
    r"|with meals|with each meal|before meals|after meals|with breakfast|with dinner"
)
_PRN: Final = r"(?:as needed|as-needed|when needed|if needed|p\.?r\.?n\.?)"
_WITH_MEAL: Final = (
    r"(?:with|before|after)\s+(?:meals|each meal|food|breakfast|lunch|dinner|supper)"
    r"|at bedtime|in the morning|in the evening|at night|on an empty stomach"
)
FREQUENCY_RE: Final = re.compile(
    rf"\b(?:(?:{_FREQ_CORE})(?:\s+(?:{_WITH_MEAL}))?(?:\s*,?\s*(?:and\s+)?{_PRN})?|{_PRN})"
    r"(?![a-z])",
    re.IGNORECASE,
)
DURATION_RE: Final = re.compile(
    rf"\b(?:for|x|times|over|during)\s+(?:the\s+next\s+|another\s+|a\s+total\s+of\s+)?"
    rf"(?:{_NUM}|a|an|one|a few|several|a couple of)\s*(?:-\s*)?"
    r"(?:days?|weeks?|months?|years?|doses?|wks?|d)(?![a-z])"
    r"|\bx\s?\d+\s?(?:days?|d|weeks?|wks?)\b",
    re.IGNORECASE,
)
_WINDOW_AFTER: Final = 90
_WINDOW_BEFORE: Final = 25


def _clean(value: str) -> str:
    value = value.strip(" ,")
    # Keep the final dot of "b.i.d." but not a sentence full stop after "daily.".
    if value.endswith(".") and "." not in value[:-1]:
        value = value[:-1]
    return value


def _first(
    pattern: re.Pattern[str], text: str, begin: int, end: int
) -> tuple[str, int, int] | None:
    match = pattern.search(text, begin, end)
    if match is None:
        return None
    return _clean(match.group()), match.start(), match.end()


def medication_attributes(
    text: str,
    begin: int,
    end: int,
    sentence_begin: int,
    sentence_end: int,
    next_med_begin: int | None,
    prev_med_end: int | None,
) -> MedicationAttributes:
    """Attributes stated after (or just before) a medication mention within its sentence."""
    stop = min(sentence_end, end + _WINDOW_AFTER)
    if next_med_begin is not None:
        stop = min(stop, next_med_begin)
    start = max(sentence_begin, begin - _WINDOW_BEFORE)
    if prev_med_end is not None:
        start = max(start, prev_med_end)
    found: dict[str, str | None] = {}
    for name, pattern in (
        ("dosage", DOSAGE_RE),
        ("frequency", FREQUENCY_RE),
        ("duration", DURATION_RE),
        ("route", ROUTE_RE),
    ):
        after = _first(pattern, text, end, stop)
        if after is None and name == "dosage":
            after = _last(pattern, text, start, begin)
        found[name] = after[0] if after else None
    return MedicationAttributes(**found)


def _last(pattern: re.Pattern[str], text: str, begin: int, end: int) -> tuple[str, int, int] | None:
    matches = list(pattern.finditer(text, begin, end))
    if not matches:
        return None
    m = matches[-1]
    # Only "20 mg of lisinopril" / "20 mg lisinopril": the dose must end next to the drug.
    if text[m.end() : end].strip().lower() not in ("", "of"):
        return None
    return _clean(m.group()), m.start(), m.end()
