"""A small synthetic patient (two lab reports and a letter) written for these tests."""

from __future__ import annotations

from datetime import date

from clinscribe.documents.core.pages import Citation
from clinscribe.reports.core import LabEntry, LetterEntry, ReportSources, SourcePage

LAB_1 = """NORTHFIELD COMMUNITY LABORATORY
Collected: 12 Jan 2025
ANALYTE            RESULT  FLAG  UNITS    REF
Sodium             139           mmol/L   135-145
Potassium          5.8     H     mmol/L   3.5-5.1
Creatinine         142     H     umol/L   45-90
eGFR               38      L     mL/min   >60
"""
LAB_2 = """NORTHFIELD COMMUNITY LABORATORY
Collected: 20 Apr 2025
ANALYTE            RESULT  FLAG  UNITS    REF
Sodium             137           mmol/L   135-145
Potassium          4.9           mmol/L   3.5-5.1
Creatinine         155     H     umol/L   45-90
Haemoglobin        98      L     g/L      115-160
"""
LETTER = """Dear Dr Halvorsen,

I saw Mr Testpatient in the renal clinic on 28 April 2025.

Diagnoses: chronic kidney disease stage 3b; type 2 diabetes mellitus.

Medications: continue ramipril 5 mg once daily. Stop naproxen 500 mg twice daily.
Start sodium bicarbonate 500 mg three times daily.

Allergies: penicillin (rash).

Plan: repeat renal function and potassium in 4 weeks.
"""


def _cite(doc: str, page_text: str, needle: str, page: int = 1) -> Citation:
    begin = page_text.index(needle)
    return Citation(doc, page, begin, begin + len(needle))


def _lab(doc: str, text: str, row: str, when: date, **kw: object) -> LabEntry:
    line = next(line for line in text.splitlines() if line.startswith(row))
    parts = line.split()
    return LabEntry(
        analyte=row,
        value_printed=parts[1],
        value=float(parts[1]),
        unit=kw.pop("unit", parts[-2]),  # type: ignore[arg-type]
        ref_printed=parts[-1],
        citation=_cite(doc, text, line),
        date=when,
        **kw,  # type: ignore[arg-type]
    )


def sources() -> ReportSources:
    d1, d2 = date(2025, 1, 12), date(2025, 4, 20)
    labs = [
        _lab("lab-1", LAB_1, "Sodium", d1, ref_low=135, ref_high=145),
        _lab("lab-1", LAB_1, "Potassium", d1, flag="H", ref_low=3.5, ref_high=5.1),
        _lab("lab-1", LAB_1, "Creatinine", d1, flag="H", ref_low=45, ref_high=90),
        _lab("lab-1", LAB_1, "eGFR", d1, flag="L", ref_low=60),
        _lab("lab-2", LAB_2, "Sodium", d2, ref_low=135, ref_high=145),
        _lab("lab-2", LAB_2, "Potassium", d2, ref_low=3.5, ref_high=5.1),
        _lab("lab-2", LAB_2, "Creatinine", d2, flag="H", ref_low=45, ref_high=90),
        _lab("lab-2", LAB_2, "Haemoglobin", d2, ref_low=115, ref_high=160),  # unflagged but low
    ]
    facts = [
        LetterEntry(
            "problem",
            "chronic kidney disease stage 3b",
            _cite("letter", LETTER, "chronic kidney disease stage 3b"),
        ),
        LetterEntry(
            "medication", "ramipril", _cite("letter", LETTER, "ramipril"), {"status": "continued"}
        ),
        LetterEntry(
            "medication", "naproxen", _cite("letter", LETTER, "naproxen"), {"status": "stopped"}
        ),
        LetterEntry("allergy", "penicillin", _cite("letter", LETTER, "penicillin")),
    ]
    pages = [
        SourcePage("lab-1", 1, LAB_1, "lab_report", d1),
        SourcePage("lab-2", 1, LAB_2, "lab_report", d2),
        SourcePage("letter", 1, LETTER, "letter", date(2025, 4, 28)),
    ]
    return ReportSources(pages=pages, labs=labs, facts=facts)
