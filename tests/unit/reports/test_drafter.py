from __future__ import annotations

import re

import pytest

from clinscribe.notes.core.schemas import Note
from clinscribe.reports.core import check, draft_report, find_printed, renderings
from tests.unit.reports.records import sources


@pytest.fixture(scope="module")
def drafted() -> Note:
    s = sources()
    return check(draft_report(s), s)


def _sentences(note: Note, key: str) -> list[str]:
    section = next(s for s in note.sections if s.key == key)
    return [s.text for s in section.sentences]


def test_every_sentence_is_cited_and_faithful(drafted: Note) -> None:
    s = sources()
    assert drafted.template == "client_health_report"
    assert [sec.key for sec in drafted.sections] == [
        "summary",
        "problems",
        "medications",
        "allergies",
        "labs",
        "follow_up",
    ]
    assert drafted.faithfulness.sentences >= 12
    assert drafted.faithfulness.share == 1.0
    for section in drafted.sections:
        for sentence in section.sentences:
            assert sentence.evidence, sentence.text
            for ev in sentence.evidence:
                page = s.page(ev.document_id or "", ev.page or 0)
                assert page is not None and 0 <= ev.begin < ev.end <= len(page.text)


def test_trends_carry_dates_as_printed_in_date_order(drafted: Note) -> None:
    (creatinine,) = [t for t in _sentences(drafted, "labs") if t.startswith("Creatinine")]
    assert creatinine.index("142 umol/L (high) on 12 Jan 2025") < creatinine.index(
        "155 umol/L (high) on 20 Apr 2025"
    )
    assert "rising" in creatinine and "45-90" in creatinine


def test_every_out_of_range_result_appears(drafted: Note) -> None:
    s = sources()
    out = [lab for lab in s.labs if lab.out_of_range]
    # Haemoglobin 98 is not flagged by the laboratory but is below its printed range.
    assert {lab.analyte for lab in out} == {"Potassium", "Creatinine", "eGFR", "Haemoglobin"}
    labs_text = "\n".join(_sentences(drafted, "labs"))
    for lab in out:
        assert re.search(rf"{lab.value_printed} \S+ \((high|low)\)", labs_text), lab
    summary = " ".join(_sentences(drafted, "summary"))
    assert all(lab.analyte in summary for lab in out)


def test_letter_facts_are_quoted_one_statement_each(drafted: Note) -> None:
    assert _sentences(drafted, "medications") == [
        "Medications: continue ramipril 5 mg once daily.",
        "Stop naproxen 500 mg twice daily.",
    ]
    assert _sentences(drafted, "allergies") == ["Allergies: penicillin (rash)."]
    follow = _sentences(drafted, "follow_up")
    assert "Plan: repeat renal function and potassium in 4 weeks." in follow
    assert any(t.startswith("Latest Creatinine is out of range") for t in follow)
    assert not any("Potassium" in t and t.startswith("Latest") for t in follow)  # normal now


def test_an_altered_sentence_is_flagged() -> None:
    s = sources()
    note = draft_report(s)
    meds = next(sec for sec in note.sections if sec.key == "medications")
    meds.sentences[0].text = "Medications: continue ramipril 10 mg once daily."
    meds.sentences[1].text = "Stop ibuprofen 500 mg twice daily."
    labs = next(sec for sec in note.sections if sec.key == "labs")
    labs.sentences[0].text = labs.sentences[0].text.replace("155", "165")
    checked = check(note, s)
    assert meds.sentences[0].flags == ["number:10"]
    assert any(f.startswith("entity:") for f in meds.sentences[1].flags)
    assert "number:165" in labs.sentences[0].flags
    assert checked.faithfulness.supported == checked.faithfulness.sentences - 3


def test_no_records_gives_empty_sections_not_errors() -> None:
    s = sources()
    s.labs, s.facts, s.pages = [], [], []
    note = check(draft_report(s), s)
    assert note.faithfulness.sentences == 0
    assert "No lab results were found" in note.text


def test_printed_dates_are_found_in_common_forms() -> None:
    from datetime import date

    d = date(2025, 3, 4)
    assert "Mar 04, 2025" in renderings(d) and "04/03/2025" in renderings(d)
    text = "Collected: Mar 04, 2025 08:10 / DOB 11/05/1974"
    span = find_printed(d, text)
    assert span is not None and text[span[0] : span[1]] == "Mar 04, 2025"
    assert find_printed(date(2025, 3, 5), text) is None
    assert find_printed(date(2025, 1, 2), "ref 11/02/20251") is None
