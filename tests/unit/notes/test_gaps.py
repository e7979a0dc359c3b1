"""Transcript gaps reach the draft as visible missing information, not silently joined text."""

from __future__ import annotations

from clinscribe.asr.core.coverage import gap_segment
from clinscribe.notes.core import draft_note
from tests.unit.notes.conftest import make_transcript


def _with_gap_after(line: int, start: float, end: float, text: str):  # type: ignore[no-untyped-def]
    transcript = make_transcript(text)
    segments = list(transcript.segments)
    segments.insert(line + 1, gap_segment(start, end))
    renumbered = [s.model_copy(update={"id": i}) for i, s in enumerate(segments)]
    return transcript.model_copy(update={"segments": renumbered})


DIALOGUE = """
[doctor] What medicines are you taking at the moment?
[patient] I take lisinopril ten milligrams every morning.
[doctor] Your blood pressure today is one forty two over eighty eight.
[doctor] Let's start amlodipine five milligrams daily and recheck in two weeks.
"""


def test_a_gap_is_a_visible_marker_in_the_section_of_the_speech_before_it() -> None:
    transcript = _with_gap_after(1, 5.0, 6.0, DIALOGUE)
    note = draft_note(transcript, "soap")
    marker = "[speech not recognised 5.0\u20136.0 s]"
    assert note.text.count(marker) == 1
    holding = [s for s in note.sections if marker in s.text]
    assert len(holding) == 1
    # The section that drew on the patient's medication answer (the segment before the gap).
    assert any(e.segment == 1 for e in holding[0].evidence)
    # A marker is not a note sentence: it claims nothing and faithfulness is unchanged.
    assert all(marker not in sent.text for s in note.sections for sent in s.sentences)
    plain = draft_note(make_transcript(DIALOGUE), "soap")
    assert note.faithfulness == plain.faithfulness
    assert note.text.replace(f"\n{marker}", "") == plain.text


def test_a_transcript_without_gaps_drafts_exactly_as_before() -> None:
    transcript = make_transcript(DIALOGUE)
    note = draft_note(transcript, "soap")
    assert "speech not recognised" not in note.text


def test_a_gap_before_any_drafted_speech_goes_to_the_section_after_it() -> None:
    transcript = make_transcript(DIALOGUE)
    segments = [gap_segment(0.0, 1.5), *transcript.segments]
    renumbered = [s.model_copy(update={"id": i}) for i, s in enumerate(segments)]
    note = draft_note(transcript.model_copy(update={"segments": renumbered}), "soap")
    assert "[speech not recognised 0.0\u20131.5 s]" in note.text
