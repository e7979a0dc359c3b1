"""Draft a Client Health Report from a patient's records: every sentence cites its page spans.

Sentences quote what the pages print (values, units, reference ranges and dates as printed),
so the notes' faithfulness check can hold each one against its citations. The drafted report
is a `notes.Note` with template `client_health_report`: it is stored, edited, reviewed,
signed and delivered exactly like a visit note.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from datetime import date

from clinscribe.documents.core.pages import Citation
from clinscribe.notes.core.content import render_text
from clinscribe.notes.core.schemas import Evidence, FactKind, Note, NoteSection, NoteSentence
from clinscribe.reports.core.dates import find_printed
from clinscribe.reports.core.sources import LabEntry, LetterEntry, ReportSources

TEMPLATE = "client_health_report"
SECTIONS: tuple[tuple[str, str, FactKind], ...] = (
    ("summary", "Summary", "assessment"),
    ("problems", "Active problems", "pmh"),
    ("medications", "Medications", "medications"),
    ("allergies", "Allergies", "allergies"),
    ("labs", "Lab results", "results"),
    ("follow_up", "Items needing follow-up", "plan"),
)
_EMPTY = {
    "summary": "No problems or out-of-range results were found in the records reviewed.",
    "problems": "No problems were found in the records reviewed.",
    "medications": "No medications were found in the records reviewed.",
    "allergies": "No allergies were found in the records reviewed.",
    "labs": "No lab results were found in the records reviewed.",
    "follow_up": "Nothing was marked for follow-up in the records reviewed.",
}
_FOLLOW_UP = re.compile(
    r"\b(?:follow[- ]?up|recheck|re-check|repeat|return|review (?:in|at)|refer(?:ral|red)?|"
    r"schedule|due in)\b",
    re.IGNORECASE,
)
_STATUS_WORD = {"new": "New", "changed": "Changed", "stopped": "Stopped", "continued": "Continued"}
_MAX_LINE = 240
_LABEL = re.compile(r"^[A-Z][A-Za-z ]{1,30}:\s+")
# The end of a statement inside a line: a full stop or semicolon before the next word.
_CLAUSE = re.compile(r"(?<=[a-z0-9)%])[.;]\s+(?=[A-Za-z])")


class _Citer:
    """Numbers the cited pages (the `segment` of each Evidence) in first-cited order."""

    def __init__(self, sources: ReportSources) -> None:
        self.sources = sources
        self.order: dict[tuple[str, int], int] = {}

    def evidence(self, document_id: str, page: int, begin: int, end: int) -> Evidence:
        key = (document_id, page)
        segment = self.order.setdefault(key, len(self.order))
        return Evidence(segment=segment, begin=begin, end=end, document_id=document_id, page=page)

    def cite(self, c: Citation) -> Evidence:
        return self.evidence(c.document_id, c.page, c.begin, c.end)

    def line(self, c: Citation) -> tuple[str, Evidence] | None:
        """The whole printed line around a citation (a fact span is often just a name)."""
        page = self.sources.page(c.document_id, c.page)
        if page is None:
            return None
        text = page.text
        begin = text.rfind("\n", 0, max(c.begin, 0)) + 1
        end = text.find("\n", c.end)
        end = len(text) if end < 0 else end
        # Several statements on one line ("continue X. Stop Y."): keep the one cited.
        for cut in _CLAUSE.finditer(text, begin, end):
            if cut.end() <= c.begin:
                begin = cut.end()
            elif cut.start() >= c.end:
                end = cut.start() + 1  # keep the full stop or semicolon
                break
        if end - begin > _MAX_LINE:  # a paragraph without line breaks: keep the cited span
            begin, end = c.begin, c.end
        while begin < end and text[begin].isspace():
            begin += 1
        while end > begin and text[end - 1].isspace():
            end -= 1
        if end <= begin:
            return None
        return text[begin:end], self.evidence(c.document_id, c.page, begin, end)

    def printed_date(self, lab: LabEntry) -> tuple[str, Evidence] | None:
        """The lab's date as printed on its page, or elsewhere in its document."""
        if lab.date is None:
            return None
        c = lab.citation
        pages = sorted(
            (p for p in self.sources.pages if p.document_id == c.document_id),
            key=lambda p: (p.page != c.page, p.page),
        )
        for page in pages:
            span = find_printed(lab.date, page.text)
            if span:
                return page.text[span[0] : span[1]], self.evidence(c.document_id, page.page, *span)
        return None


def _sentence(text: str, kind: FactKind, evidence: Iterable[Evidence]) -> NoteSentence:
    unique: list[Evidence] = []
    for ev in evidence:
        if ev not in unique:
            unique.append(ev)
    return NoteSentence(text=text, kind=kind, evidence=unique)


def _sentence_text(line: str) -> str:
    line = re.sub(r"\s+", " ", line).strip().rstrip(";,")
    return line if line.endswith((".", ")", "!", "?")) else line + "."


def _value(lab: LabEntry) -> str:
    unit = f" {lab.unit}" if lab.unit else ""
    flag = f" ({lab.direction})" if lab.out_of_range else ""
    doubt = " (uncertain reading: check the source)" if lab.low_confidence else ""
    return f"{lab.value_printed}{unit}{flag}{doubt}"


def _lab_point(citer: _Citer, lab: LabEntry) -> tuple[str, list[Evidence]]:
    evidence = [citer.cite(lab.citation)]
    printed = citer.printed_date(lab)
    if printed:
        evidence.append(printed[1])
        return f"{_value(lab)} on {printed[0]}", evidence
    return _value(lab), evidence


def _trend(labs: list[LabEntry]) -> str:
    values = [lab.value for lab in labs]
    if len(labs) < 2 or values[0] is None or values[-1] is None:
        return ""
    if labs[0].unit != labs[-1].unit:
        return ""
    if values[-1] > values[0]:
        return ", rising"
    if values[-1] < values[0]:
        return ", falling"
    return ", unchanged"


def _by_analyte(labs: list[LabEntry]) -> list[list[LabEntry]]:
    groups: dict[str, list[LabEntry]] = defaultdict(list)
    for lab in labs:
        groups[lab.group].append(lab)
    ordered = [
        sorted(g, key=lambda lab: (lab.date or date.min, lab.citation.page))
        for g in groups.values()
    ]
    return sorted(ordered, key=lambda g: g[0].analyte.lower())


def _lab_sentences(citer: _Citer, labs: list[LabEntry]) -> list[NoteSentence]:
    out = []
    for group in _by_analyte(labs):
        points, evidence = [], []
        for lab in group:
            text, ev = _lab_point(citer, lab)
            points.append(text)
            evidence += ev
        latest = group[-1]
        ref = f"; reference {latest.ref_printed}" if latest.ref_printed else ""
        body = ", then ".join(points)
        out.append(_sentence(f"{latest.analyte}: {body}{_trend(group)}{ref}.", "results", evidence))
    return out


def _fact_sentences(citer: _Citer, facts: list[LetterEntry], kind: FactKind) -> list[NoteSentence]:
    out, seen = [], set()
    for fact in facts:
        found = citer.line(fact.citation)
        if found is None:
            continue
        line, ev = found
        text = _sentence_text(line)
        status = _STATUS_WORD.get(str(fact.details.get("status", "")).lower())
        if status and status.lower()[:4] not in text.lower():
            text = f"{status}: {text}"
        if text.lower() in seen:
            continue
        seen.add(text.lower())
        out.append(_sentence(text, kind, [ev]))
    return out


def _follow_up(citer: _Citer, sources: ReportSources, labs: list[LabEntry]) -> list[NoteSentence]:
    stated = [f for f in sources.facts if f.kind == "follow_up"]
    out = _fact_sentences(citer, stated, "plan")
    seen = {s.text.lower() for s in out}
    for page in sources.pages:
        if page.kind == "lab_report":
            continue  # a laboratory's footnotes are not a clinician's plan
        for match in re.finditer(r"[^\n]+", page.text):
            if _FOLLOW_UP.search(match.group()) and len(match.group()) <= _MAX_LINE:
                c = Citation(page.document_id, page.page, match.start(), match.end())
                found = citer.line(c)
                if found and _sentence_text(found[0]).lower() not in seen:
                    seen.add(_sentence_text(found[0]).lower())
                    out.append(_sentence(_sentence_text(found[0]), "plan", [found[1]]))
    for group in _by_analyte(labs):
        latest = group[-1]
        if latest.out_of_range or latest.low_confidence:
            text, ev = _lab_point(citer, latest)
            why = "is out of range" if latest.out_of_range else "needs checking against the page"
            out.append(_sentence(f"Latest {latest.analyte} {why}: {text}.", "plan", ev))
    return out


def _summary(
    problems: list[NoteSentence], labs: list[LabEntry], citer: _Citer
) -> list[NoteSentence]:
    out = []
    if problems:
        names = "; ".join(_LABEL.sub("", s.text).rstrip(".") for s in problems)
        out.append(
            _sentence(
                f"Problems on record: {names}.",
                "assessment",
                [e for s in problems for e in s.evidence],
            )
        )
    flagged = [lab for lab in labs if lab.out_of_range]
    if flagged:
        analytes = sorted({lab.analyte for lab in flagged}, key=str.lower)
        evidence = [citer.cite(lab.citation) for lab in flagged]
        listed = ", ".join(analytes)
        out.append(
            _sentence(f"Results outside the reference range: {listed}.", "assessment", evidence)
        )
    return out


def draft_report(sources: ReportSources) -> Note:
    """The report's sections, every sentence with its citations (flags are set by `check`)."""
    citer = _Citer(sources)
    facts = {
        kind: [f for f in sources.facts if f.kind == kind]
        for kind in ("problem", "medication", "allergy")
    }
    problems = _fact_sentences(citer, facts["problem"], "pmh")
    by_key = {
        "problems": problems,
        "medications": _fact_sentences(citer, facts["medication"], "medications"),
        "allergies": _fact_sentences(citer, facts["allergy"], "allergies"),
        "labs": _lab_sentences(citer, sources.labs),
        "follow_up": _follow_up(citer, sources, sources.labs),
    }
    by_key["summary"] = _summary(problems, sources.labs, citer)
    sections = []
    for key, title, _kind in SECTIONS:
        sentences = by_key[key]
        text = "\n".join(s.text for s in sentences) or _EMPTY.get(key, "")
        evidence = [e for s in sentences for e in s.evidence]
        sections.append(
            NoteSection(key=key, title=title, text=text, evidence=evidence, sentences=sentences)
        )
    return Note(template=TEMPLATE, sections=sections, text=render_text(sections))
