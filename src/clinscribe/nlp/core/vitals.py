"""Vital signs from dictated and spoken text, with UCUM units."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Final

from clinscribe.nlp.core.numbers import VALUE_PATTERN, as_number, parse_number
from clinscribe.nlp.core.schemas import Vital, VitalType

NUMBER_PATTERN: Final = VALUE_PATTERN  # one value at a time: "sixty four one twenty two"
_N: Final = rf"(?P<v>{NUMBER_PATTERN})"
# Up to four short words between the name and the value ("temp of", "was running at").
# A question answered in the next turn: "[doctor] and weight\n[patient] about one ninety five".
_TURN: Final = (
    r"(?:\s*[?.]?\s*\n\s*(?:\[\w+\]|\w+:)\s*(?:(?:about|around|like|um|uh|it's|i'm)\s+)*"
    # ... or after a short clause that ends in "it was" ("i checked this morning and it was").
    r"(?:(?:[a-z']+\s+){0,6}?(?:it was|it's|it read|i got|that was)\s+)?)"
)
_GAP: Final = (
    r"(?:'s)?(?:"
    + _TURN
    + r"|\s*[:=]?\s*|\s+(?:(?:is|was|of|at|about|around|today|now|reading|running|"
)
_GAP_END: Final = (
    r"were|been|has|had|came|back|currently|measured|on|your|her|his|the|a|room|air|goes|went|"
    r"go|up\s+to|down\s+to|to|as|high|low|this|morning|it|gets|here|there|still|tonight|"
    r"you're|you\s+are|he's|she's|i'm|reads|read|showing|shows|checks\s+in\s+at|are|up\s+at|"
    r"as\s+high\s+as|peaked\s+at|got\s+up\s+to)\s+){1,4})"
)
_FILLER: Final = _GAP + _GAP_END

_KEYWORDS: Final[dict[VitalType, str]] = {
    "heart_rate": r"heart\s*rate|pulse(?:\s*rate)?|hr|heartrate|p(?=\s*\d)|"
    r"heart(?:'s|\s+is|\s+was)?\s+(?:going|beating|racing|pumping)(?:\s+at)?",
    "respiratory_rate": r"respiratory\s*rate|resp(?:iratory)?\.?\s*rate|respirations|rr|resps?|"
    r"breathing\s*rate",
    "temperature": r"temperature|temp|t(?=\s*\d)|tmax|t\s?max|fever",
    "oxygen_saturation": r"oxygen\s*saturation|o2\s*sat(?:uration)?s?|sat(?:uration)?s?|"
    r"spo2|sp\s?o2|pulse\s*ox(?:imetry)?|satting",
    "weight": r"weight|weighs|weighing|wt",
    "height": r"height|ht",
    "bmi": r"bmi|body\s*mass\s*index",
    "glucose": r"(?:blood\s*|fingerstick\s*|finger\s*stick\s*|fasting\s*)?(?:glucose|sugars?)|"
    r"fingerstick|accu-?chek|bg",
}
_UNITS: Final[dict[VitalType, str]] = {
    "heart_rate": r"(?:beats\s*per\s*minute|bpm|beats\s*a\s*minute|/min)",
    "respiratory_rate": r"(?:breaths\s*per\s*minute|breaths\s*a\s*minute|/min)",
    "temperature": r"(?:°|degrees?|deg)?\s*(?:fahrenheit|celsius|centigrade|f|c)\b|degrees?",
    "oxygen_saturation": r"(?:%|percent)",
    "weight": r"(?:pounds?|lbs?|kilograms?|kilos?|kg)",
    "height": r"(?:centimeters?|cm|inches|inch|in\b|meters?|m\b)",
    "bmi": r"(?:kg/m2|kg/m\^2)",
    "glucose": r"(?:mg/dl|milligrams?\s*per\s*deciliter)",
}
_RANGES: Final[dict[VitalType, tuple[float, float]]] = {
    "heart_rate": (20, 250),
    "respiratory_rate": (4, 80),
    "temperature": (30, 113),
    "oxygen_saturation": (50, 100),
    "weight": (1, 1000),
    "height": (20, 250),
    "bmi": (10, 90),
    "glucose": (20, 1500),
}
_BP_RE: Final = re.compile(
    rf"\b(?:blood\s*pressure|bp|b\.p\.|pressure)(?:{_FILLER})?"
    rf"(?P<s>{NUMBER_PATTERN})\s*(?:/|over)\s*(?P<d>{NUMBER_PATTERN})(?:\s*(?:mm\s*hg|mmhg))?",
    re.IGNORECASE,
)
_BARE_BP_RE: Final = re.compile(
    r"\b(?P<s>\d{2,3})/(?P<d>\d{2,3})\s*(?:mm\s*hg|mmhg)", re.IGNORECASE
)
_FEET: Final = (
    rf"(?P<ft>{NUMBER_PATTERN})\s*(?:feet|foot|ft|')\s*(?:(?:and\s+)?(?P<inch>{NUMBER_PATTERN})"
    r"\s*(?:inches|inch|in\b|\"|'')?)?"
)
_HEIGHT_FT_RES: Final = (
    re.compile(rf"\b(?:height|ht)(?:{_FILLER})?{_FEET}", re.IGNORECASE),
    re.compile(rf"\b{_FEET}\s*tall\b", re.IGNORECASE),
)
_HEIGHT_TALL_RE: Final = re.compile(
    rf"\b{_N}\s*(?P<u>centimeters?|cm|inches)\s*tall\b", re.IGNORECASE
)
_OXYGEN_PERCENT_RE: Final = re.compile(
    rf"\b(?:oxygen|o2)(?:\s+(?:level|levels|saturation))?(?:{_FILLER})?{_N}\s*(?P<u>%|percent)",
    re.IGNORECASE,
)
_OXYGEN_BARE_RE: Final = re.compile(
    rf"\b(?:oxygen|o2)(?:\s+(?:level|levels|saturation))?(?:{_FILLER})?{_N}(?![\d/]|\s*(?:liters|l\b))",
    re.IGNORECASE,
)
_BREATHING_RE: Final = re.compile(
    rf"\bbreathing\s+(?:(?:at|about|around|like)\s+)?{_N}\s+(?:times|breaths)\s+(?:a|per|each)"
    r"\s+minute",
    re.IGNORECASE,
)
_SPOKEN_BP_RE: Final = re.compile(
    rf"(?<![\w/])(?P<s>{NUMBER_PATTERN})\s+over\s+(?P<d>{NUMBER_PATTERN})(?![\w/])", re.IGNORECASE
)
_BARE_WEIGHT_RE: Final = re.compile(
    rf"(?<!lost\s)(?<!gained\s)(?<!dropped\s)(?<!down\s)(?<!up\s)(?<!on\s)(?<!about\s)"
    rf"\b{_N}\s*(?P<u>pounds|lbs|kilograms|kilos|kg)\b(?!\s+(?:in|over|since|this|last|a\b))",
    re.IGNORECASE,
)
_FEET_ONLY_RE: Final = re.compile(
    rf"\b(?P<ft>four|five|six|seven|[4-7])\s*(?:feet|foot|ft|')\s*(?:and\s+)?"
    rf"(?P<inch>{NUMBER_PATTERN})(?:\s*(?:inches|inch|in\b|\"|''))?",
    re.IGNORECASE,
)
_FEET_BARE_RE: Final = re.compile(
    r"\b(?:you're|you are|i'm|i am|he's|she's|he is|she is)\s+(?P<ft>four|five|six)\s+"
    r"(?P<inch>one|two|three|four|five|six|seven|eight|nine|ten|eleven)\b"
    r"(?!\s*(?:years|months|weeks|days|percent|pounds|hours|minutes|o'clock|times|and a half))",
    re.IGNORECASE,
)
_LEFT_NUMBER: Final = re.compile(rf"(?<![\w/]){NUMBER_PATTERN}\s*$", re.IGNORECASE)
_OVER: Final = re.compile(r"\sover\s", re.IGNORECASE)
_WEIGHT_UNIT: Final = re.compile(r"\b(?:pounds|lbs|kilograms|kilos|kg)\b", re.IGNORECASE)


def _anchored(pattern: re.Pattern[str], anchor: re.Pattern[str], text: str) -> list[re.Match[str]]:
    """Matches of a number-first pattern, tried only just before an anchor word.

    A pattern that starts with a spoken number is slow to scan for everywhere; the anchor
    ("over", "pounds") is rare, so look for it first and read the number to its left.
    """
    found: list[re.Match[str]] = []
    for a in anchor.finditer(text):
        left = _LEFT_NUMBER.search(text, max(0, a.start() - 40), a.start())
        if left is not None:
            m = pattern.match(text, left.start())
            if m is not None and (not found or m.start() >= found[-1].end()):
                found.append(m)
    return found


_VITAL_RES: Final = {
    kind: re.compile(
        rf"\b(?:{kw})(?:{_FILLER})?{_N}(?:\s*(?P<u>{_UNITS[kind]}))?(?![\d/])",
        re.IGNORECASE,
    )
    for kind, kw in _KEYWORDS.items()
}


def _unit(kind: VitalType, unit_text: str, value: float) -> str | None:
    u = unit_text.lower().replace(" ", "")
    match kind:
        case "blood_pressure":
            return "mmHg"
        case "heart_rate" | "respiratory_rate":
            return "/min"
        case "temperature":
            if "c" in u.replace("degrees", "").replace("deg", "") and "f" not in u:
                return "Cel"
            if "f" in u.replace("degrees", "").replace("deg", ""):
                return "[degF]"
            return "[degF]" if value >= 50 else "Cel"
        case "oxygen_saturation":
            return "%"
        case "weight":
            return "kg" if u.startswith("k") else "[lb_av]"
        case "height":
            if u.startswith("c"):
                return "cm"
            if u.startswith("m"):
                return "m"
            return "[in_i]" if value < 100 else "cm"
        case "bmi":
            return "kg/m2"
        case "glucose":
            return "mg/dL"
    return None


def find_vitals(text: str) -> list[Vital]:
    """All vital signs in text, ordered by position, without overlaps."""
    found: list[Vital] = []
    taken: list[tuple[int, int]] = []

    def free(b: int, e: int) -> bool:
        return all(e <= tb or b >= te for tb, te in taken)

    bp_matches = [
        *_BP_RE.finditer(text),
        *_BARE_BP_RE.finditer(text),
        *_anchored(_SPOKEN_BP_RE, _OVER, text),
    ]
    if True:
        for m in bp_matches:
            sys_v, dia_v = parse_number(m.group("s")), parse_number(m.group("d"))
            if sys_v is None or dia_v is None or not free(m.start(), m.end()):
                continue
            if not (50 <= sys_v <= 300 and 20 <= dia_v <= 200 and sys_v > dia_v):
                continue
            found.append(
                Vital(
                    type="blood_pressure",
                    systolic=int(sys_v),
                    diastolic=int(dia_v),
                    unit="mmHg",
                    begin=m.start(),
                    end=m.end(),
                )
            )
            taken.append((m.start(), m.end()))
    height_res = (*_HEIGHT_FT_RES, _FEET_ONLY_RE, _FEET_BARE_RE)
    for m in (m for p in height_res for m in p.finditer(text)):
        feet = parse_number(m.group("ft"))
        inches = parse_number(m.group("inch")) if m.group("inch") else 0.0
        if feet is None or inches is None or not (2 <= feet <= 8 and inches < 12):
            continue
        if not free(m.start("ft"), m.end()):
            continue
        start = m.start() if re.match(r"(?i)height|ht", m.group()) else m.start("ft")
        found.append(
            Vital(
                type="height",
                value=as_number(feet * 12 + inches),
                unit="[in_i]",
                begin=start,
                end=m.end(),
            )
        )
        taken.append((start, m.end()))
    extra: list[tuple[VitalType, re.Pattern[str]]] = [
        ("oxygen_saturation", _OXYGEN_PERCENT_RE),
        ("height", _HEIGHT_TALL_RE),
        ("respiratory_rate", _BREATHING_RE),
    ]
    late: list[tuple[VitalType, re.Pattern[str]]] = [
        ("oxygen_saturation", _OXYGEN_BARE_RE),
        ("weight", _BARE_WEIGHT_RE),
    ]
    lowered = text.lower()
    for kind, pattern in [*extra, *_VITAL_RES.items(), *late]:
        if pattern is _HEIGHT_TALL_RE and "tall" not in lowered:
            continue
        if pattern is _BARE_WEIGHT_RE:
            matches = _anchored(pattern, _WEIGHT_UNIT, text)
        else:
            matches = list(pattern.finditer(text))
        for m in matches:
            value = parse_number(m.group("v"))
            if value is None or not free(m.start(), m.end()):
                continue
            unit_text = (m.groupdict().get("u") or "") if "u" in pattern.groupindex else ""
            unit = _unit(kind, unit_text, value)
            low, high = _RANGES[kind]
            if unit is None or not low <= value <= high:
                continue
            if kind == "temperature" and unit == "Cel" and not 30 <= value <= 45:
                continue
            end = m.end() if unit_text or pattern is _BREATHING_RE else m.end("v")
            found.append(
                Vital(type=kind, value=as_number(value), unit=unit, begin=m.start(), end=end)
            )
            taken.append((m.start(), end))
    found.extend(_height_weight_pairs(text, found, free))
    return sorted(found, key=lambda v: v.begin)


# Dictated habitus reads height then weight with no keyword ("six foot two one eighty"), or
# weight then height ("weight two eighty seven and five ten").
_AFTER_HEIGHT_RE: Final = re.compile(rf"[\s,]+(?:and\s+)?{_N}(?![\w/]|\s+(?:over|years|percent))")
_AFTER_WEIGHT_RE: Final = re.compile(
    r"[\s,]+(?:and\s+)?(?P<ft>four|five|six)\s+"
    r"(?P<inch>one|two|three|four|five|six|seven|eight|nine|ten|eleven)\b(?!\s+(?:over|years))"
)


def _height_weight_pairs(
    text: str, found: list[Vital], free: Callable[[int, int], bool]
) -> list[Vital]:
    pairs: list[Vital] = []
    for v in found:
        if v.type == "height" and v.unit == "[in_i]":
            m = _AFTER_HEIGHT_RE.match(text, v.end)
            value = parse_number(m.group("v")) if m else None
            if m and value is not None and 80 <= value <= 500 and free(m.start("v"), m.end()):
                pairs.append(
                    Vital(
                        type="weight",
                        value=as_number(value),
                        unit="[lb_av]",
                        begin=m.start("v"),
                        end=m.end(),
                    )
                )
        elif v.type == "weight":
            m = _AFTER_WEIGHT_RE.match(text, v.end)
            feet = parse_number(m.group("ft")) if m else None
            inches = parse_number(m.group("inch")) if m else None
            if m and feet and inches and free(m.start("ft"), m.end()):
                pairs.append(
                    Vital(
                        type="height",
                        value=as_number(feet * 12 + inches),
                        unit="[in_i]",
                        begin=m.start("ft"),
                        end=m.end(),
                    )
                )
    return pairs
