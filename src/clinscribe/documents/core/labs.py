"""Lab tables -> `LabResult`: analyte, value, unit, reference range, flag, date, citation.

The parser is anchored on values, not on any one layout: every number that stands alone on a
line is a candidate, the words just before it must name a known analyte (flags, colons and a
few filler words may sit between), and what follows it on the line - in any order - is read as
flag, reference range, unit and date. That covers "NAME VALUE FLAG RANGE UNIT", "NAME FLAG
VALUE RANGE UNIT", "Name: value unit (range)", and values quoted in a letter ("Potassium 6.1
mmol/L (08-MAR-2025)"). A number read by OCR with low confidence is kept but flagged; a number
OCR could not read as digits is left out - never guessed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

from clinscribe.documents.core.dates import day_first, find_dates
from clinscribe.documents.core.loinc import Analyte, match_analyte, normalise_name
from clinscribe.documents.core.pages import Citation, PageText
from clinscribe.documents.core.units import to_ucum

Flag = Literal["H", "L"]


@dataclass(frozen=True)
class LabResult:
    """One printed lab result, normalised, and the span of the page it was read from."""

    analyte: str  # as printed ("HAEMOGLOBIN", "T4, FREE")
    canonical: str | None  # from the curated LOINC table; None when the name is unknown
    loinc: str | None
    value: float
    value_as_printed: str
    unit: str | None  # as printed ("x10E9/L", "mg/dL (calc)")
    ucum: str | None  # UCUM code of the unit ("10*9/L", "mg/dL")
    ref_low: float | None
    ref_high: float | None
    ref_as_printed: str | None
    flag: Flag | None  # H/L as printed, else derived from the reference range
    collected: date | None  # the specimen date the document gives for this result
    citation: Citation
    # True when any character of the value or unit came from a low-confidence OCR word, or the
    # printed flag contradicts the range: such a number must be reviewed before it is trusted.
    low_confidence: bool = False
    section: str | None = None  # the panel heading it is printed under
    comparator: str | None = None  # "<" or ">" for values printed as "<0.05"
    analyte_key: str | None = None  # key of the curated table (for unit conversion)


_TOKEN = re.compile(r"[^\s|]+")
_NUM = r"\d+(?:[.,]\d+)?"
_VALUE = re.compile(rf"^(?P<cmp>[<>≤≥])?(?P<num>{_NUM})(?P<suffix>[^\d\s]*)$")
_FLAGS = {"h": "H", "l": "L", "hi": "H", "lo": "L", "high": "H", "low": "L", "hh": "H",
          "ll": "L", "*h": "H", "*l": "L", "h*": "H", "l*": "L", "(h)": "H", "(l)": "L",
          "↑": "H", "↓": "L", "[h]": "H", "[l]": "L", "!h": "H", "!l": "L", "a": None, "*": None,
          "c": None, "!": None, "abn": None, "abnormal": None}  # fmt: skip
_FILLER = {":", "=", "-", "–", "was", "is", "of", "at", "level", "now", "result", "today",  # noqa: RUF001
           "measured", "value", "a", "an", "the", "with", "on"}  # fmt: skip
_THRESHOLD_WORDS = {"above", "below", "over", "under", "than", "exceeds", "if", "target",
                    "goal", "desirable", "optimal", "deficiency", "insufficiency", "ideally",
                    "aim", "keep", "range", "ranges", "ref", "reference"}  # fmt: skip
_RANGE = re.compile(
    rf"(?P<lo>{_NUM})\s*(?:-|–|—|to)\s*(?P<hi>{_NUM})"  # noqa: RUF001
    rf"|(?:<=|≤|=<|<|less than|up to)\s*(?P<lt>{_NUM})"
    rf"|(?:>=|≥|=>|>\s*or\s*=|>|greater than)\s*(?P<gt>{_NUM})",
    re.I,
)
_BULLET = re.compile(r"^[\s*•·¢©®\-–—>.,;:'\"_~]+")  # noqa: RUF001


def _number(text: str) -> float:
    if re.fullmatch(r"\d{1,3},\d{3}", text):
        return float(text.replace(",", ""))
    return float(text.replace(",", "."))


@dataclass
class _Context:
    document_id: str
    collected: date | None
    dayfirst: bool | None
    section: str | None = None


_PANEL_WORDS = re.compile(
    r"\b(panel|profile|chemistry|biochemistry|ha?ematology|lipids?|function|studies|markers|"
    r"electrolytes|renal|hepatic|liver|thyroid|diabetes|cardiac|iron|vitamins?|urinalysis|"
    r"coagulation|count|differential|endocrine|inflammatory)\b",
    re.I,
)
_RESULTS_HEADING = re.compile(r"\b(results?|labs?|laboratory|bloods|investigations|tests)\b", re.I)


def _is_header(line: str) -> bool:
    words = line.split()
    letters = [c for c in line if c.isalpha()]
    if not words or len(words) > 8 or len(letters) < 3 or ":" in line:
        return False
    if any(_VALUE.match(w) for w in words):
        return False
    upper = sum(c.isupper() for c in letters) >= 0.8 * len(letters)
    return upper or bool(_PANEL_WORDS.search(line))


def _resolve_name(tokens: list[str]) -> tuple[Analyte, int, int, str | None] | None:
    """The analyte named by the end of `tokens`: (analyte, name start, name end, flag)."""
    flag: str | None = None
    end = len(tokens)
    while end > 0 and (tokens[end - 1].lower() in _FLAGS or tokens[end - 1].lower() in _FILLER):
        if tokens[end - 1].lower() in _FLAGS and flag is None:
            flag = _FLAGS[tokens[end - 1].lower()]
        end -= 1
    if end == 0 or normalise_name(tokens[end - 1]) in _THRESHOLD_WORDS:
        return None
    for start in range(max(0, end - 7), end):
        candidate = " ".join(tokens[start:end])
        found = match_analyte(candidate)
        if found is None:
            continue
        analyte, words = found
        last = normalise_name(tokens[end - 1]).split()
        first = normalise_name(tokens[start]).split()
        # The name must end (and start) on its own words, not on prose around it.
        if last and first and last[-1] in words and first[0] in words:
            return analyte, start, end, flag
    return None


def _parse_tail(tail: str) -> tuple[tuple[float | None, float | None, str] | None, str | None]:
    match = _RANGE.search(tail)
    if match is None:
        return None, None
    if match["lo"] is not None:
        return (_number(match["lo"]), _number(match["hi"]), match.group()), None
    if match["lt"] is not None:
        return (None, _number(match["lt"]), match.group()), None
    return (_number(match["gt"]), None, match.group()), None


def _find_unit(tokens: list[tuple[str, int, int]]) -> tuple[str, str, int, int] | None:
    for i in range(len(tokens)):
        for width in (4, 3, 2, 1):
            window = tokens[i : i + width]
            if len(window) < width:
                continue
            printed = " ".join(t for t, _b, _e in window)
            ucum = to_ucum(printed)
            if ucum is not None:
                return printed, ucum, window[0][1], window[-1][2]
    return None


def _segment_results(page: PageText, begin: int, end: int, ctx: _Context) -> list[LabResult]:
    text = page.text[begin:end]
    tokens = [(m.group(), begin + m.start(), begin + m.end()) for m in _TOKEN.finditer(text)]
    words = [t for t, _b, _e in tokens]
    results: list[LabResult] = []
    for i, (token, tb, te) in enumerate(tokens):
        m = _VALUE.match(token.rstrip(",;"))
        if m is None or i == 0:
            continue
        suffix = m["suffix"]
        suffix_flag: str | None = None
        suffix_unit: str | None = None
        if suffix:
            if suffix.lower() in _FLAGS:
                suffix_flag = _FLAGS[suffix.lower()]
            elif to_ucum(suffix) is not None:
                suffix_unit = suffix
            else:
                continue
        named = _resolve_name(words[:i])
        if named is None:
            continue
        analyte, start, name_end, pre_flag = named
        if m["cmp"] and words[i - 1].lower() in {"is", "of", "than"}:
            continue
        tail_tokens = tokens[i + 1 :]
        # A following analyte name + value starts the next result on the same line.
        for k in range(1, len(tail_tokens)):
            if _VALUE.match(tail_tokens[k][0]):
                probe = _resolve_name([t for t, _b, _e in tail_tokens[:k]])
                if probe is not None:
                    tail_tokens = tail_tokens[: probe[1]]
                    break
        tail = page.text[te : tail_tokens[-1][2]] if tail_tokens else ""
        ref, _ = _parse_tail(tail)
        unit_found = (suffix_unit, to_ucum(suffix_unit), tb, te) if suffix_unit else None
        if unit_found is None:
            unit_found = _find_unit(tail_tokens)
        if unit_found is None and ref is None:
            continue  # a bare number after a name ("ALT 8 weeks") is not a result
        flag = pre_flag or suffix_flag
        for t, _b, _e in tail_tokens:
            if t.lower() in _FLAGS and _FLAGS[t.lower()] and flag is None:
                flag = _FLAGS[t.lower()]
        value = _number(m["num"])
        low, high = (ref[0], ref[1]) if ref else (None, None)
        derived: str | None = None
        if high is not None and value > high:
            derived = "H"
        elif low is not None and value < low:
            derived = "L"
        contradiction = flag is not None and ref is not None and derived != flag
        ucum = unit_found[1] if unit_found else None
        span_end = max([te] + [e for _t, _b, e in tail_tokens]) if tail_tokens else te
        uncertain = page.is_uncertain(tb, te) or (
            unit_found is not None and page.is_uncertain(unit_found[2], unit_found[3])
        )
        dates = list(find_dates(tail, dayfirst=ctx.dayfirst))
        results.append(
            LabResult(
                analyte=" ".join(words[start:name_end]).rstrip(":="),
                canonical=analyte.canonical,
                loinc=analyte.code_for(ucum),
                value=value,
                value_as_printed=m["num"],
                unit=unit_found[0] if unit_found else None,
                ucum=ucum,
                ref_low=low,
                ref_high=high,
                ref_as_printed=ref[2] if ref else None,
                flag=flag or derived,  # type: ignore[arg-type]
                collected=dates[0].value if dates else ctx.collected,
                citation=Citation(ctx.document_id, page.number, tokens[start][1], span_end),
                low_confidence=uncertain or contradiction,
                section=ctx.section,
                comparator=m["cmp"] and {"≤": "<", "≥": ">"}.get(m["cmp"], m["cmp"]),
                analyte_key=analyte.key,
            )
        )
    return results


_COLLECTED = re.compile(
    r"\b(?:collected|collection(?:\s+date)?|date\s+collected|coll|specimen\s+(?:collected|date|taken)|"
    r"sample\s+(?:date|collected|taken)|drawn|date\s+drawn|date\s+of\s+collection)\b\s*[:.\-]?\s*",
    re.I,
)


def collection_date(pages: Sequence[PageText], dayfirst: bool | None = None) -> date | None:
    """The specimen collection date a report prints (its first labelled one)."""
    for page in pages:
        for m in _COLLECTED.finditer(page.text):
            after = page.text[m.end() : m.end() + 40]
            found = next(iter(find_dates(after, dayfirst=dayfirst)), None)
            if found is not None and found.begin <= 3:
                return found.value
    return None


def parse_labs(
    pages: Sequence[PageText], *, document_id: str = "", document_date: date | None = None
) -> list[LabResult]:
    """Every lab result printed in the pages (tables, slips, or values quoted in a letter)."""
    dayfirst = day_first(p.text for p in pages)
    collected = collection_date(pages, dayfirst) or document_date
    ctx = _Context(document_id, collected, dayfirst)
    results: list[LabResult] = []
    for page in pages:
        offset = 0
        for line in page.text.split("\n"):
            line_begin = offset
            offset += len(line) + 1
            bullet = _BULLET.match(line)
            start = line_begin + (bullet.end() if bullet else 0)
            if _is_header(line.strip()):
                ctx.section = line.strip()
                continue
            heading = _RESULTS_HEADING.search(line)
            if heading:
                # "Laboratory results (06/17/2025)": the date of the values listed under it.
                found = list(find_dates(line, dayfirst=dayfirst))
                if found and not any(_VALUE.match(w) for w in line.split()):
                    ctx.collected = found[0].value
                    continue
            # "TSH 3.02 mIU/L; free T4 1.21 ng/dL": a semicolon separates results.
            seg_begin = start
            for piece in re.split(r"(;)", page.text[start : line_begin + len(line)]):
                if piece != ";":
                    results.extend(_segment_results(page, seg_begin, seg_begin + len(piece), ctx))
                seg_begin += len(piece)
    return results
