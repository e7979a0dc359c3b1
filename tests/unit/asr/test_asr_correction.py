"""Drug-name correction against the lexicon, in context, keeping what was heard."""

from __future__ import annotations

import pytest

from clinscribe.asr.core.correction import DrugCorrector
from clinscribe.asr.core.engine import resolve_model_path
from clinscribe.asr.core.lexicon import DrugLexicon, load_common_words, load_drug_lexicon
from clinscribe.asr.core.schemas import Segment, Word


@pytest.fixture(scope="module")
def corrector() -> DrugCorrector:
    words = load_common_words(resolve_model_path("tiny.en") + "/tokenizer.json")
    return DrugCorrector(load_drug_lexicon(), words)


def seg(text: str) -> Segment:
    return Segment(id=0, start=0.0, end=5.0, text=text)


def timed(text: str) -> Segment:
    """A segment with one word per 0.4 s, as the engine produces."""
    words = [
        Word(start=0.4 * i, end=0.4 * (i + 1), word=f" {w}", probability=0.5)
        for i, w in enumerate(text.split())
    ]
    return Segment(id=0, start=0.0, end=words[-1].end, text=text, words=words)


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


def test_a_drug_name_glued_to_the_next_small_word_is_cut_off_it(
    corrector: DrugCorrector,
) -> None:
    words = [
        Word(start=0.0, end=0.4, word=" Switch", probability=0.9),
        Word(start=0.4, end=1.0, word=" symbostat", probability=0.4),
        Word(start=1.0, end=1.4, word=" into", probability=0.6),
        Word(start=1.4, end=1.8, word=" diet.", probability=0.9),
    ]
    text = "Switch symbostat into diet."
    out = corrector.correct_segment(Segment(id=0, start=0, end=1.8, text=text, words=words))
    assert out.text == "Switch simvastatin to diet."
    assert [w.word for w in out.words] == [" Switch", " simvastatin", " to", " diet."]
    drug, kept = out.words[1], out.words[2]
    assert drug.original_text == "symbostat in"
    assert drug.end == kept.start == pytest.approx(1.2)
    assert kept.original_text is None


def test_ordinary_compound_words_are_not_split(corrector: DrugCorrector) -> None:
    for text in ["She walked into the clinic daily.", "Go onto the ward at 5 o'clock."]:
        assert corrector.correct_segment(seg(text)).corrections == []


def test_a_two_word_name_grows_out_of_a_drug_heard_right(corrector: DrugCorrector) -> None:
    out = corrector.correct_segment(seg("He takes insulin cargen 18 units at night."))
    assert out.text == "He takes insulin glargine 18 units at night."
    assert [(c.original, c.replacement) for c in out.corrections] == [
        ("insulin cargen", "insulin glargine")
    ]


def test_a_drug_heard_right_is_not_grown_over_ordinary_words(corrector: DrugCorrector) -> None:
    for text in [
        "Continue insulin and metformin daily.",
        "Start insulin as planned 10 units.",
        "Start a low potassium diet and repeat labs in 1 month.",
    ]:
        out = corrector.correct_segment(seg(text))
        assert out.text == text
        assert out.corrections == []


def test_ordinary_words_run_together_before_a_dose_are_only_suspects(
    corrector: DrugCorrector,
) -> None:
    segment = seg("Switch to hour vast that in 40 milligrams daily.")
    # Too weak to rewrite plain English on spelling and sound alone...
    assert corrector.correct_segment(segment).corrections == []
    # ...but worth re-hearing, with every statin that reading resembles as a candidate.
    (suspect,) = corrector.suspects(segment)
    assert (suspect.first, suspect.last) == (2, 5)
    assert "atorvastatin" in suspect.candidates
    assert len(suspect.candidates) > 1


def test_plain_words_without_a_dose_straight_after_are_not_suspects(
    corrector: DrugCorrector,
) -> None:
    assert corrector.suspects(seg("It was an hour vast that in the end we left.")) == []
    assert corrector.suspects(seg("I had a fever of 100 and 2 yesterday.")) == []


def test_a_correction_rivalled_by_a_drug_named_elsewhere_is_sent_back_to_the_audio(
    corrector: DrugCorrector,
) -> None:
    first = corrector.correct_segment(timed("Silmetrip and 50 milligrams helps."))
    assert first.corrections[0].replacement == "salmeterol"
    unrelated = corrector.suspects(first, frozenset({"propranolol"}))
    assert unrelated == []
    (disputed,) = corrector.suspects(first, frozenset({"sumatriptan"}))
    assert disputed.candidates == ("salmeterol", "sumatriptan")
    out = corrector.apply(first, [(disputed, "sumatriptan", 0.7)], "biased_redecode")
    assert out.text == "Sumatriptan and 50 milligrams helps."
    # The reviewer sees what was heard, not the first guess, and only one correction.
    assert [(c.original, c.replacement, c.source) for c in out.corrections] == [
        ("Silmetrip", "sumatriptan", "biased_redecode")
    ]


def test_a_real_drug_is_never_replaced_by_another(corrector: DrugCorrector) -> None:
    for text in [
        "Stop simvastatin and start atorvastatin 40 milligrams daily.",
        "Continue salmeterol 50 micrograms twice daily.",
        "Switch losartan to lisinopril 10 milligrams daily.",
    ]:
        segment = seg(text)
        assert corrector.correct_segment(segment, frozenset({"sumatriptan"})).corrections == []
        assert corrector.suspects(segment, frozenset({"sumatriptan"})) == []


def test_ranking_is_the_same_whether_strings_are_scored_alone_or_in_a_batch() -> None:
    words = load_common_words(resolve_model_path("tiny.en") + "/tokenizer.json")
    alone = DrugCorrector(load_drug_lexicon(), words)
    batched = DrugCorrector(load_drug_lexicon(), words)
    batched.correct_segment(seg("She takes oxibutin in 5 milligrams and zalpide 10 milligrams."))
    for heard in ["oxibutin in", "zalpide", "oxibutin"]:
        assert batched.rank(heard) == alone.rank(heard)
