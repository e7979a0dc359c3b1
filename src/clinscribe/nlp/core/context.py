"""Context traits: ConText categories mapped to traits, plus dialogue question/answer logic."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final

from clinscribe.nlp.core.engine import ContextEngine
from clinscribe.nlp.core.entities import Mention
from clinscribe.nlp.core.schemas import Trait
from clinscribe.nlp.core.segmentation import Sentence

_CATEGORY_TRAIT: Final[dict[str, Trait]] = {
    "NEGATED_EXISTENCE": "NEGATION",
    "POSSIBLE_EXISTENCE": "UNCERTAIN",
    "HISTORICAL": "HISTORICAL",
    "HYPOTHETICAL": "HYPOTHETICAL",
    "FAMILY": "FAMILY_HISTORY",
}
# Which traits each category may carry (Comprehend Medical puts them on conditions).
_ALLOWED: Final[dict[str, frozenset[Trait]]] = {
    "MEDICAL_CONDITION": frozenset(_CATEGORY_TRAIT.values()),
    "MEDICATION": frozenset({"NEGATION"}),
    "TEST_TREATMENT_PROCEDURE": frozenset({"NEGATION"}),
    "ANATOMY": frozenset(),
}
_NO_ANSWER: Final = re.compile(
    r"^\W*(?:no+|nope|nah|not really|not at all|none|never|negative|i don'?t think so|"
    r"i have not|i haven'?t|i do not|i don'?t|nothing like that|not that i know of)\b",
    re.IGNORECASE,
)
_WORSENING: Final = re.compile(
    r"(?:\W+\w+){0,5}?\W+(?:gets? worse|getting worse|worsens?|persists?|continues?|"
    r"does ?n[o']t (?:improve|get better|go away)|is not improving|spreads?)\b",
    re.IGNORECASE,
)
# "other than the melanoma, any headaches?": the excepted finding is not what is asked about.
_EXCEPTED: Final = re.compile(
    r"\b(?:other than|besides|aside from|apart from)\s+(?:the\s+|your\s+)?$", re.IGNORECASE
)
_YES_ANSWER: Final = re.compile(
    r"^\W*(?:yes|yeah|yep|yup|uh-?huh|mm-?hmm|i do|i have|i did|sometimes|a little|a bit|"
    r"correct|definitely|absolutely)\b",
    re.IGNORECASE,
)


def apply_context(
    text: str,
    sentences: Sequence[Sentence],
    mentions: list[Mention],
    engine: ContextEngine,
) -> None:
    """Add NEGATION/UNCERTAIN/HISTORICAL/HYPOTHETICAL/FAMILY_HISTORY traits in place."""
    targets = [(m.begin, m.end, m.term.category) for m in mentions if m.term.category != "ANATOMY"]
    assessed = iter(engine.assess(text, [(s.begin, s.end) for s in sentences], targets))
    for mention in mentions:
        if mention.term.category == "ANATOMY":
            continue
        allowed = _ALLOWED[mention.term.category]
        for category in next(assessed):
            trait = _CATEGORY_TRAIT.get(category)
            if trait is not None and trait in allowed:
                mention.traits.add(trait)
        if "HYPOTHETICAL" in mention.traits and _WORSENING.match(text, mention.end):
            # "if the swelling gets worse": the finding exists, only its worsening is conditional.
            mention.traits.discard("HYPOTHETICAL")
    _apply_answers(text, sentences, mentions)


def _apply_answers(text: str, sentences: Sequence[Sentence], mentions: list[Mention]) -> None:
    """A clinician's question answered "no" negates what it asked about; "yes" affirms it."""
    if not any(s.speaker for s in sentences):
        return
    by_sentence = _group(sentences, mentions)
    for idx, sentence in enumerate(sentences):
        if sentence.speaker != "clinician" or not sentence.is_question:
            continue
        asked = [
            m
            for m in by_sentence.get(idx, [])
            if m.term.category in ("MEDICAL_CONDITION", "MEDICATION")
            and not _EXCEPTED.search(text, max(sentence.begin, m.begin - 25), m.begin)
        ]
        if not asked:
            continue
        answer = _answer(sentences, idx)
        if answer is None:
            continue
        for mention in asked:
            if answer == "no":
                mention.traits.add("NEGATION")
            else:
                mention.traits.discard("NEGATION")


def _answer(sentences: Sequence[Sentence], idx: int) -> str | None:
    """The answer to the question at idx: the next turn when it is the patient's."""
    question_turn = sentences[idx].turn
    # When the clinician goes on to say something else, the answer is not to this question.
    for follow in sentences[idx + 1 :]:
        if follow.turn != question_turn:
            break
        if not follow.is_question and len(follow.text.split()) > 3:
            return None
    for nxt in sentences[idx + 1 :]:
        if nxt.turn == question_turn:
            continue
        if nxt.speaker != "patient":
            return None
        if _NO_ANSWER.match(nxt.text):
            return "no"
        if _YES_ANSWER.match(nxt.text):
            return "yes"
        return None
    return None


def _group(sentences: Sequence[Sentence], mentions: list[Mention]) -> dict[int, list[Mention]]:
    groups: dict[int, list[Mention]] = {}
    j = 0
    ordered = sorted(mentions, key=lambda m: m.begin)
    for mention in ordered:
        while j < len(sentences) and sentences[j].end <= mention.begin:
            j += 1
        if j < len(sentences) and sentences[j].begin <= mention.begin:
            groups.setdefault(j, []).append(mention)
    return groups
