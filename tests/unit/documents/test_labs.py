"""Lab results read from many table shapes, with their units, ranges, flags, dates and spans."""

from __future__ import annotations

from datetime import date

import pytest

from clinscribe.documents.core.extract import text_page
from clinscribe.documents.core.labs import LabResult, parse_labs
from clinscribe.documents.core.pages import PageText, PageWord


def labs(text: str, **kwargs: object) -> list[LabResult]:
    return parse_labs([text_page(1, text, "text_layer")], document_id="doc-1", **kwargs)  # type: ignore[arg-type]


def one(text: str) -> LabResult:
    found = labs(text)
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize(
    "row",
    [
        "SODIUM 133 L 135-145 mmol/L",  # value, flag, range, unit
        "SODIUM L 133 135 - 145 mmol/L",  # flag before the value
        "Sodium 133 mmol/L (135-145) L",  # unit, bracketed range, flag last
        "Sodium | 133 | mmol/L | 135 - 145 | LOW",  # pipes
        "Sodium ............ 133 mmol/L 135 to 145 *L",  # dot leaders
        "Sodium: 133 mmol/L   Ref: 135-145   [L]",  # label style
        "Sodium | 135 - 145 | 133 L | mmol/L",  # range before the value
    ],
)
def test_a_row_is_read_in_any_column_order(row: str) -> None:
    lab = one(row)
    assert (lab.canonical, lab.loinc, lab.value, lab.ucum) == ("Sodium", "2951-2", 133.0, "mmol/L")
    assert (lab.ref_low, lab.ref_high, lab.flag) == (135.0, 145.0, "L")
    assert lab.analyte.lower() == "sodium"
    assert not lab.low_confidence


def test_the_citation_spans_the_row_on_its_page() -> None:
    text = "LIPID PANEL\n HDL CHOLESTEROL 58 > OR = 50 mg/dL\n"
    lab = one(text)
    cited = text[lab.citation.begin : lab.citation.end]
    assert cited.startswith("HDL CHOLESTEROL 58") and cited.endswith("mg/dL")
    assert (lab.citation.document_id, lab.citation.page) == ("doc-1", 1)
    assert (lab.ref_low, lab.ref_high, lab.ref_as_printed) == (50.0, None, "> OR = 50")
    assert lab.section == "LIPID PANEL"
    assert lab.loinc == "2085-9"


def test_the_unit_picks_the_mass_or_moles_code() -> None:
    mass = one("Creatinine 1.10 mg/dL 0.60-1.20")
    moles = one("Creatinine 97 µmol/L 45-110")
    assert (mass.loinc, mass.ucum) == ("2160-0", "mg/dL")
    assert (moles.loinc, moles.ucum, moles.unit) == ("14682-9", "umol/L", "µmol/L")
    glucose = one("GLUCOSE 8.9 H 3.9 - 7.8 mmol/L")
    assert (glucose.loinc, glucose.flag) == ("14749-6", "H")


def test_units_printed_many_ways_map_to_ucum() -> None:
    wbc = one("WHITE CELL COUNT 7.1 4.0 - 11.0 x10E9/L")
    plt = one("Platelet Count 250 K/uL 150-400")
    egfr = one("eGFR 41 L > 60 mL/min/1.73m2")
    a1c = one("HEMOGLOBIN A1c 5.9 H <5.7 % of total Hgb")
    assert (wbc.ucum, wbc.loinc) == ("10*9/L", "6690-2")
    assert (plt.ucum, plt.loinc) == ("10*3/uL", "777-3")
    assert (egfr.ucum, egfr.ref_low, egfr.flag) == ("mL/min/{1.73_m2}", 60.0, "L")
    assert (a1c.ucum, a1c.unit, a1c.ref_high) == ("%", "% of total Hgb", 5.7)


def test_the_flag_is_derived_from_the_range_when_none_is_printed() -> None:
    assert one("Potassium 5.6 mmol/L 3.5-5.2").flag == "H"
    assert one("Potassium 4.0 mmol/L 3.5-5.2").flag is None


def test_a_printed_flag_that_contradicts_the_range_needs_review() -> None:
    lab = one("Potassium 4.0 H mmol/L 3.5-5.2")
    assert lab.flag == "H" and lab.low_confidence


def test_values_quoted_in_a_letter_take_the_date_of_their_heading_or_line() -> None:
    text = (
        "Laboratory results (06/17/2025)\n"
        "* TSH 3.02 mIU/L; free T4 1.21 ng/dL\n"
        "Potassium 6.1 mmol/L (08-MAR-2025)\n"
    )
    found = labs(text)
    assert [(x.canonical, x.value, x.ucum) for x in found] == [
        ("Thyrotropin (TSH)", 3.02, "m[IU]/L"),
        ("Free thyroxine (free T4)", 1.21, "ng/dL"),
        ("Potassium", 6.1, "mmol/L"),
    ]
    assert found[0].collected == date(2025, 6, 17)
    assert found[2].collected == date(2025, 3, 8)


def test_numbers_that_are_not_results_are_left_alone() -> None:
    text = (
        "Fasting lipid panel and ALT 8 weeks after starting rosuvastatin.\n"
        "Desirable LDL-cholesterol is <100 mg/dL for primary prevention.\n"
        "COMMENT: NT-PROBNP ABOVE 450 NG/L: HEART FAILURE POSSIBLE.\n"
        "DOB: 11/05/1974 AGE: 50\n"
        "Phone 555-014-7720 Page 1 of 2\n"
    )
    assert labs(text) == []


def test_the_collection_date_is_read_in_the_documents_format() -> None:
    us = labs("Collected: Jun 17, 2025 08:10\nGLUCOSE 104 H 65-99 mg/dL")
    eu = labs("COLL : 06.05.2025 08:20\nUREA H 9.8 3.5 - 8.0 mmol/L")
    uk = labs("Date collected: 04/03/2025\nDOB 23/09/1949\nSodium 140 mmol/L 135-145")
    assert us[0].collected == date(2025, 6, 17)
    assert eu[0].collected == date(2025, 5, 6) and eu[0].loinc == "22664-7"
    assert uk[0].collected == date(2025, 3, 4)  # 23/09 settles day-first for the document


def test_a_bound_printed_before_the_value_is_the_range_not_the_result() -> None:
    for row in ("Triglycerides < 1.7 2.3 mmol/L", "Triglycerides | <1.7 | 2.3 | mmol/L"):
        lab = one(row)
        assert (lab.value, lab.ref_high, lab.comparator, lab.flag) == (2.3, 1.7, None, "H")


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ("eGFR (CKD-EPI 2021) >90 mL/min/1.73m²", ("33914-3", 90.0, "mL/min/{1.73_m2}")),
        ("Haemoglobin (Hb) 128 g/L [130-180] L", ("718-7", 128.0, "g/L")),
        ("Gamma GT 45 IU/L (0-50)", ("2324-2", 45.0, "U/L")),
        ("Glucose (fasting)\t5,6\tmmol/l\t3,9 - 5,5\tH", ("14771-0", 5.6, "mmol/L")),
        ("25-OH Vitamin D 62 nmol/L 50-150", ("14635-7", 62.0, "nmol/L")),
        ("HbA1c 7.2 % (55 mmol/mol)", ("4548-4", 7.2, "%")),
    ],
)
def test_names_with_parentheses_and_numbers_keep_their_own_value(
    row: str, expected: tuple[str, float, str]
) -> None:
    lab = one(row)
    assert (lab.loinc, lab.value, lab.ucum) == expected


def test_comparator_values_and_thousands() -> None:
    crp = one("CRP <0.5 mg/L 0.0-5.0")
    bnp = one("NT-proBNP 1,840 H < 450 ng/L")
    assert (crp.value, crp.comparator) == (0.5, "<")
    assert (bnp.value, bnp.loinc, bnp.ref_high) == (1840.0, "33762-6", 450.0)


def test_two_results_on_one_line_are_both_read() -> None:
    found = labs("Na 138 mmol/L 135-145 K 4.2 mmol/L 3.5-5.1")
    assert [(x.canonical, x.value) for x in found] == [("Sodium", 138.0), ("Potassium", 4.2)]


def _ocr_page(text: str, confidence: dict[str, float]) -> PageText:
    words, pos = [], 0
    for token in text.split(" "):
        words.append(PageWord(token, pos, pos + len(token), confidence.get(token, 95.0)))
        pos += len(token) + 1
    return PageText(1, text, "ocr", tuple(words))


def test_a_value_read_with_low_ocr_confidence_is_flagged_not_trusted() -> None:
    sure = parse_labs([_ocr_page("ALT 33 H 6-29 U/L", {})])[0]
    unsure = parse_labs([_ocr_page("ALT 38 H 6-29 U/L", {"38": 42.0})])[0]
    assert not sure.low_confidence
    assert unsure.value == 38.0 and unsure.low_confidence


def test_ocr_debris_around_a_value_or_unit_is_flagged_when_uncertain() -> None:
    page = _ocr_page("POTASSIUM 4.7. 3.5 to 5.2 mmol/-L", {"4.7.": 62.0, "mmol/-L": 30.0})
    lab = parse_labs([page])[0]
    assert (lab.value, lab.ucum, lab.low_confidence) == (4.7, "mmol/L", True)


def test_a_number_ocr_could_not_read_as_digits_is_absent() -> None:
    assert parse_labs([_ocr_page("HDL CHOLESTEROL 6l > OR = 50 mg/dL", {})]) == []


def test_a_report_over_two_pages_keeps_its_sections_and_pages() -> None:
    first = text_page(
        1, "Collected: 2025-03-04\nLIPIDS\nTriglycerides 1.9 H mmol/L <1.7", "text_layer"
    )
    second = text_page(2, "LIVER FUNCTION\nALT 31 U/L 5-40\nAlbumin 41 g/L 35-50", "text_layer")
    found = parse_labs([first, second], document_id="d")
    assert [(x.citation.page, x.section, x.loinc) for x in found] == [
        (1, "LIPIDS", "14927-8"),
        (2, "LIVER FUNCTION", "1742-6"),
        (2, "LIVER FUNCTION", "1751-7"),
    ]
    assert {x.collected for x in found} == {date(2025, 3, 4)}
