"""The bridge's pure helpers: schema drift, value mapping, SOAP fields, database URLs."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from clinscribe.errors import Unprocessable
from clinscribe.openemr.connection import parse_url
from clinscribe.openemr.core import records
from clinscribe.openemr.core.schema import REQUIRED, missing
from clinscribe.openemr.core.soap import NotSoapShaped, soap_form


def _all() -> list[tuple[str, str]]:
    return [(t, c) for t, cols in REQUIRED.items() for c in cols]


def test_missing_names_absent_tables_and_columns() -> None:
    assert missing(_all()) == []
    assert missing((t.upper(), c.upper()) for t, c in _all()) == []  # MariaDB case rules
    present = [(t, c) for t, c in _all() if (t, c) != ("form_soap", "plan") and t != "sequences"]
    assert missing(present) == ["form_soap.plan", "sequences"]


def test_value_mapping() -> None:
    assert [records.sex(v) for v in ("Female", "male", "", "UNK", "Intersex", None)] == [
        "female",
        "male",
        "unknown",
        "unknown",
        "other",
        "unknown",
    ]
    assert records.birth_date("0000-00-00") is None  # PyMySQL's zero date is text
    assert records.birth_date(date(2001, 7, 9)) == date(2001, 7, 9)
    assert records.mrn("", 3) == "3" and records.mrn(" MRN-7 ", 7) == "MRN-7"
    assert records.when(datetime(2026, 1, 2, 3, 4)) == datetime(2026, 1, 2, 3, 4, tzinfo=UTC)
    assert records.when("0000-00-00 00:00:00") is None


def test_soap_fields_from_any_template() -> None:
    form = soap_form(
        [
            ("chief_complaint", "Chief complaint", "Cough."),
            ("hpi", "HPI", "Three days."),
            ("physical_examination", "Physical Examination", "Clear chest."),
            ("assessment_and_plan", "Assessment and plan", "Viral; rest."),
            ("plan", "Plan", ""),
        ]
    )
    assert form.subjective == "Chief complaint: Cough.\n\nHPI: Three days."
    assert form.objective == "Physical Examination: Clear chest."
    assert (form.assessment, form.plan) == ("Viral; rest.", "")
    soap = soap_form([("subjective", "Subjective", "Cough."), ("plan", "Plan", "Fluids.")])
    assert (soap.subjective, soap.objective, soap.plan) == ("Cough.", "", "Fluids.")


def test_a_note_without_assessment_or_plan_is_refused() -> None:
    with pytest.raises(NotSoapShaped):
        soap_form([("subjective", "Subjective", "Cough."), ("assessment", "Assessment", "  ")])


def test_database_urls() -> None:
    target = parse_url("mysql://bridge:s3cret@db.example:3307/openemr")
    assert (target.host, target.port, target.database) == ("db.example", 3307, "openemr")
    assert target.url.drivername == "mysql+pymysql"
    assert parse_url("mariadb://u@h/oe").port == 3306
    for bad in ("postgresql://h/db", "mysql://host-only", "mysql:///db", "::", "sqlite:///x.db"):
        with pytest.raises(Unprocessable):
            parse_url(bad)
