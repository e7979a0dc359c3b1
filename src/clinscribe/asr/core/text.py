"""Typed or pasted text ("ambient" mode) turned into a Transcript without ASR."""

from __future__ import annotations

import re

from clinscribe.asr.core.schemas import Segment, Speaker, Transcript

# `[doctor] …` / `[patient] …` turns, or `Doctor: …` / `Patient: …` lines (contracts.md).
_TURN = re.compile(
    r"^\s*(?:\[(?P<tag>doctor|clinician|provider|patient)\]|(?P<label>doctor|clinician|provider|dr|patient)\s*:)\s*",
    re.IGNORECASE,
)
_ROLE: dict[str, Speaker] = {
    "doctor": "clinician",
    "clinician": "clinician",
    "provider": "clinician",
    "dr": "clinician",
    "patient": "patient",
}
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\[])")


def _turns(text: str) -> list[tuple[Speaker | None, str]]:
    turns: list[tuple[Speaker | None, str]] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        match = _TURN.match(line)
        if match:
            role = (match.group("tag") or match.group("label")).lower()
            turns.append((_ROLE[role], line[match.end() :].strip()))
        elif turns:
            speaker, previous = turns[-1]
            turns[-1] = (speaker, f"{previous} {line.strip()}")
        else:
            turns.append((None, line.strip()))
    return [(s, t) for s, t in turns if t]


def is_dialogue(text: str) -> bool:
    return any(_TURN.match(line) for line in text.splitlines())


def transcript_from_text(text: str) -> Transcript:
    """Dialogue keeps one segment per turn with its speaker; dictation one per sentence."""
    dialogue = is_dialogue(text)
    if dialogue:
        pieces = _turns(text)
    else:
        flat = " ".join(text.split())
        pieces = [(None, sentence) for sentence in _SENTENCE_END.split(flat) if sentence]
    segments = [
        Segment(id=i, start=0.0, end=0.0, text=piece, speaker=speaker)
        for i, (speaker, piece) in enumerate(pieces)
    ]
    return Transcript(
        text="\n".join(s.text for s in segments)
        if dialogue
        else " ".join(s.text for s in segments),
        duration=0.0,
        engine="text",
        model="none",
        segments=segments,
        mode="conversation" if dialogue else "dictation",
    )
