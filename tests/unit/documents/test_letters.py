"""Letters and discharge summaries: medications with status, problems, allergies, follow-up."""

from __future__ import annotations

from datetime import date

from clinscribe.documents.core.extract import text_page
from clinscribe.documents.core.facts import analyse_document
from clinscribe.documents.core.letters import LetterFacts, parse_letter

LETTER = """Riverside Cardiology Clinic
12 August 2025
Dear Dr Ashby,
I saw Mr Quill today for review of his heart failure.
Problem list
1. Heart failure with reduced ejection fraction
2. Atrial fibrillation
3. Gout - resolved
Current medications
- Bisoprolol 5 mg once daily
- Apixaban 5 mg twice daily
- Salbutamol inhaler 100 mcg, 2 puffs every 4-6 hours as needed
- Furosemide 80 mg once daily - INCREASED (was 40 mg once daily)
Changes today
- Start dapagliflozin 10 mg once daily.
- Stop spironolactone 25 mg once daily (hyperkalaemia).
- Vitamin D3: reduce from 50,000 IU once weekly to 1,000 IU once daily.
Results (05/08/2025)
- Potassium 5.8 mmol/L
- LDL cholesterol 2.1 mmol/L
Allergies: Penicillin (rash); Codeine - nausea
Plan
Repeat renal function in one week. Review in clinic on 30 September 2025.
Yours sincerely,
Dr Imogen Fairweather
"""


def _letter() -> LetterFacts:
    return parse_letter([text_page(1, LETTER, "text_layer")], document_id="letter-1")


def test_medications_carry_dose_frequency_route_and_status() -> None:
    meds = {m.name: m for m in _letter().medications}
    assert set(meds) == {
        "bisoprolol",
        "apixaban",
        "salbutamol",
        "furosemide",
        "dapagliflozin",
        "spironolactone",
        "vitamin d3",
    }
    assert (meds["bisoprolol"].dose, meds["bisoprolol"].frequency) == ("5 mg", "once daily")
    assert meds["bisoprolol"].status == "continued" and meds["bisoprolol"].route == "oral"
    assert meds["dapagliflozin"].status == "new"
    inhaler = meds["salbutamol"]
    assert (inhaler.dose, inhaler.frequency, inhaler.route) == (
        "100 mcg, 2 puffs",
        "every 4-6 hours as needed",
        "inhaled",
    )
    assert meds["spironolactone"].status == "stopped"
    assert meds["spironolactone"].reason == "hyperkalaemia"
    furosemide = meds["furosemide"]
    assert (furosemide.status, furosemide.dose, furosemide.previous_dose) == (
        "changed",
        "80 mg",
        "40 mg",
    )
    vitd = meds["vitamin d3"]
    assert (vitd.status, vitd.dose, vitd.previous_dose, vitd.frequency) == (
        "changed",
        "1,000 IU",
        "50,000 IU",
        "once daily",
    )


def test_each_fact_cites_its_line() -> None:
    facts = _letter()
    for med in facts.medications:
        cited = LETTER[med.citation.begin : med.citation.end]
        assert med.name.split()[0] in cited.lower()
        assert med.citation.document_id == "letter-1"


def test_problems_allergies_and_follow_up() -> None:
    facts = _letter()
    assert [(p.text, p.status) for p in facts.problems] == [
        ("Heart failure with reduced ejection fraction", "active"),
        ("Atrial fibrillation", "active"),
        ("Gout - resolved", "resolved"),
    ]
    assert [(a.substance, a.reaction) for a in facts.allergies] == [
        ("Penicillin", "rash"),
        ("Codeine", "nausea"),
    ]
    assert facts.follow_up is not None
    assert facts.follow_up.date == date(2025, 9, 30)
    assert "Repeat renal function" in facts.follow_up.text


def test_results_quoted_in_a_letter_are_lab_results_not_drugs() -> None:
    facts = _letter()
    assert [(x.canonical, x.value, x.ucum) for x in facts.labs] == [
        ("Potassium", 5.8, "mmol/L"),
        ("LDL cholesterol (calculated)", 2.1, "mmol/L"),
    ]
    assert all(x.collected == date(2025, 8, 5) for x in facts.labs)
    assert "ldl cholesterol" not in {m.name for m in facts.medications}


def test_no_known_allergies_gives_none() -> None:
    page = text_page(1, "Dear Dr X,\nAllergies: NKDA\nYours sincerely,", "text_layer")
    assert parse_letter([page]).allergies == []


def test_a_drug_named_in_prose_without_a_dose_is_not_a_statement() -> None:
    page = text_page(
        1, "Dear Dr X,\nHe was treated with IV furosemide on the ward.\n", "text_layer"
    )
    assert parse_letter([page]).medications == []


def test_documents_are_classified_and_dated() -> None:
    letter = analyse_document([text_page(1, LETTER, "text_layer")], document_id="l")
    assert (letter.kind, letter.date) == ("clinic_letter", date(2025, 8, 12))
    assert letter.letter is not None and len(letter.letter.medications) == 7
    report = analyse_document(
        [
            text_page(
                1,
                "NORTHMERE LAB\nCollected: 2025-04-02\nSodium 140 mmol/L 135-145\n"
                "Potassium 4.1 mmol/L 3.5-5.1\nCreatinine 80 umol/L 45-110\n",
                "text_layer",
            )
        ],
        document_id="r",
    )
    assert (report.kind, report.date, len(report.labs), report.letter) == (
        "lab_report",
        date(2025, 4, 2),
        3,
        None,
    )
    summary = analyse_document(
        [
            text_page(
                1,
                "DISCHARGE SUMMARY\nADMITTED: 08-MAR-2025 DISCHARGED: 14-MAR-2025\n",
                "text_layer",
            )
        ]
    )
    assert (summary.kind, summary.date) == ("discharge_summary", date(2025, 3, 14))
