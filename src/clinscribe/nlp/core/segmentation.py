"""Turn and sentence splitting for dictations and (ASR) dialogues.

General-purpose sentence splitters find a handful of sentences in lower-case, sparsely
punctuated ASR dialogue, and ConText scopes then spread over whole conversations. Here
turns (``[doctor]`` / ``Doctor:``) always end a sentence, and so do ``.?!;`` and line
breaks; over-long stretches are cut again at discourse markers.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import Literal

Speaker = Literal["clinician", "patient", "other"]

_CLINICIAN = {"doctor", "dr", "clinician", "physician", "provider", "nurse", "np", "pa", "md"}
_PATIENT = {"patient", "pt"}
_TURN_RE = re.compile(
    r"^[ \t]*(?:\[(?P<bracket>[a-z_ ]{1,30})\]|(?P<label>[A-Za-z][A-Za-z_ ]{0,20}?)[ \t]*:)[ \t]*",
    re.MULTILINE | re.IGNORECASE,
)
_LABEL_WORDS = (
    _CLINICIAN
    | _PATIENT
    | {
        "mother",
        "father",
        "parent",
        "guardian",
        "caregiver",
        "wife",
        "husband",
        "daughter",
        "son",
        "interpreter",
        "patient_guest",
        "guest",
    }
)
# Abbreviations whose trailing period does not end a sentence.
_ABBREV = re.compile(
    r"(?:\b(?:dr|mr|mrs|ms|st|vs|approx|pt|hx|dx|rx|sx|tx|fx|yo|y\.o|e\.g|i\.e|etc|jr|sr|"
    r"b\.i\.d|t\.i\.d|q\.i\.d|q\.d|p\.o|p\.r\.n|q\.h\.s|h\.s|a\.m|p\.m|u\.s|inc|dept|ave|blvd|rd)"
    r"|\b[a-z])\.$",
    re.IGNORECASE,
)
_BOUNDARY_RE = re.compile(r"[.?!;]+(?=\s|$)|\n+")
_DISCOURSE_RE = re.compile(
    r"\s(?=(?:okay|ok|alright|all right|so|um|uh|and then|now|also|but|anyway)\b[\s,])",
    re.IGNORECASE,
)
_MAX_WORDS = 40


@dataclass(frozen=True, slots=True)
class Sentence:
    """A sentence (or clause) of the input with its turn and speaker."""

    begin: int
    end: int
    text: str
    turn: int
    speaker: Speaker | None
    is_question: bool


@dataclass(frozen=True, slots=True)
class Turn:
    """One speaker turn of a dialogue; a dictation is one turn with speaker None."""

    begin: int
    end: int
    speaker: Speaker | None


def _speaker(label: str) -> Speaker | None:
    key = label.strip().lower().replace(".", "")
    if key in _CLINICIAN:
        return "clinician"
    if key in _PATIENT:
        return "patient"
    if key in _LABEL_WORDS:
        return "other"
    return None


def split_turns(text: str) -> list[Turn]:
    """Split dialogue text into speaker turns; other text is one turn without a speaker."""
    markers: list[tuple[int, int, Speaker]] = []
    for match in _TURN_RE.finditer(text):
        label = match.group("bracket") or match.group("label") or ""
        speaker = _speaker(label)
        if speaker is not None:
            markers.append((match.start(), match.end(), speaker))
    if not markers:
        return [Turn(0, len(text), None)] if text.strip() else []
    turns: list[Turn] = []
    if text[: markers[0][0]].strip():
        turns.append(Turn(0, markers[0][0], None))
    for i, (_, content_start, speaker) in enumerate(markers):
        end = markers[i + 1][0] if i + 1 < len(markers) else len(text)
        turns.append(Turn(content_start, end, speaker))
    return turns


def is_dialogue(text: str) -> bool:
    """True when the text has clinician or patient turn markers."""
    return any(t.speaker is not None for t in split_turns(text))


def _split_long(text: str, begin: int, end: int) -> list[tuple[int, int]]:
    if len(text[begin:end].split()) <= _MAX_WORDS:
        return [(begin, end)]
    cuts = [begin]
    for m in _DISCOURSE_RE.finditer(text, begin, end):
        if len(text[cuts[-1] : m.start()].split()) >= 6:
            cuts.append(m.end())
    cuts.append(end)
    out: list[tuple[int, int]] = []
    for a, b in itertools.pairwise(cuts):
        if a >= b:
            continue
        if len(text[a:b].split()) <= _MAX_WORDS:
            out.append((a, b))
            continue
        # Still too long: fall back to commas, then to fixed-size word windows.
        start = a
        for m in re.finditer(r",\s", text[a:b]):
            if len(text[start : a + m.end()].split()) >= _MAX_WORDS // 2:
                out.append((start, a + m.end()))
                start = a + m.end()
        out.extend(_windows(text, start, b))
    return out


def _windows(text: str, begin: int, end: int) -> list[tuple[int, int]]:
    words = list(re.finditer(r"\S+", text[begin:end]))
    if len(words) <= _MAX_WORDS:
        return [(begin, end)]
    starts = [begin + words[i].start() for i in range(0, len(words), _MAX_WORDS)]
    return list(zip(starts, [*starts[1:], end], strict=True))


_ANSWER_RE = re.compile(
    r"\s*(?:no+|nope|nah|yes|yeah|yep|yup|uh-?huh|mm-?hmm|okay|ok|right|correct|sure)\b"
    r"(?:\s*[,.!]+|\s+(?=(?:i|i'm|i've|it|it's|that|that's|not|we|he|she|they|but|just|only|"
    r"never|none|nothing|doctor|sir|ma'am)\b))",
    re.IGNORECASE,
)


def _split_answers(text: str, pieces: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Split a leading answer word off ("no, but I have a cough") so its scope ends there."""
    out: list[tuple[int, int]] = []
    for a, b in pieces:
        m = _ANSWER_RE.match(text, a, b)
        if m and m.end() < b and text[m.end() : b].strip():
            out.extend([(a, m.end()), (m.end(), b)])
        else:
            out.append((a, b))
    return out


def _trim(text: str, begin: int, end: int) -> tuple[int, int]:
    while begin < end and text[begin] in " \t\r\n,":
        begin += 1
    while end > begin and text[end - 1] in " \t\r\n":
        end -= 1
    return begin, end


def split_sentences(text: str) -> list[Sentence]:
    """Split text into sentences that never cross a speaker turn."""
    sentences: list[Sentence] = []
    for turn_no, turn in enumerate(split_turns(text)):
        start = turn.begin
        pieces: list[tuple[int, int]] = []
        for m in _BOUNDARY_RE.finditer(text, turn.begin, turn.end):
            if m.group().startswith(".") and _ABBREV.search(
                text[max(start, m.start() - 8) : m.end()]
            ):
                continue
            pieces.append((start, m.end()))
            start = m.end()
        if start < turn.end:
            pieces.append((start, turn.end))
        for a, b in _split_answers(text, pieces):
            a, b = _trim(text, a, b)
            if a >= b:
                continue
            for sa, sb in _split_long(text, a, b):
                sa, sb = _trim(text, sa, sb)
                if sa < sb:
                    chunk = text[sa:sb]
                    sentences.append(
                        Sentence(sa, sb, chunk, turn_no, turn.speaker, _is_question(chunk))
                    )
    return sentences


_QUESTION_START = re.compile(
    r"^(?:so\s+|and\s+|okay\s+|ok\s+|now\s+|alright\s+|um\s+|uh\s+)*"
    r"(?:do|does|did|are|is|was|were|have|has|had|any|anything|can|could|would|will|"
    r"how about|what about|ever)\b",
    re.IGNORECASE,
)


def _is_question(sentence: str) -> bool:
    stripped = sentence.rstrip()
    return stripped.endswith("?") or bool(_QUESTION_START.match(stripped))
