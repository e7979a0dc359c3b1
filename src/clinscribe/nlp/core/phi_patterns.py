"""Pattern recognizers for PHI that Presidio lacks or gets wrong on clinical text."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Final

from clinscribe.nlp.core.numbers import NUMBER_PATTERN, parse_number
from clinscribe.nlp.core.schemas import PhiType

_STATES: Final = [
    "AL",
    "AK",
    "AZ",
    "AR",
    "CA",
    "CO",
    "CT",
    "DE",
    "FL",
    "GA",
    "HI",
    "ID",
    "IL",
    "IN",
    "IA",
    "KS",
    "KY",
    "LA",
    "ME",
    "MD",
    "MA",
    "MI",
    "MN",
    "MS",
    "MO",
    "MT",
    "NE",
    "NV",
    "NH",
    "NJ",
    "NM",
    "NY",
    "NC",
    "ND",
    "OH",
    "OK",
    "OR",
    "PA",
    "RI",
    "SC",
    "SD",
    "TN",
    "TX",
    "UT",
    "VT",
    "VA",
    "WA",
    "WV",
    "WI",
    "WY",
    "DC",
    "PR",
]
STATE_NAMES: Final = frozenset(
    [
        "alabama",
        "alaska",
        "arizona",
        "arkansas",
        "california",
        "colorado",
        "connecticut",
        "delaware",
        "florida",
        "georgia",
        "hawaii",
        "idaho",
        "illinois",
        "indiana",
        "iowa",
        "kansas",
        "kentucky",
        "louisiana",
        "maine",
        "maryland",
        "massachusetts",
        "michigan",
        "minnesota",
        "mississippi",
        "missouri",
        "montana",
        "nebraska",
        "nevada",
        "ohio",
        "oklahoma",
        "oregon",
        "pennsylvania",
        "tennessee",
        "texas",
        "utah",
        "vermont",
        "virginia",
        "washington",
        "wisconsin",
        "wyoming",
    ]
    + ["new york", "new jersey", "new mexico", "new hampshire", "north carolina", "south carolina"]
    + ["north dakota", "south dakota", "west virginia", "rhode island", "us", "usa", "america"]
    + ["united states", "canada", "mexico"]
    + [s.lower() for s in _STATES]
)
_MONTH: Final = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_ORDINAL_WORDS: Final = (
    r"(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|"
    r"thirteenth|fourteenth|fifteenth|sixteenth|seventeenth|eighteenth|nineteenth|twentieth|"
    r"twenty[\s-](?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth)|thirtieth|"
    r"thirty[\s-]first)"
)
_DAY: Final = rf"(?:\d{{1,2}}(?:st|nd|rd|th)?|{_ORDINAL_WORDS})"
ORDINAL_WORDS: Final = _ORDINAL_WORDS
_SMALL_WORD: Final = (
    r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|"
    r"fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|"
    r"eighty|ninety)"
)
_SPOKEN_YEAR: Final = (
    rf"(?:nineteen|twenty)[\s-]+(?:oh[\s-]+)?{_SMALL_WORD}(?:[\s-]+{_SMALL_WORD})?"
    rf"|two thousand(?:[\s-]+and)?(?:[\s-]+{_SMALL_WORD}){{0,2}}"
)
_YEAR: Final = rf"(?:\d{{4}}|'\d{{2}}|{_SPOKEN_YEAR})"
_STREET_SUFFIX: Final = (
    r"(?:street|st|avenue|ave|road|rd|lane|ln|drive|dr|boulevard|blvd|court|ct|way|place|pl|"
    r"terrace|ter|circle|cir|parkway|pkwy|highway|hwy|trail|trl|square|sq|alley|row|crescent)"
)
_INSTITUTION: Final = (
    r"(?:clinic|hospital|medical center|medical centre|health center|health system|healthcare|"
    r"infirmary|pharmacy|laboratory|labs|university|college|school|nursing home|"
    r"rehabilitation center|rehab center|hospice|urgent care|medical group|associates|"
    r"family practice|family medicine|internal medicine|institute|insurance|cancer center|"
    r"heart center|surgery center|surgical associates|cardiology|dermatology|orthopedics|"
    r"orthopaedics|pediatrics|oncology|neurology|urology|radiology|gastroenterology|"
    r"pulmonology|endocrinology|rheumatology|ob-?gyn|imaging|dental|dentistry|physical therapy)"
)

PATTERNS: Final[list[tuple[PhiType, re.Pattern[str], int]]] = [
    # (type, pattern, group holding the PHI); order is priority on overlap.
    ("EMAIL", re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b"), 0),
    (
        "URL",
        re.compile(
            r"\bhttps?://[^\s<>\"]+|\bwww\.[^\s<>\"]+|\b[a-z0-9-]+\.(?:com|org|net|edu|gov|io|health)"
            r"(?:/[^\s<>\"]*)?(?![\w@])",
            re.IGNORECASE,
        ),
        0,
    ),
    ("IP", re.compile(r"\b(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\b"), 0),
    (
        "SSN",
        re.compile(
            r"\b\d{3}-\d{2}-\d{4}\b"
            r"|(?:ssn|social security(?: number)?)\s*[:#]?\s*(?:is\s+)?(\d{9})\b",
            re.IGNORECASE,
        ),
        0,
    ),
    (
        "MRN",
        re.compile(
            r"\b(?:mrn|medical record(?: number| no\.?| #)?|record number"
            r"|chart(?: number| no\.?| #))"
            r"\s*(?:[:#]|is|number)?\s*([A-Z]{0,3}-?\d[\dA-Z-]{3,})\b",
            re.IGNORECASE,
        ),
        1,
    ),
    (
        "ID",
        re.compile(
            r"\b(?:member(?: id| number| no\.?)?|insurance(?: id| number| no\.?)"
            r"|policy(?: number| no\.?| #)?|"
            r"account(?: number| no\.?| #)?|acct\.?|license(?: number| no\.?)?|dea(?: number)?|npi|"
            r"group(?: number| no\.?| #)|subscriber(?: id| number)?|medicare(?: number| id)?|"
            r"medicaid(?: number| id)?|id(?: number| no\.?| #)?|serial(?: number| no\.?)?|"
            r"device(?: id| number)?|plate(?: number)?|vin)\s*(?:[:#]|is|number)?\s*"
            r"((?=[A-Z0-9-]*\d)[A-Z0-9]+(?:-[A-Z0-9]+)*)\b",
            re.IGNORECASE,
        ),
        1,
    ),
    (
        "PHONE",
        re.compile(
            r"(?<![\d-])(?:\+?1[\s.-]?)?(?:\(\d{3}\)\s?|\d{3}[\s.-])\d{3}[\s.-]\d{4}"
            r"(?:\s*(?:x|ext\.?|extension)\s*\d{1,5})?(?![\d-])",
            re.IGNORECASE,
        ),
        0,
    ),
    (
        "ADDRESS",
        re.compile(
            r"\b\d{1,6}\s+(?:[NSEW]\.?\s+)?(?:[A-Za-z][a-z'-]*\s+){1,4}"
            rf"{_STREET_SUFFIX}\b(?!\.?\s+(?!(?:Apt|Apartment|Suite|Ste|Unit)\b)[A-Z][a-z])\.?"
            r"(?:,?\s+(?:apt|apartment|suite|ste|unit|#)\.?\s*[\w-]+)?"
            r"|\bp\.?\s?o\.?\s+box\s+\d+",
            re.IGNORECASE,
        ),
        0,
    ),
    (
        "LOCATION",
        re.compile(
            r"\b[A-Z][a-z]+(?:[ -][A-Z][a-z]+){0,2},\s*(?:" + "|".join(_STATES) + r")\b"
            r"(?:\s+\d{5}(?:-\d{4})?)?"
        ),
        0,
    ),
    ("LOCATION", re.compile(r"(?<=\s)(?:" + "|".join(_STATES) + r")\s+\d{5}(?:-\d{4})?\b"), 0),
    (
        "DATE",
        re.compile(
            r"\b(?:\d{1,2}[/-]\d{1,2}[/-](?:\d{4}|\d{2})|\d{4}-\d{2}-\d{2})\b"
            rf"|\b{_MONTH}\s+{_DAY}(?:,?\s+{_YEAR})?\b(?!\s*(?:mg|times|tablets|days|weeks))"
            rf"|\b(?:the\s+)?{_DAY}\s+(?:of\s+)?{_MONTH}(?:,?\s+{_YEAR})?\b"
            rf"|\b{_MONTH}\s+(?:of\s+)?\d{{4}}\b",
            re.IGNORECASE,
        ),
        0,
    ),
    (
        "ORGANIZATION",
        re.compile(
            rf"\b(?:(?:St\.?|Saint|Mount|Mt\.?)\s+)?(?:[A-Z][a-z'&-]+\s+){{1,4}}(?i:{_INSTITUTION})\b"
        ),
        0,
    ),
    (
        # Capitalised name + a capitalised head noun that says what kind of body it is
        # ("Brightline Logistics", "Harlan County EMS", "Oscar Health"); case-sensitive, so
        # "mental health" or "the store" are not organisations.
        "ORGANIZATION",
        re.compile(
            r"\b(?:[A-Z][a-z'&-]+[ \t]+|[A-Z]{2,5}[ \t]+){1,4}"
            r"(?:Bank|Credit Union|Center|Centre|Company|Co\.|Corporation|Corp\.|Inc\.?|LLC|"
            r"Foundation|Academy|Church|Supply|Works|"
            r"Services|Solutions|Logistics|Diner|Restaurant|Kitchen|Grill|Market|Stores?|"
            r"Authority|Transit|EMS|Ambulance|Health|Motors|Trucking|Manor|Electric|Energy|"
            r"Airlines|Railroad|Systems|Insurance|Pharmacy)\b"
        ),
        0,
    ),
    (
        # Form labels: "Employer: ...", "Insurance: ...", "Health plan: ...".
        "ORGANIZATION",
        re.compile(
            r"(?<=(?i:employer): )[A-Z][\w'&.-]*(?:[ ][A-Z&][\w'&.-]*){0,5}"
            r"|(?<=(?i:insurance): )[A-Z][\w'&.-]*(?:[ ][A-Z&][\w'&.-]*){0,5}"
            r"|(?<=(?i:health plan): )[A-Z][\w'&.-]*(?:[ ][A-Z&][\w'&.-]*){0,5}"
            r"|(?<=(?i:employer):\t)[A-Z][\w'&.-]*(?:[ ][A-Z&][\w'&.-]*){0,5}"
        ),
        0,
    ),
]
_DIGIT: Final = r"(?:zero|oh|one|two|three|four|five|six|seven|eight|nine)"
_SPOKEN_DIGITS_RE: Final = re.compile(rf"\b{_DIGIT}(?:[\s,-]+{_DIGIT}){{6,10}}\b", re.IGNORECASE)
_INTRO_RE: Final = re.compile(
    r"\b(?:my name is|my name's|name is|this is|call me|i am|i'm)\s+"
    r"([A-Za-z][a-z'-]+(?:\s+[A-Za-z][a-z'-]+){0,2})",
    re.IGNORECASE,
)
_AGE_RE: Final = re.compile(
    rf"\b(?P<n>{NUMBER_PATTERN})(?:[\s-]*(?:years?|yrs?|y/?o)(?:[\s-]*old)?|(?=[\s-]*(?:yo|y\.o\.)))",
    re.IGNORECASE,
)
_AGE_PREFIX_RE: Final = re.compile(
    rf"\b(?:age|aged)\s*:?\s*(?P<n>{NUMBER_PATTERN})\b", re.IGNORECASE
)
_TITLE_NAME_RE: Final = re.compile(
    r"\b(?:Dr|Mr|Mrs|Ms|Miss|Mx|Prof|Doctor|Nurse)\.?\s+((?:[A-Z][A-Za-z'-]+|[A-Z]\.)"
    r"(?:\s+(?:[A-Z][A-Za-z'-]+|[A-Z]\.))*)"
)
_LOWER_TITLE_RE: Final = re.compile(r"\b(?:dr|mr|mrs|ms|miss)\.?\s+([a-z][a-z'-]+)\b")
_GREETING_RE: Final = re.compile(
    r"\b(?:hi|hello|hey|thanks|thank you|bye|goodbye|morning|good morning|good afternoon|"
    r"good evening|nice to meet you|see you)\s*,?\s+([A-Za-z][a-z'-]+)\b",
    re.IGNORECASE,
)
_LABEL_NAME_RE: Final = re.compile(
    r"\b(?:patient(?: name)?|name|pt|guardian|emergency contact|spouse|contact)\s*:\s*"
    r"([A-Z][a-z'-]+(?:\s+[A-Z]\.)?(?:\s+[A-Z][A-Za-z'-]+){1,2})"
)


def pattern_hits(text: str) -> Iterator[tuple[int, int, PhiType]]:
    """Spans found by the regular-expression recognizers."""
    for phi_type, pattern, group in PATTERNS:
        for m in pattern.finditer(text):
            g = group if m.group(group) is not None else 0
            if m.start(g) < m.end(g):
                yield m.start(g), m.end(g), phi_type
    for m in _SPOKEN_DIGITS_RE.finditer(text):
        digits = len(re.findall(_DIGIT, m.group(), re.IGNORECASE))
        before = text[max(0, m.start() - 40) : m.start()].lower()
        if "social" in before or "ssn" in before:
            yield m.start(), m.end(), "SSN"
        elif "record" in before or "mrn" in before:
            yield m.start(), m.end(), "MRN"
        elif digits in (7, 10, 11):
            yield m.start(), m.end(), "PHONE"
        else:
            yield m.start(), m.end(), "ID"
    for pattern in (_AGE_RE, _AGE_PREFIX_RE):
        for m in pattern.finditer(text):
            value = parse_number(m.group("n"))
            if value is not None and 90 <= value < 130:
                start = m.start() if pattern is _AGE_RE else m.start("n")
                yield start, m.end(), "AGE_OVER_89"


def name_hits(text: str, is_common_word: Callable[[str], bool]) -> Iterator[tuple[int, int]]:
    """Names after titles, greetings and "Name:" labels; lower-case ASR text included."""
    for m in _TITLE_NAME_RE.finditer(text):
        yield m.start(1), m.end(1)
    for m in _LABEL_NAME_RE.finditer(text):
        yield m.start(1), m.end(1)
    for pattern in (_LOWER_TITLE_RE, _GREETING_RE):
        for m in pattern.finditer(text):
            if not is_common_word(m.group(1).lower()):
                yield m.start(1), m.end(1)
    for m in _INTRO_RE.finditer(text):
        # Keep the leading run of words that are not ordinary English ("i'm fine" is no name).
        end = m.start(1)
        for word in re.finditer(r"[A-Za-z][a-z'-]+", m.group(1)):
            if is_common_word(word.group().lower()):
                break
            end = m.start(1) + word.end()
        if end > m.start(1):
            yield m.start(1), end
