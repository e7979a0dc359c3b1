from __future__ import annotations

import socket

import pytest

from clinscribe.nlp.core import deidentify, find_phi

NOTE = (
    "Patient: Jonas Whitfield, DOB 07/22/1958, MRN 55120934. Seen 10/05/2026 at Riverside "
    "Medical Center by Dr. Priya Raman. Call (555) 201-4477 or j.whitfield@example.org. "
    "Home 418 Birchwood Lane, Dayton, OH 45402. SSN 555-12-9087, member ID XKP-4471920."
)


def phi(text: str) -> set[tuple[str, str]]:
    return {(s.type, s.text) for s in find_phi(text)}


def test_safe_harbor_identifiers_in_a_note_are_found_with_their_types() -> None:
    assert phi(NOTE) >= {
        ("NAME", "Jonas Whitfield"),
        ("DATE", "07/22/1958"),
        ("MRN", "55120934"),
        ("DATE", "10/05/2026"),
        ("ORGANIZATION", "Riverside Medical Center"),
        ("NAME", "Priya Raman"),
        ("PHONE", "(555) 201-4477"),
        ("EMAIL", "j.whitfield@example.org"),
        ("ADDRESS", "418 Birchwood Lane"),
        ("LOCATION", "Dayton, OH 45402"),
        ("SSN", "555-12-9087"),
        ("ID", "XKP-4471920"),
    }


@pytest.mark.parametrize(
    "number", ["555-390-1188", "555.390.1188", "+1 555 390 1188", "(555)390-1188 ext 12"]
)
def test_phone_number_variants(number: str) -> None:
    assert ("PHONE", number) in phi(f"fax {number} today")


def test_ages_over_89_are_phi_and_younger_ages_are_not() -> None:
    assert ("AGE_OVER_89", "93-year-old") in phi("A 93-year-old man with Bell palsy.")
    assert not phi("A 45-year-old man.")


def test_lower_case_asr_names_dates_and_spoken_phone_numbers() -> None:
    text = (
        "[patient] my name is deshawn pruitt and my birthday is july ninth nineteen eighty\n"
        "[doctor] thanks deshawn whats your number\n"
        "[patient] five five five eight two zero one three four four"
    )
    assert phi(text) == {
        ("NAME", "deshawn pruitt"),
        ("DATE", "july ninth nineteen eighty"),
        ("NAME", "deshawn"),
        ("PHONE", "five five five eight two zero one three four four"),
    }


def test_titled_lower_case_name_and_spoken_date_in_dialogue() -> None:
    text = "[doctor] hi mr halvorsen how have you been since march third"
    assert phi(text) == {("NAME", "halvorsen"), ("DATE", "march third")}


def test_clinical_terms_are_not_phi() -> None:
    text = (
        "[doctor] your parkinson disease seems stable and the lasix helps.\n"
        "Crohn disease flare treated with prednisone for 2 weeks. Hashimoto thyroiditis. "
        "A1c 7.2, LDL 142, BP 138/86. Tylenol 500 mg. Follow up in 3 months. HTN, COPD, MRI."
    )
    assert phi(text) == set()


def test_eponym_is_a_disease_but_a_titled_eponym_is_a_name() -> None:
    assert phi("Dr. Parkinson reviewed the Parkinson disease plan.") == {("NAME", "Parkinson")}


def test_redact_replaces_phi_with_type_labels() -> None:
    result = deidentify("Seen by Dr. Priya Raman on 10/05/2026 for HTN.")
    assert result.text == "Seen by Dr. [NAME] on [DATE] for HTN."
    assert result.model_dump()["phi"] == [
        {"text": "Priya Raman", "type": "NAME", "begin": 12, "end": 23},
        {"text": "10/05/2026", "type": "DATE", "begin": 27, "end": 37},
    ]


def test_mask_keeps_length_and_spacing() -> None:
    result = deidentify("Seen by Dr. Priya Raman.", mode="mask")
    assert result.text == "Seen by Dr. ***** *****."


def test_surrogates_are_consistent_within_a_text_and_hide_the_original() -> None:
    text = "Dr. Priya Raman saw Jonas Whitfield. Dr. Priya Raman will call 555-390-1188."
    result = deidentify(text, mode="surrogate", key=b"k")
    assert "Raman" not in result.text and "Whitfield" not in result.text
    assert "555-390-1188" not in result.text
    first, second = result.text.split("Dr. ")[1:3]
    assert first.split(" saw")[0] == second.split(" will")[0]


def test_surrogate_dates_shift_consistently_and_keep_their_format() -> None:
    text = "Admitted 2026-09-18, discharged 2026-09-21."
    out = deidentify(text, mode="surrogate", key=b"k").text
    dates = [w.strip(",.") for w in out.split() if w[:1].isdigit()]
    assert len(dates) == 2 and dates[0] != "2026-09-18"
    from datetime import date

    assert (date.fromisoformat(dates[1]) - date.fromisoformat(dates[0])).days == 3


def test_surrogates_repeat_with_the_same_key() -> None:
    a = deidentify("Dr. Priya Raman", mode="surrogate", key=b"same").text
    b = deidentify("Dr. Priya Raman", mode="surrogate", key=b"same").text
    assert a == b


def test_phi_detection_never_touches_the_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    result = deidentify("Email r.okonkwo@example.org or visit https://portal.example.org/me.")
    assert {s.type for s in result.phi} == {"EMAIL", "URL"}


def test_asr_fillers_contractions_and_anatomy_phrases_are_not_names() -> None:
    text = (
        "[doctor] hey i'm gon na take a look at your mcp joint okay\n"
        "[patient] kinda sore doc, the palmar vein area too"
    )
    assert find_phi(text) == []
