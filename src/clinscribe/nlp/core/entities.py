"""Dictionary entity recognition: medications, conditions, tests/treatments/procedures, anatomy.

Text is tokenised with one regular expression and matched longest-first against a token
trie built from the curated lexicons and the drug dictionary. Unknown words that look like
misspelt drug names (as ASR produces them) are matched fuzzily.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Final

from clinscribe.nlp.core.drugs import Drug, DrugLexicon, load_drug_lexicon
from clinscribe.nlp.core.lexicon_conditions import CONDITIONS
from clinscribe.nlp.core.lexicon_other import ANATOMY, ANATOMY_MODIFIERS, PROCEDURES
from clinscribe.nlp.core.schemas import Category, Trait
from clinscribe.nlp.core.vocabulary import is_english

TOKEN_RE: Final = re.compile(r"[A-Za-z0-9]+(?:'[A-Za-z]+)?")
_TRAIT_CODES: Final[dict[str, Trait]] = {"D": "DIAGNOSIS", "S": "SYMPTOM", "G": "SIGN"}
# Condition heads that absorb a preceding body site ("knee pain", "ankle swelling").
_SITE_HEADS: Final = frozenset(
    {"pain", "edema", "tenderness", "numbness", "tingling", "rash", "muscle weakness", "lump"}
)
_END: Final = ""
_DETERMINERS: Final = ("your", "my", "his", "her", "their", "a")
# Body sites that are part of a route ("by mouth", "under the tongue"), not anatomy mentions.
_ROUTE_BEFORE: Final = {"mouth": ("by", "per"), "tongue": ("the",), "nostril": ("each",)}
_SCREENING: Final = frozenset({"screening", "screen"})
# "back" is a body site after a possessive or position word, not in "come back" or "back to".
_BACK_BEFORE: Final = frozenset(
    [
        "my",
        "your",
        "his",
        "her",
        "their",
        "the",
        "lower",
        "upper",
        "low",
        "mid",
        "middle",
        "left",
        "right",
        "entire",
        "whole",
    ]
)
# Vital-sign names are measured, not anatomy: "heart rate" does not mention the heart.
_NOT_ANATOMY_AFTER: Final = frozenset({"rate", "rates", "beat", "beats", "pressure"})


@dataclass(frozen=True, slots=True)
class Term:
    """A lexicon entry."""

    category: Category
    type: str
    preferred: str
    traits: tuple[Trait, ...] = ()
    icd10: str | None = None
    drug: Drug | None = None
    score: float = 0.95


@dataclass(slots=True)
class Mention:
    """A matched entity before context and attributes are added."""

    begin: int
    end: int
    term: Term
    score: float
    traits: set[Trait] = field(default_factory=set)


@dataclass(frozen=True, slots=True)
class Token:
    """A word of the input with offsets."""

    text: str
    begin: int
    end: int


def tokenize(text: str) -> list[Token]:
    """Lower-cased word tokens with character offsets."""
    return [Token(m.group().lower(), m.start(), m.end()) for m in TOKEN_RE.finditer(text)]


def _words(term: str) -> tuple[str, ...]:
    return tuple(m.group().lower() for m in TOKEN_RE.finditer(term))


class Lexicon:
    """A token trie over all curated terms and drug names."""

    def __init__(self, drugs: DrugLexicon) -> None:
        self.drugs = drugs
        self._root: dict[str, object] = {}
        self._known_words: set[str] = set()
        for variant, drug in drugs.variants.items():
            kind = "BRAND_NAME" if drug.is_brand else "GENERIC_NAME"
            self._add(variant, Term("MEDICATION", kind, drug.name, drug=drug, score=0.9))
        # Curated terms are added last so they win over same-length drug variants.
        for line in PROCEDURES.strip().splitlines():
            kind, terms = line.split("|", 1)
            names = [t.strip() for t in terms.split(";") if t.strip()]
            for name in names:
                self._add(name, Term("TEST_TREATMENT_PROCEDURE", kind, names[0]))
        for line in ANATOMY.strip().splitlines():
            for name in (t.strip() for t in line.split(";")):
                if name:
                    self._add(name, Term("ANATOMY", "SYSTEM_ORGAN_SITE", name, score=0.9))
        for line in CONDITIONS.strip().splitlines():
            code, trait, terms = line.split("|", 2)
            names = [t.strip() for t in terms.split(";") if t.strip()]
            for name in names:
                term = Term("MEDICAL_CONDITION", "DX_NAME", names[0], (_TRAIT_CODES[trait],), code)
                self._add(name, term)

    def _add(self, name: str, term: Term) -> None:
        words = _words(name)
        if not words:
            return
        if "the" in words[1:]:
            # "blood in the stool" is also said "blood in your stool", "blood in my stool".
            i = words.index("the", 1)
            for det in _DETERMINERS:
                self._insert((*words[:i], det, *words[i + 1 :]), term)
        self._insert(words, term)

    def _insert(self, words: tuple[str, ...], term: Term) -> None:
        node = self._root
        for word in words:
            self._known_words.add(word)
            node = node.setdefault(word, {})  # type: ignore[assignment]
        node[_END] = term

    def knows(self, word: str) -> bool:
        """True when the word is part of any lexicon term."""
        return word in self._known_words

    def longest(self, tokens: list[Token], start: int) -> tuple[int, Term] | None:
        """Longest term starting at tokens[start]; returns (end index, term)."""
        node: dict[str, object] = self._root
        best: tuple[int, Term] | None = None
        i = start
        while i < len(tokens):
            child = node.get(tokens[i].text)
            if not isinstance(child, dict):
                break
            node = child
            i += 1
            found = node.get(_END)
            if isinstance(found, Term):
                best = (i, found)
        return best


@functools.lru_cache(maxsize=1)
def load_lexicon() -> Lexicon:
    """Build the entity lexicon once per process."""
    return Lexicon(load_drug_lexicon())


@functools.lru_cache(maxsize=1)
def _common_words() -> frozenset[str]:
    from spacy.lang.en.stop_words import STOP_WORDS

    return frozenset(STOP_WORDS)


def _fuzzy_drug(lexicon: Lexicon, token: Token, stop: frozenset[str]) -> Term | None:
    word = token.text
    if len(word) < 6 or not word.isalpha() or word in stop or lexicon.knows(word):
        return None
    if is_english(word):
        return None
    found = lexicon.drugs.fuzzy(word)
    if found is None:
        return None
    _, drug, similarity = found
    kind = "BRAND_NAME" if drug.is_brand else "GENERIC_NAME"
    return Term("MEDICATION", kind, drug.name, drug=drug, score=round(0.85 * similarity, 3))


def find_mentions(text: str, known_words: frozenset[str] | None = None) -> list[Mention]:
    """Find lexicon entities in text, longest match first, no overlaps.

    ``known_words`` are ordinary words that must not be read as misspelt drug names.
    """
    lexicon = load_lexicon()
    stop = _common_words() | (known_words or frozenset())
    tokens = tokenize(text)
    mentions: list[Mention] = []
    i = 0
    while i < len(tokens):
        hit = lexicon.longest(tokens, i)
        if hit is None:
            term = _fuzzy_drug(lexicon, tokens[i], stop)
            if term is not None:
                mentions.append(Mention(tokens[i].begin, tokens[i].end, term, term.score))
            i += 1
            continue
        end, term = hit
        begin_idx = i
        if term.category == "ANATOMY":
            if _not_anatomy(tokens, i, end):
                i = end
                continue
            begin_idx = _extend_modifiers(tokens, i, mentions)
        if end < len(tokens) and tokens[end].text in _SCREENING and term.category != "ANATOMY":
            # "depression screening", "colon cancer screening" are tests, not conditions.
            term = Term("TEST_TREATMENT_PROCEDURE", "TEST_NAME", f"{term.preferred} screening")
            end += 1
        mention = Mention(tokens[begin_idx].begin, tokens[end - 1].end, term, term.score)
        _absorb_site(mentions, mention, text)
        mentions.append(mention)
        i = end
    return mentions


def _not_anatomy(tokens: list[Token], i: int, end: int) -> bool:
    word = tokens[i].text
    before = tokens[i - 1].text if i > 0 else ""
    if before in _ROUTE_BEFORE.get(word, ()):
        return True
    if word == "back" and end == i + 1 and before not in _BACK_BEFORE:
        return True
    return end < len(tokens) and tokens[end].text in _NOT_ANATOMY_AFTER


def _extend_modifiers(tokens: list[Token], i: int, mentions: list[Mention]) -> int:
    last_end = mentions[-1].end if mentions else -1
    j = i
    while j > 0 and tokens[j - 1].text in ANATOMY_MODIFIERS and tokens[j - 1].begin >= last_end:
        j -= 1
    return j


def _absorb_site(mentions: list[Mention], mention: Mention, text: str) -> None:
    """Merge "<site> <pain-like finding>" into one condition ("left knee pain")."""
    if mention.term.category != "MEDICAL_CONDITION" or mention.term.preferred not in _SITE_HEADS:
        return
    if not mentions or mentions[-1].term.category != "ANATOMY":
        return
    site = mentions[-1]
    if text[site.end : mention.begin].strip():
        return
    mentions.pop()
    mention.begin = site.begin
