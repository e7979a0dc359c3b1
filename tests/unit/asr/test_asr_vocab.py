"""Vocabulary rules: numbers read as spoken before drug matching, brands, sound-alike drugs
decided by the audio, per-word low-confidence flags, and which model the settings name."""

from __future__ import annotations

from pathlib import Path

import pytest

from clinscribe.asr.core.correction import DrugCorrector
from clinscribe.asr.core.engine import FasterWhisperEngine
from clinscribe.asr.core.errors import ModelUnavailableError
from clinscribe.asr.core.lexicon import load_common_words, load_drug_lexicon
from clinscribe.asr.core.models import resolve_model, resolve_model_path
from clinscribe.asr.core.schemas import Segment, Word
from clinscribe.asr.core.scoring import score_candidates
from clinscribe.asr.core.soundalike import SoundAlikes, check_soundalikes
from clinscribe.asr.core.spans import spoken_number
from clinscribe.asr.engines import AsrEngineProvider
from clinscribe.audio.decode import decode_audio
from clinscribe.config import Settings
from tests.unit.asr.asr_media import piper_wav


@pytest.fixture(scope="module")
def corrector() -> DrugCorrector:
    words = load_common_words(resolve_model_path("tiny.en") + "/tokenizer.json")
    return DrugCorrector(load_drug_lexicon(), words)


def seg(text: str) -> Segment:
    return Segment(id=0, start=0.0, end=5.0, text=text)


@pytest.mark.parametrize(
    ("digits", "said"), [("7", "seven"), ("10", "ten"), ("42", "fortytwo"), ("90", "ninety")]
)
def test_small_numbers_are_matched_as_said(digits: str, said: str) -> None:
    assert spoken_number(digits) == said
    assert spoken_number(f"{digits}.") == said


@pytest.mark.parametrize("text", ["0.5", "250", "07", "7a", "seven"])
def test_other_tokens_have_no_spoken_number(text: str) -> None:
    assert spoken_number(text) == ""


def test_a_name_heard_with_a_number_in_it_is_matched_before_the_number_is_read(
    corrector: DrugCorrector,
) -> None:
    # Whisper writes "ten" as "10": the name must be matched on what was said.
    out = corrector.correct_segment(seg("Continue 10 or min 50 milligrams daily."))
    assert out.text == "Continue tenormin 50 milligrams daily."
    assert [(c.original, c.replacement) for c in out.corrections] == [("10 or min", "tenormin")]


@pytest.mark.parametrize(
    "text",
    [
        "Take 2 tablets for 10 minutes.",
        "I walk for 10 or 20 minutes daily.",
        "Take 1 a day with food.",
        "We gave 4 milligrams of morphine.",
    ],
)
def test_numbers_next_to_ordinary_words_stay_numbers(corrector: DrugCorrector, text: str) -> None:
    assert corrector.correct_segment(seg(text)).text == text


def test_brand_names_are_known_but_never_replace_ordinary_words(
    corrector: DrugCorrector,
) -> None:
    lexicon = load_drug_lexicon()
    assert lexicon.by_key["tenormin"].generic == "atenolol"
    assert lexicon.by_key["atenolol"].generic == ""
    # "nostrilla" is a brand one letter from an English word: spelling alone is not enough.
    text = "Two sprays each nostril daily."
    assert corrector.correct_segment(seg(text)).text == text


def test_spelling_alone_never_swaps_one_real_drug_for_another(corrector: DrugCorrector) -> None:
    # Even with its sound-alike named clearly elsewhere in the recording.
    for heard, rival in [("hydralazine", "hydroxyzine"), ("celexa", "celebrex")]:
        text = f"Start {heard} 25 milligrams daily."
        out = corrector.correct_segment(seg(text), prior=frozenset({rival}))
        assert out.text == text
        assert out.corrections == []


def test_every_correction_by_spelling_alone_is_flagged_and_words_heard_right_are_not(
    corrector: DrugCorrector,
) -> None:
    # No audio scored these: weak or close, the reviewer must see them.
    for text, name in [
        ("Add amylopine 5 milligrams daily.", "amlodipine"),
        ("Continue methatrexate 15 milligrams weekly.", "methotrexate"),
    ]:
        out = corrector.correct_segment(timed(text))
        (fixed,) = [w for w in out.words if w.original_text is not None]
        assert fixed.word.strip() == name and fixed.low_confidence
        assert not any(w.low_confidence for w in out.words if w.original_text is None)
    heard = corrector.correct_segment(timed("Continue methotrexate 15 milligrams weekly."))
    assert heard.corrections == [] and not any(w.low_confidence for w in heard.words)


def test_a_drug_heard_right_does_not_grow_into_another_real_drug(
    corrector: DrugCorrector,
) -> None:
    # "isosorbide" is a drug; "mono nitrate" does not spell "dinitrate": no swap.
    text = "Start isosorbide mono nitrate 30 milligrams daily."
    assert corrector.correct_segment(seg(text)).text == text
    # The rest of the name said closely is joined, and the dose after it is kept.
    out = corrector.correct_segment(seg("Start isosorbide di nitrate 10 milligrams daily."))
    assert out.text == "Start isosorbide dinitrate 10 milligrams daily."
    # A garbled rest with no word of the name heard exactly may still be read.
    out = corrector.correct_segment(seg("Add insulin cargen 10 units at night."))
    assert out.text == "Add insulin glargine 10 units at night."


def test_old_transcript_json_without_the_flag_is_still_valid() -> None:
    word = Word.model_validate({"start": 0.0, "end": 0.5, "word": " hello", "probability": 0.9})
    assert word.low_confidence is False
    assert "low_confidence" in word.model_dump()


def timed(text: str) -> Segment:
    words = [
        Word(start=0.4 * i, end=0.4 * (i + 1), word=f" {w}", probability=0.5)
        for i, w in enumerate(text.split())
    ]
    return Segment(id=0, start=0.0, end=words[-1].end, text=text, words=words)


def test_sound_alike_rivals_are_other_drugs_not_the_same_one(corrector: DrugCorrector) -> None:
    alikes = SoundAlikes(corrector)
    lexicon = corrector.lexicon
    rivals = {r.name for r in alikes.rivals(lexicon.by_key["hydroxyzine"])}
    assert "hydralazine" in rivals
    # A brand and its own generic are the same drug: never rivals of each other.
    for entry in alikes.rivals(lexicon.by_key["tenormin"]):
        assert (entry.generic or entry.name) != "atenolol"


@pytest.fixture(scope="module")
def hydroxyzine_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("soundalike") / "hydroxyzine.wav"
    return piper_wav("For the itching, take hydroxyzine 25 milligrams at bedtime.", path)


def test_the_audio_swaps_a_sound_alike_drug_it_clearly_does_not_fit(
    engine: FasterWhisperEngine, corrector: DrugCorrector, hydroxyzine_clip: Path
) -> None:
    audio = decode_audio(hydroxyzine_clip)
    misheard = Segment(
        id=0,
        start=0.0,
        end=audio.duration,
        text="For the itching, take hydralazine 25 milligrams at bedtime.",
    )
    misheard = misheard.model_copy(update={"words": timed(misheard.text).words})
    score = lambda clip, texts: score_candidates(engine.model, clip, texts)  # noqa: E731
    (out,) = check_soundalikes(audio.samples, [misheard], SoundAlikes(corrector), score)
    assert "hydroxyzine" in out.text and "hydralazine" not in out.text
    (swap,) = out.corrections
    assert (swap.original, swap.replacement, swap.source) == (
        "hydralazine",
        "hydroxyzine",
        "soundalike_audio",
    )
    # Heard right, the name stays (no correction), whatever its rivals.
    right = misheard.model_copy(
        update={"text": out.text, "words": timed(out.text).words, "corrections": []}
    )
    (kept,) = check_soundalikes(audio.samples, [right], SoundAlikes(corrector), score)
    assert kept.text == out.text and kept.corrections == []


def test_bundled_and_tiny_en_name_the_bundled_model() -> None:
    assert resolve_model("bundled") == resolve_model("tiny.en") == "tiny.en"


def test_a_model_directory_is_used_as_it_is() -> None:
    directory = resolve_model_path("tiny.en")
    assert resolve_model(directory) == directory


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("/nowhere/whisper-small", "no speech model directory"),
        ("not-a-whisper-model", "unknown speech model"),
        ("", "empty"),
    ],
)
def test_a_missing_or_unknown_model_is_a_clear_error(value: str, message: str) -> None:
    with pytest.raises(ModelUnavailableError, match=message):
        resolve_model(value)


def test_a_directory_without_a_model_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailableError, match=r"model\.bin missing"):
        resolve_model(str(tmp_path))


def test_a_model_name_missing_from_the_local_cache_is_never_downloaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_HOME", str(tmp_path))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    with pytest.raises(ModelUnavailableError, match="not in the local model cache"):
        resolve_model("small.en")
    assert not any((tmp_path).rglob("model.bin"))


def test_readiness_names_the_missing_model(settings: Settings) -> None:
    configured = settings.model_copy(update={"asr_model": "/nowhere/whisper-small"})
    with pytest.raises(ModelUnavailableError, match="no speech model directory"):
        AsrEngineProvider(configured).check()
