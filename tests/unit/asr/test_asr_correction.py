"""Drug-name correction against the lexicon, in context, keeping what was heard."""

from __future__ import annotations

import pytest

from clinscribe.asr.correction import DrugCorrector
from clinscribe.asr.engine import resolve_model_path
from clinscribe.asr.lexicon import DrugLexicon, load_common_words, load_drug_lexicon
from clinscribe.asr.schemas import Segment, Word


@pytest.fixture(scope="module")
def corrector() -> DrugCorrector:
    words = load_common_words(resolve_model_path("tiny.en") + "/tokenizer.json")
    return DrugCorrector(load_drug_lexicon(), words)


def seg(text: str) -> Segment:
    return Segment(id=0, start=0.0, end=5.0, text=text)


@pytest.mark.parametrize(
    ("heard", "drug"),
    [
        ("He takes loss art in 50 milligrams daily.", "losartan"),
        ("Continue methatrexate 15 milligrams weekly.", "methotrexate"),
        ("Start Tansolosin 0.4 milligrams at bedtime.", "tamsulosin"),
        ("She takes oxibutin in 5 milligrams twice daily.", "oxybutynin"),
        ("I took some sip or floxus in last week.", "ciprofloxacin"),
        ("Add amylopine 5 milligrams daily.", "amlodipine"),
    ],
)
def test_misheard_drug_names_near_doses_are_corrected(
    corrector: DrugCorrector, heard: str, drug: str
) -> None:
    out = corrector.correct_segment(seg(heard))
    assert drug in out.text.lower()
    assert out.original_text == heard
    assert [c.replacement for c in out.corrections] == [drug]
    assert out.corrections[0].original in heard


@pytest.mark.parametrize(
    "text",
    [
        "I had a fever of 100 and 2 yesterday.",
        "Skip tonight's dose and take 5 milligrams daily.",
        "Two sprays each nostril daily.",
        "She walks daily and feels well.",
        "Follow up in three months.",
    ],
)
def test_ordinary_words_are_left_alone_even_near_dose_words(
    corrector: DrugCorrector, text: str
) -> None:
    out = corrector.correct_segment(seg(text))
    assert out.text == text
    assert out.corrections == []


def test_correctly_spelled_drugs_are_not_touched(corrector: DrugCorrector) -> None:
    text = "Continue warfarin 5 milligrams and metformin 500 milligrams daily."
    assert corrector.correct_segment(seg(text)).corrections == []


def test_word_timing_and_original_words_survive_a_multi_word_correction(
    corrector: DrugCorrector,
) -> None:
    words = [
        Word(start=0.0, end=0.3, word=" He", probability=0.99),
        Word(start=0.3, end=0.6, word=" takes", probability=0.98),
        Word(start=0.6, end=0.8, word=" loss", probability=0.41),
        Word(start=0.8, end=1.0, word=" art", probability=0.37),
        Word(start=1.0, end=1.1, word=" in", probability=0.52),
        Word(start=1.1, end=1.4, word=" 50", probability=0.97),
        Word(start=1.4, end=1.9, word=" milligrams.", probability=0.96),
    ]
    out = corrector.correct_segment(
        Segment(id=3, start=0.0, end=1.9, text="He takes loss art in 50 milligrams.", words=words)
    )
    assert out.text == "He takes losartan 50 milligrams."
    fixed = out.words[2]
    assert (fixed.start, fixed.end, fixed.word) == (0.6, 1.1, " losartan")
    assert fixed.original_text == "loss art in"
    assert len(out.words) == 5


def test_a_sentence_initial_correction_keeps_its_capital(corrector: DrugCorrector) -> None:
    out = corrector.correct_segment(seg("Methatrexate 20 milligrams weekly."))
    assert out.text.startswith("Methotrexate")


def test_confident_recognitions_need_a_closer_match(corrector: DrugCorrector) -> None:
    confident = [
        Word(start=0.0, end=0.5, word=" Start", probability=0.99),
        Word(start=0.5, end=1.0, word=" amylopine", probability=0.99),
        Word(start=1.0, end=1.3, word=" 5", probability=0.99),
        Word(start=1.3, end=1.8, word=" milligrams.", probability=0.99),
    ]
    text = "Start amylopine 5 milligrams."
    unsure = [w.model_copy(update={"probability": 0.3}) for w in confident]
    assert (
        corrector.correct_segment(
            Segment(id=0, start=0, end=2, text=text, words=confident)
        ).corrections
        == []
    )
    assert corrector.correct_segment(
        Segment(id=0, start=0, end=2, text=text, words=unsure)
    ).corrections


def test_a_custom_lexicon_can_replace_the_packaged_one() -> None:
    small = DrugCorrector(DrugLexicon.from_names({"semaglutide"}))
    out = small.correct_segment(seg("Start sema glue tide 0.25 milligrams weekly."))
    assert "semaglutide" in out.text


def test_a_drug_named_clearly_elsewhere_in_the_recording_is_preferred(
    corrector: DrugCorrector,
) -> None:
    heard = "Sumatreptin helps. Continue sumatriptan 50 milligrams as needed."
    segments = [seg(heard)]
    assert corrector.mentioned(segments) == frozenset({"sumatriptan"})
    assert "sumatriptan" in corrector.rank("sumatreptin", prior=frozenset({"sumatriptan"}))[0][0]


def test_near_misses_next_to_a_dose_become_suspects_with_candidates(
    corrector: DrugCorrector,
) -> None:
    suspects = corrector.suspects(seg("She uses lower tedding 10 milligrams daily."))
    assert len(suspects) == 1
    assert "loratadine" in suspects[0].candidates


def test_plain_english_and_dose_words_are_never_suspects(corrector: DrugCorrector) -> None:
    assert corrector.suspects(seg("I had a fever of 100 and 2 yesterday.")) == []
    assert corrector.suspects(seg("Take 20 milligrams at bedtime daily.")) == []
    assert corrector.suspects(seg("Start metformin 500 milligrams twice daily.")) == []


def test_a_confirmed_suspect_is_replaced_and_marked_as_a_biased_redecode(
    corrector: DrugCorrector,
) -> None:
    segment = seg("She uses lower tedding 10 milligrams daily.")
    suspect = corrector.suspects(segment)[0]
    out = corrector.apply(segment, [(suspect, "loratadine", suspect.score)], "biased_redecode")
    assert out.text == "She uses loratadine 10 milligrams daily."
    assert out.corrections[0].source == "biased_redecode"
    assert out.corrections[0].original == "lower tedding"
