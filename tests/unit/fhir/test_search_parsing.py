"""Search parameters parsed without a server: date prefixes and ranges, tokens, errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from clinscribe.fhir.core.search import (
    COUNT_DEFAULT,
    SearchError,
    TokenValue,
    UnknownParameter,
    parse_search,
)
from clinscribe.fhir.core.search_dates import day_range, matches, parse_date

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("text", "lo", "hi"),
    [
        ("2024", _utc(2024, 1, 1), _utc(2025, 1, 1)),
        ("2024-12", _utc(2024, 12, 1), _utc(2025, 1, 1)),
        ("2024-02-29", _utc(2024, 2, 29), _utc(2024, 3, 1)),
        ("2024-03-05T10:15", _utc(2024, 3, 5, 10, 15), _utc(2024, 3, 5, 10, 16)),
        ("2024-03-05T10:15:30Z", _utc(2024, 3, 5, 10, 15, 30), _utc(2024, 3, 5, 10, 15, 31)),
        ("2024-03-05T10:15:30-05:00", _utc(2024, 3, 5, 15, 15, 30), _utc(2024, 3, 5, 15, 15, 31)),
    ],
)
def test_a_partial_date_is_the_range_of_its_precision(
    text: str, lo: datetime, hi: datetime
) -> None:
    value = parse_date(text, now=NOW)
    assert (value.prefix, value.lo, value.hi) == ("eq", lo, hi)


def test_approximately_widens_by_a_tenth_of_the_distance_from_now() -> None:
    value = parse_date("ap2016-01-01", now=NOW)
    gap = (NOW - _utc(2016, 1, 1)) / 10
    assert (value.lo, value.hi) == (_utc(2016, 1, 1) - gap, _utc(2016, 1, 2) + gap)
    near = parse_date("ap2026-01-01", now=NOW)
    assert near.lo == _utc(2025, 12, 31)  # at least a day


@pytest.mark.parametrize(
    "text",
    [
        "",
        "24",
        "2024-1",
        "2024-13",
        "2024-02-30",
        "2024-01-01T25:00",
        "zz2024",
        "2024-01-01T10:00+15:00",
    ],
)
def test_a_malformed_date_is_a_search_error(text: str) -> None:
    with pytest.raises(SearchError):
        parse_date(text, now=NOW)


# An instant on 2024-01-15 at 10:00 and the whole day 2024-01-15, against each prefix of
# "2024-01-15" (a day): the FHIR table of what each prefix means.
INSTANT = (_utc(2024, 1, 15, 10), _utc(2024, 1, 15, 10))
DAY = day_range(_utc(2024, 1, 15).date())
LATER = day_range(_utc(2024, 1, 16).date())
EARLIER = (_utc(2024, 1, 14, 23, 59), _utc(2024, 1, 14, 23, 59))


@pytest.mark.parametrize(
    ("prefix", "instant", "day", "later", "earlier"),
    [
        ("eq", True, True, False, False),
        ("ne", False, False, True, True),
        ("lt", False, False, False, True),
        ("le", True, True, False, True),
        ("gt", False, False, True, False),
        ("ge", True, True, True, False),
        ("sa", False, False, True, False),
        ("eb", False, False, False, True),
        ("ap", True, True, True, True),
    ],
)
def test_each_prefix_matches_as_the_specification_says(
    prefix: str, instant: bool, day: bool, later: bool, earlier: bool
) -> None:
    value = parse_date(f"{prefix}2024-01-15", now=NOW)
    assert matches(value, *INSTANT) is instant
    assert matches(value, *DAY) is day
    assert matches(value, *LATER) is later
    assert matches(value, *EARLIER) is earlier


def test_an_instant_exactly_at_the_upper_bound_is_after_the_range() -> None:
    value = parse_date("gt2024-01-15", now=NOW)
    assert matches(value, _utc(2024, 1, 16), _utc(2024, 1, 16))
    assert not matches(parse_date("le2024-01-15", now=NOW), _utc(2024, 1, 16), _utc(2024, 1, 16))
    assert matches(
        parse_date("le2024-01-15", now=NOW), *(2 * (_utc(2024, 1, 16) - timedelta(microseconds=1),))
    )


def test_tokens_keep_their_system_and_escapes() -> None:
    req = parse_search(
        "Observation",
        [("code", "http://loinc.org|8867-4,|x\\,y,z\\|w"), ("code", "http://loinc.org|")],
        now=NOW,
    )
    first, second = req.criteria
    assert first.tokens == (
        TokenValue("http://loinc.org", "8867-4"),
        TokenValue("", "x,y"),
        TokenValue(None, "z|w"),
    )
    assert second.tokens == (TokenValue("http://loinc.org", None),)


def test_paging_and_includes_are_read_and_echoed() -> None:
    req = parse_search(
        "Observation",
        [
            ("patient", "Patient/p1"),
            ("_count", "10"),
            ("_offset", "20"),
            ("_include", "Observation:patient"),
        ],
        now=NOW,
    )
    assert (req.count, req.offset, req.includes) == (10, 20, ("patient",))
    assert req.criteria[0].ids == ("p1",)
    assert ("patient", "Patient/p1") in req.echo
    assert parse_search("Patient", [], now=NOW).count == COUNT_DEFAULT


def test_references_may_be_absolute_urls_of_a_patient() -> None:
    req = parse_search("Condition", [("subject", "https://ehr.example/fhir/Patient/p-9")], now=NOW)
    assert req.criteria[0].ids == ("p-9",)


def test_unknown_parameters_fail_unless_lenient() -> None:
    with pytest.raises(UnknownParameter):
        parse_search("Observation", [("colour", "red")], now=NOW)
    with pytest.raises(UnknownParameter):
        parse_search("Basic", [], now=NOW)
    lenient = parse_search(
        "Observation",
        [("colour", "red"), ("_include", "Observation:nothing")],
        now=NOW,
        lenient=True,
    )
    assert lenient.criteria == () and lenient.includes == ()


@pytest.mark.parametrize(
    "pairs",
    [
        [("code", "")],
        [("code", "a|b|c")],
        [("code", "x\\")],
        [("code", "|")],
        [("date", "2024,")],
        [("_count", "1000")],
        [("_id", "a b")],
        [("patient", "Practitioner/1")],
    ],
)
def test_bad_values_are_search_errors(pairs: list[tuple[str, str]]) -> None:
    with pytest.raises(SearchError):
        parse_search("Observation", pairs, now=NOW)
