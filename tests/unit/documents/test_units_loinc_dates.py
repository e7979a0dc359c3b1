"""UCUM units, conversions, the curated LOINC table and dates as documents print them."""

from __future__ import annotations

import re
from datetime import date

import pytest

from clinscribe.documents.core import loinc
from clinscribe.documents.core.dates import day_first, find_dates, parse_date
from clinscribe.documents.core.loinc import ANALYTES, find_analyte
from clinscribe.documents.core.units import UnitConversionError, convert, to_ucum, unit_property


@pytest.mark.parametrize(
    ("printed", "ucum"),
    [
        ("mg/dL", "mg/dL"),
        ("mg/dl", "mg/dL"),
        ("µmol/L", "umol/L"),
        ("umol/l", "umol/L"),
        ("x10E9/L", "10*9/L"),
        ("x10^9/L", "10*9/L"),
        ("10*9/L", "10*9/L"),
        ("Thousand/uL", "10*3/uL"),
        ("K/uL", "10*3/uL"),
        ("Million/uL", "10*6/uL"),
        ("mIU/L", "m[IU]/L"),
        ("mU/L", "m[IU]/L"),
        ("mL/min/1.73m2", "mL/min/{1.73_m2}"),
        ("mL/min/1.73 m2", "mL/min/{1.73_m2}"),
        ("mg/dL (calc)", "mg/dL"),
        ("% of total Hgb", "%"),
        ("IU/L", "U/L"),
        ("mEq/L", "meq/L"),
    ],
)
def test_printed_units_map_to_ucum(printed: str, ucum: str) -> None:
    assert to_ucum(printed) == ucum


def test_unknown_units_map_to_nothing() -> None:
    assert to_ucum("weeks") is None
    assert to_ucum("") is None
    assert to_ucum(None) is None


@pytest.mark.parametrize(
    ("value", "src", "dst", "analyte", "expected"),
    [
        (100, "mg/dL", "mmol/L", "glucose", 5.55),
        (5.5, "mmol/L", "mg/dL", "glucose", 99.1),
        (200, "mg/dL", "mmol/L", "chol", 5.17),
        (150, "mg/dL", "mmol/L", "trig", 1.69),
        (1.0, "mg/dL", "umol/L", "creatinine", 88.4),
        (20, "mg/dL", "mmol/L", "bun", 7.14),
        (10, "mg/dL", "mmol/L", "calcium", 2.50),
        (14.0, "g/dL", "g/L", "hgb", 140.0),
        (7.0, "%", "mmol/mol", "hba1c", 53.0),
        (53, "mmol/mol", "%", "hba1c", 7.0),
        (6.8, "10*9/L", "10*3/uL", "wbc", 6.8),
    ],
)
def test_common_conversions(
    value: float, src: str, dst: str, analyte: str, expected: float
) -> None:
    assert convert(value, src, dst, analyte) == pytest.approx(expected, rel=0.01)


def test_impossible_conversions_are_a_422() -> None:
    with pytest.raises(UnitConversionError) as caught:
        convert(1.0, "mg/dL", "mmol/L", "alt")  # no molar mass for an enzyme
    assert caught.value.status_code == 422
    with pytest.raises(UnitConversionError):
        convert(1.0, "U/L", "mmol/L", "glucose")
    with pytest.raises(UnitConversionError):
        convert(1.0, "furlongs", "mg/dL")
    assert unit_property("mmol/L") == "moles" and unit_property("mg/dL") == "mass"


def test_the_table_is_curated_and_carries_the_loinc_notice() -> None:
    assert "Regenstrief Institute" in (loinc.__doc__ or "")
    assert "loinc.org/license" in (loinc.__doc__ or "")
    codes = [code for a in ANALYTES for code in a.all_codes]
    assert len(ANALYTES) >= 100 and len(codes) >= 150
    assert all(re.fullmatch(r"\d{1,6}-\d", c) for c in codes)
    assert len(set(codes)) == len(codes)


@pytest.mark.parametrize(
    ("printed", "canonical"),
    [
        ("HAEMOGLOBIN", "Hemoglobin"),
        ("T4, FREE", "Free thyroxine (free T4)"),
        ("VITAMIN D,25-OH,TOTAL,IA", "25-hydroxyvitamin D (D2+D3)"),
        ("HDL CHOLESTEROL", "HDL cholesterol"),
        ("NON HDL CHOLESTEROL", "Non-HDL cholesterol"),
        ("LDL CHOLESTEROL (CALC)", "LDL cholesterol (calculated)"),
        ("Direct LDL", "LDL cholesterol (direct)"),
        ("ALT (SGPT)", "Alanine aminotransferase (ALT)"),
        ("Creatinine, serum", "Creatinine"),
        ("NT-proBNP", "NT-proBNP"),
        ("HbA1c", "Hemoglobin A1c"),
        ("Urea Nitrogen", "Urea nitrogen (BUN)"),
        ("TSH, 3rd generation", "Thyrotropin (TSH)"),
    ],
)
def test_printed_names_resolve_to_their_analyte(printed: str, canonical: str) -> None:
    found = find_analyte(printed)
    assert found is not None and found.canonical == canonical


def test_names_outside_the_table_do_not_resolve() -> None:
    for name in ("Patient", "Page", "deficiency", "HDL REMNANT PARTICLE SIZE INDEX", ""):
        assert find_analyte(name) is None


def test_dates_in_many_formats() -> None:
    text = "Mar 04, 2025; 18.02.2025; 14-MAR-2025; 2025-03-04; 4 March 2025; 06/24/2025"
    assert [f.value for f in find_dates(text)] == [
        date(2025, 3, 4),
        date(2025, 2, 18),
        date(2025, 3, 14),
        date(2025, 3, 4),
        date(2025, 3, 4),
        date(2025, 6, 24),
    ]


def test_year_first_dates_are_year_month_day_whatever_the_separator() -> None:
    assert [f.value for f in find_dates("2025/03/04 and 2025.11.30")] == [
        date(2025, 3, 4),
        date(2025, 11, 30),
    ]


def test_numeric_day_month_order_is_settled_by_the_document() -> None:
    assert day_first(["DOB 23/09/1949", "04/03/2025"]) is True
    assert day_first(["DOB 09/23/1949"]) is False
    assert day_first(["04/03/2025"]) is None
    assert parse_date("04/03/2025", dayfirst=True) == date(2025, 3, 4)
    assert parse_date("04/03/2025") == date(2025, 4, 3)
    assert parse_date("31/02/2025") is None
