"""One call from extracted pages to everything structured in them (what the ingest job runs)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from clinscribe.documents.core.dates import day_first, find_dates
from clinscribe.documents.core.labs import LabResult, collection_date, parse_labs
from clinscribe.documents.core.letters import LetterFacts, parse_letter
from clinscribe.documents.core.pages import PageText

DocumentKind = Literal["lab_report", "clinic_letter", "discharge_summary", "lab_slip", "other"]


@dataclass(frozen=True)
class DocumentFacts:
    """The kind and date of a document, its lab results and (for letters) its clinical facts."""

    kind: DocumentKind
    date: date | None  # collection date of a lab report, letter or discharge date otherwise
    labs: list[LabResult] = field(default_factory=list)
    letter: LetterFacts | None = None


_DISCHARGE = re.compile(r"discharge summary|discharged|date of discharge|admitted", re.I)
_LETTER = re.compile(
    r"\bdear\b|sincerely|yours (faithfully|sincerely)|kind regards|clinic letter", re.I
)
_LETTER_DATE = re.compile(r"(?:discharged?|discharge date|date of discharge)\s*[:\-]?\s*", re.I)


def classify(pages: Sequence[PageText], labs: Sequence[LabResult]) -> DocumentKind:
    """What kind of document the pages are, from cue words and how many results they hold."""
    text = "\n".join(p.text for p in pages)
    if _DISCHARGE.search(text):
        return "discharge_summary"
    if _LETTER.search(text):
        return "clinic_letter"
    if len(labs) >= 3:
        photographed = len(pages) == 1 and pages[0].source == "ocr"
        return "lab_slip" if photographed and len(labs) <= 8 else "lab_report"
    return "other"


def _letter_date(pages: Sequence[PageText], kind: DocumentKind) -> date | None:
    dayfirst = day_first(p.text for p in pages)
    if kind == "discharge_summary":
        for page in pages:
            for m in _LETTER_DATE.finditer(page.text):
                found = next(
                    iter(find_dates(page.text[m.end() : m.end() + 30], dayfirst=dayfirst)), None
                )
                if found is not None and found.begin <= 2:
                    return found.value
    # A letter's own date is the first date printed that is not a date of birth.
    for page in pages:
        for found in find_dates(page.text, dayfirst=dayfirst):
            before = page.text[max(0, found.begin - 12) : found.begin].lower()
            if "dob" not in before and "birth" not in before:
                return found.value
    return None


def analyse_document(pages: Sequence[PageText], *, document_id: str = "") -> DocumentFacts:
    """Classify the document and extract its labs and letter facts, each citing its page span."""
    labs = parse_labs(pages, document_id=document_id)
    kind = classify(pages, labs)
    if kind in ("clinic_letter", "discharge_summary"):
        when = _letter_date(pages, kind)
        letter = parse_letter(pages, document_id=document_id, document_date=when)
        return DocumentFacts(kind=kind, date=when, labs=letter.labs, letter=letter)
    when = collection_date(pages, day_first(p.text for p in pages))
    return DocumentFacts(kind=kind, date=when, labs=labs)
