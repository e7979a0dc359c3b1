"""PHI in lower-case, spoken (ASR-style) text: gazetteers, context cues and spoken forms."""

from __future__ import annotations

from clinscribe.nlp import core as nlp
from clinscribe.nlp.core.phi_gazetteers import first_names, places, surnames
from clinscribe.nlp.core.phi_spoken import spelled_sequences


def spans(text: str) -> dict[str, str]:
    return {s.text: s.type for s in nlp.find_phi(text)}


def test_gazetteers_load_from_the_installed_packages() -> None:
    assert {"bernadette", "winifred"} <= first_names()
    assert {"whitaker", "fontaine"} <= surnames()
    assert {"tulsa", "kalamazoo", "new mexico", "kenya"} <= places()
    assert "the" not in places()


def test_first_name_from_the_census_list_in_lower_case() -> None:
    found = spans("[patient] yeah my aunt said lucinda would drive me over")
    assert found.get("lucinda") == "NAME"


def test_relative_cue_licenses_a_name_that_is_also_a_word() -> None:
    found = spans("[patient] my son frank picks up the prescriptions")
    assert found.get("frank") == "NAME"
    assert "prescriptions" not in found


def test_first_name_extends_to_the_surname() -> None:
    found = spans("dictating on rosalie brennan for her yearly visit")
    assert "rosalie brennan" in found


def test_ordinary_words_after_a_relation_are_not_names() -> None:
    found = spans("[patient] my husband said the pain got worse and my daughter had a cold")
    assert not [t for t, k in found.items() if k == "NAME"]


def test_town_after_a_place_cue_in_lower_case() -> None:
    found = spans("[patient] we drove down from kalamazoo this morning")
    assert found.get("kalamazoo") == "LOCATION"


def test_place_that_is_an_english_word_needs_a_phrase_end() -> None:
    assert not spans("the rhythm stayed in normal sinus rhythm all night")
    assert spans("she moved here from normal last year").get("normal") == "LOCATION"


def test_health_plan_and_employer_in_lower_case() -> None:
    found = spans("[patient] i'm covered by cigna through my job at the home depot")
    assert found.get("cigna") == "ORGANIZATION"
    assert "home depot" in found


def test_workplace_after_a_work_cue() -> None:
    found = spans("[patient] i work at brightwater plumbing supply on weekends")
    assert found.get("brightwater plumbing supply") == "ORGANIZATION"
    assert not spans("[patient] i work at home most days")


def test_institution_head_in_lower_case() -> None:
    found = spans("[patient] she lives at the maple grove nursing home now")
    assert found.get("maple grove nursing home") == "ORGANIZATION"
    assert not spans("[doctor] you should go to urgent care if it gets worse")


def test_spoken_email_and_web_site() -> None:
    found = spans(
        "[patient] it's dana underscore k at icloud dot com and the site is w w w dot "
        "lakeview dot org"
    )
    assert found.get("dana underscore k at icloud dot com") == "EMAIL"
    assert any(t == "URL" and "lakeview dot org" in s for s, t in found.items())


def test_identifiers_read_letter_by_letter_take_their_type_from_context() -> None:
    text = (
        "[doctor] and the claim number\n[patient] q r seven one one four nine two\n"
        "[doctor] your social\n[patient] four one two six six eight zero zero one\n"
        "[doctor] zip code\n[patient] seven three one zero four"
    )
    found = {text[b:e]: t for b, e, t in spelled_sequences(text)}
    assert found == {
        "q r seven one one four nine two": "ID",
        "four one two six six eight zero zero one": "SSN",
        "seven three one zero four": "LOCATION",
    }


def test_written_vitals_are_not_identifiers() -> None:
    assert not list(spelled_sequences("BP 140/90, P 88, RR 16, T 98.2"))


def test_spoken_street_address_with_unit() -> None:
    found = spans("[patient] we live at three forty seven willow creek road apartment two b")
    assert found.get("three forty seven willow creek road apartment two b") == "ADDRESS"


def test_age_over_89_without_years_old() -> None:
    found = spans(
        "[patient] my father turned ninety three and he's still sharp\n"
        "[patient] she's ninety eight now"
    )
    assert found.get("ninety eight") == "AGE_OVER_89"
    assert not spans("[doctor] your oxygen is ninety four percent")


def test_spoken_dates_of_birth_and_day_ordinals() -> None:
    found = spans(
        "[doctor] date of birth\n[patient] three nine fifty two\n"
        "[patient] it started on the seventeenth after the trip, around christmas"
    )
    assert found.get("three nine fifty two") == "DATE"
    assert any("seventeenth" in s for s in found)
    assert "christmas" in found
    assert not spans("[patient] the second time it happened i was at work")
