"""PHI said aloud: what a transcript of speech holds instead of written identifiers.

Spoken e-mail addresses and web sites ("j smith at gmail dot com"), identifiers read digit by
digit or letter by letter ("x k w seven seven four"), spoken street addresses ("two twelve
birch lane"), ages over 89 without "years old" ("she's ninety four"), spoken dates of birth
("one twelve eighty four"), bare day ordinals ("since the twenty third") and holidays.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Final

from clinscribe.nlp.core.numbers import NUMBER_PATTERN, parse_number
from clinscribe.nlp.core.phi_patterns import ORDINAL_WORDS
from clinscribe.nlp.core.schemas import PhiType

_TOKEN_RE: Final = re.compile(r"[A-Za-z][A-Za-z'_]*|\d+")
_DIGIT_WORDS: Final = frozenset(
    ["zero", "oh", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
)
_DASHES: Final = frozenset(["dash", "hyphen"])
# Words that are never part of a spoken e-mail user name or web site name.
_ADDRESS_STOP: Final = frozenset(
    [
        "is",
        "it's",
        "its",
        "it",
        "email",
        "e-mail",
        "address",
        "mail",
        "my",
        "your",
        "his",
        "her",
        "our",
        "their",
        "the",
        "that",
        "which",
        "and",
        "yeah",
        "yes",
        "sure",
        "okay",
        "ok",
        "um",
        "uh",
        "so",
        "login",
        "username",
        "track",
        "go",
        "visit",
        "site",
        "website",
        "portal",
        "at",
        "on",
        "to",
        "can",
        "you",
        "see",
        "look",
        "up",
        "check",
        "find",
        "there",
        "here",
    ]
)
_DOMAIN_END: Final = r"(?:com|org|net|edu|gov|io|us|co|info|health)"
_SPOKEN_EMAIL_RE: Final = re.compile(
    rf"\s+at\s+(?P<dom>[a-z0-9]+(?:\s+(?:dot\s+)?[a-z0-9]+)?)\s+dot\s+{_DOMAIN_END}\b",
    re.IGNORECASE,
)
_SPOKEN_URL_RE: Final = re.compile(
    r"\b(?:w\s+w\s+w\s+dot\s+)?(?P<name>[a-z0-9]+(?:\s+[a-z0-9]+){0,2})"
    rf"(?:\s+dot\s+[a-z0-9]+(?:\s+[a-z0-9]+)?)*\s+dot\s+{_DOMAIN_END}\b",
    re.IGNORECASE,
)
_STREET_SUFFIX: Final = (
    r"(?:street|avenue|road|lane|drive|boulevard|court|way|place|terrace|circle|parkway|"
    r"highway|trail|bend|pike|loop|crossing|square|row|st|ave|rd|ln|dr|blvd|ct|pkwy|hwy)"
)
_UNIT: Final = (
    rf"(?:\s+(?:apartment|apt|unit|suite|number|#)\s+(?:{NUMBER_PATTERN}|[a-z]?\d+[a-z]?)"
    r"(?:\s+[a-z]\b)?)?"
)
_SPOKEN_ADDRESS_RE: Final = re.compile(
    rf"\b(?:{NUMBER_PATTERN})\s+(?:(?:north|south|east|west|n|s|e|w)\s+)?"
    rf"(?P<words>(?:[a-z][a-z'-]*\s+){{1,3}}){_STREET_SUFFIX}\b"
    rf"(?:\s+(?:north|south|east|west|northeast|northwest|southeast|southwest)\b)?{_UNIT}",
    re.IGNORECASE,
)
_ROUTE_RE: Final = re.compile(
    rf"\b(?:route|highway|county road|state road|interstate)\s+(?:{NUMBER_PATTERN})\b",
    re.IGNORECASE,
)
_STREET_NAME_RE: Final = re.compile(
    rf"\b(?:on|off|at)\s+(?P<st>(?:[a-z][a-z'-]*\s+){{1,2}}{_STREET_SUFFIX})\b",
    re.IGNORECASE,
)
_AGE_CUE_RE: Final = re.compile(
    r"\b(?:he|she|i|you|they|who|dad|mom|father|mother)(?:'s|'re|'m|\s+is|\s+are|\s+am|\s+was|"
    r"'ll\s+be|\s+will\s+be|\s+turned|\s+turns|\s+just\s+turned)\s+(?:now\s+)?"
    rf"(?P<n>{NUMBER_PATTERN})\b(?!\s*(?:percent|%|pounds|lbs?|kilos?|kg|degrees|over|beats|"
    r"mg|milligrams|point|/|feet|foot|inches|times|minutes|hours|days|weeks|months))",
    re.IGNORECASE,
)
_AGE_NOT_AFTER: Final = (
    r"(?!\s*(?:percent|%|pounds|lbs?|kilos?|kg|degrees|over|beats|mg|milligrams|point|/|feet|"
    r"foot|inches|times|minutes|hours|days|weeks|months|dollars|miles))"
)
# Other ways an age is said: "my aunt's ninety three", "just turned ninety seven", "at ninety
# four she ...", "ninety six and still ...", or the answer to "how old ...".
_AGE_MORE_RES: Final = tuple(
    re.compile(p + _AGE_NOT_AFTER, re.IGNORECASE)
    for p in (
        r"\b(?:aunt|auntie|uncle|grand(?:ma|pa|mother|father)|granny|husband|wife|sister|"
        r"brother|patient|neighbor|friend|mom|dad|mother|father)(?:'s|\s+is|\s+was|\s+turned|"
        rf"\s+turns)\s+(?:now\s+|just\s+)?(?P<n>{NUMBER_PATTERN})\b",
        rf"\bjust\s+turned\s+(?P<n>{NUMBER_PATTERN})\b",
        rf"\bat\s+(?:the\s+age\s+of\s+)?(?P<n>{NUMBER_PATTERN})\s+(?=(?:she|he|they|i)\b)",
        rf"(?<![\w-])(?P<n>{NUMBER_PATTERN})\s+and\s+still\b",
        r"\bhow old\b[^\n]{0,40}\n\s*(?:\[\w+\]|\w+:)\s*(?:(?:um|uh|oh|well|she's|he's|i'm|"
        rf"she is|he is|i am|about|almost|nearly)\s+)*(?P<n>{NUMBER_PATTERN})\b",
    )
)
_DOB_CUE_RE: Final = re.compile(
    r"\b(?:date of birth|dob|born on|birth ?date|birthday)\b[^a-z0-9]*(?:\[?\w+\]\s*)?"
    r"(?:(?:it's|is|its|um|uh)\s+)*",
    re.IGNORECASE,
)
_WEEKDAY: Final = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
_MONTH: Final = (
    r"(?:january|february|march|april|may|june|july|august|september|october|november|december)"
)
_DAY_ONLY_RE: Final = re.compile(
    rf"\b(?:(?:since|on|until|till|by|before|after)\s+the|{_WEEKDAY}\s+the)\s+"
    rf"(?:{ORDINAL_WORDS}|\d{{1,2}}(?:st|nd|rd|th))\b"
    r"(?!\s+(?:time|times|day|days|dose|floor|grade|week|weeks|month|months|year|years|one|"
    r"visit|round|cycle|trimester|of\s+(?:the|this|that|my|his|her|our|their|them|those|these)))",
    re.IGNORECASE,
)
_RELATIVE_MONTH_RE: Final = re.compile(
    rf"\b(?:(?:last|this past|this coming|next)\s+{_MONTH}|{_MONTH}\s+of\s+(?:last|this|next)"
    r"\s+year)\b",
    re.IGNORECASE,
)
# A month after a preposition is a date ("a hundred and three in may", "since august").
_PREP_MONTH_RE: Final = re.compile(
    rf"\b(?:in|since|until|till|by|early|late|mid)\s+(?P<m>{_MONTH})\b"
    r"(?!\s+(?:be|have|not|i|you|we|he|she))",
    re.IGNORECASE,
)
_HOLIDAY_RE: Final = re.compile(
    r"\b(?:thanksgiving(?:\s+day)?|christmas(?:\s+(?:day|eve))?|new year's(?:\s+(?:day|eve))?|"
    r"(?:the\s+)?fourth of july|independence day|memorial day|labor day|halloween|"
    r"valentine's day|easter(?:\s+sunday)?)\b",
    re.IGNORECASE,
)
_CUES: Final[list[tuple[PhiType, re.Pattern[str]]]] = [
    ("SSN", re.compile(r"\b(?:social|ssn|social security)\b")),
    ("MRN", re.compile(r"\b(?:medical record|record number|mrn|chart number|bracelet)\b")),
    ("LOCATION", re.compile(r"\b(?:zip|zip code|postal code)\b")),
    ("NAME", re.compile(r"\bspell")),
    ("PHONE", re.compile(r"\b(?:phone|cell|call|fax|reach|callback|text|mobile|landline)\b")),
    (
        "ID",
        re.compile(
            r"\b(?:member|policy|claim|account|reference|confirmation|group|subscriber|auth|"
            r"authorization|order|tracking|id|insurance|license|plan|medicare|medicaid|case)\b"
        ),
    ),
]


def _tokens(text: str) -> list[tuple[str, int, int]]:
    return [(m.group().lower(), m.start(), m.end()) for m in _TOKEN_RE.finditer(text)]


def _sequence_type(
    text: str, begin: int, digits: int, letters: int, written: bool, tokens: int
) -> PhiType | None:
    before = text[max(0, begin - 60) : begin].lower()
    cue: PhiType | None = None
    best = -1
    for phi_type, pattern in _CUES:
        for m in pattern.finditer(before):
            if m.start() > best:
                cue, best = phi_type, m.start()
    if written and (cue not in ("ID", "MRN", "SSN") or tokens < 2):
        return None  # written digit groups are left to the written-form patterns
    if cue == "SSN" and digits == 9 and letters == 0:
        return "SSN"
    if cue == "MRN" and digits >= 5:
        return "MRN"
    if cue == "LOCATION" and digits == 5 and letters == 0:
        return "LOCATION"
    if cue == "NAME" and digits == 0 and letters >= 3:
        return "NAME"
    if letters == 0 and digits in (7, 10, 11) and cue in ("PHONE", None):
        return "PHONE"
    if cue is not None and cue != "NAME" and digits >= 4:
        return "ID"
    if digits >= 7 or (digits >= 5 and letters >= 1):
        return "ID"
    return None


def spelled_sequences(text: str) -> Iterator[tuple[int, int, PhiType]]:
    """Runs of digits and letters read one by one ("x k w seven seven four one nine two")."""
    tokens = _tokens(text)
    i = 0
    while i < len(tokens):
        j = i
        digits = letters = 0
        written = False
        while j < len(tokens):
            word, b, _ = tokens[j]
            gap = text[tokens[j - 1][2] : b] if j > i else " "
            if j > i and gap.strip(" ,-") != "":
                break
            original = text[b : tokens[j][2]]
            if word.isdigit() and (j > i and gap != " "):
                break  # "BP 102, P 104": written digit groups only when one space apart
            if word in _DIGIT_WORDS or word.isdigit():
                written = written or word.isdigit()
                digits += len(word) if word.isdigit() else 1
            elif word in _DASHES and j > i:
                pass
            elif len(word) == 1 or (len(word) <= 3 and original.isupper() and original.isalpha()):
                letters += len(word)
            else:
                break
            j += 1
        while j > i and tokens[j - 1][0] in _DASHES:
            j -= 1
        if j - i >= 4 or (j > i and digits >= 4):
            begin, end = tokens[i][1], tokens[j - 1][2]
            phi_type = _sequence_type(text, begin, digits, letters, written, j - i)
            if phi_type is not None:
                yield begin, end, phi_type
            i = j
        else:
            i += 1


def _left_words(text: str, end: int, limit: int) -> int | None:
    """Start of up to `limit` words ending at `end` that are not filler; None when none."""
    start = None
    for m in reversed(list(_TOKEN_RE.finditer(text[max(0, end - 80) : end]))):
        word = m.group().lower()
        if word in _ADDRESS_STOP or limit == 0:
            break
        start = max(0, end - 80) + m.start()
        limit -= 1
    return start


def spoken_web(text: str) -> Iterator[tuple[int, int, PhiType]]:
    """E-mail addresses and web sites read aloud with "at" and "dot"."""
    emails: list[tuple[int, int]] = []
    for m in _SPOKEN_EMAIL_RE.finditer(text):
        start = _left_words(text, m.start(), 4)
        if start is not None:
            emails.append((start, m.end()))
            yield start, m.end(), "EMAIL"
    for m in _SPOKEN_URL_RE.finditer(text):
        if any(b <= m.start() < e or b < m.end() <= e for b, e in emails):
            continue
        name_end = m.end("name")
        start = _left_words(text, name_end, 3)
        if start is not None:
            yield start, m.end(), "URL"


def _street_words_ok(words: str, common: frozenset[str]) -> bool:
    return not any(w in common for w in words.lower().split())


def spoken_addresses(text: str, stop_words: frozenset[str]) -> Iterator[tuple[int, int, PhiType]]:
    """Street addresses with spoken or written house numbers; routes; named streets."""
    for m in _SPOKEN_ADDRESS_RE.finditer(text):
        if _street_words_ok(m.group("words"), stop_words):
            yield m.start(), m.end(), "ADDRESS"
    for m in _ROUTE_RE.finditer(text):
        yield m.start(), m.end(), "ADDRESS"
    for m in _STREET_NAME_RE.finditer(text):
        words = m.group("st").lower().split()[:-1]
        if _street_words_ok(" ".join(words), stop_words):
            yield m.start("st"), m.end("st"), "ADDRESS"


def spoken_ages_and_dates(text: str) -> Iterator[tuple[int, int, PhiType]]:
    """Ages over 89 after "she's"/"he'll be"; dates of birth, bare day ordinals, holidays."""
    for m in (m for p in (_AGE_CUE_RE, *_AGE_MORE_RES) for m in p.finditer(text)):
        value = parse_number(m.group("n"))
        if value is not None and 90 <= value < 130:
            yield m.start("n"), m.end("n"), "AGE_OVER_89"
    for m in _DOB_CUE_RE.finditer(text):
        run = re.match(rf"(?:{NUMBER_PATTERN})(?:[\s/,-]+(?:{NUMBER_PATTERN}))*", text[m.end() :])
        if run and run.group().strip():
            yield m.end(), m.end() + len(run.group().rstrip(" ,-/")), "DATE"
    for m in _PREP_MONTH_RE.finditer(text):
        yield m.start("m"), m.end("m"), "DATE"
    for pattern in (_DAY_ONLY_RE, _RELATIVE_MONTH_RE, _HOLIDAY_RE):
        for m in pattern.finditer(text):
            yield m.start(), m.end(), "DATE"


__all__ = ["spelled_sequences", "spoken_addresses", "spoken_ages_and_dates", "spoken_web"]
