"""ICD-10-CM suggestions: a clinical term lexicon first, then a reranked description search.

Fuzzy search over official descriptions alone ranks badly ("HTN" finds nothing, "heart
failure" ranks rare subtypes first). Queries are therefore expanded through the curated
synonym lexicon (HTN, DM2, CHF, COPD, lay terms), exact lexicon hits come first, and
description matches are scored by IDF-weighted recall and precision, preferring short,
"unspecified" codes for unqualified terms.

Only billable codes (leaves of the ICD-10-CM tabular list) are suggested: a code on a claim or
a FHIR Condition must be billable, and a category such as G43.1 "Migraine with aura" is not.
A category the text matches stands for its default billable code, the one the ICD-10-CM index
gives when the text says no more (G43.109 "..., not intractable, without status
migrainosus"; M17.9 "Osteoarthritis of knee, unspecified").
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Final

from rapidfuzz import fuzz

from clinscribe.nlp.core.lexicon_conditions import CONDITIONS
from clinscribe.nlp.core.schemas import CodeCandidate

_WORD: Final = re.compile(r"[a-z0-9]+")
_STOP: Final = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "and",
        "or",
        "with",
        "in",
        "on",
        "to",
        "for",
        "by",
        "due",
        "other",
        "unspecified",
        "nos",
        "type",
        "my",
        "his",
        "her",
        "their",
        "your",
        "its",
        "is",
        "was",
        "has",
        "have",
    ]
)
_CAND_LIMIT: Final = 400
# Qualifiers a code adds that the text need not state: what a coder assumes when it is silent.
_DEFAULT_QUALIFIERS: Final = frozenset(["unspecified", "without", "not", "initial", "closed"])


def _tokens(text: str) -> list[str]:
    words = _WORD.findall(text.lower().replace("'s", "").replace("'", ""))
    return [_stem(w) for w in words if w not in _STOP]


def _stem(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


@dataclass(frozen=True, slots=True)
class _Index:
    synonyms: dict[str, tuple[str, str]]  # normalised synonym -> (code, preferred term)
    descriptions: dict[str, str]  # code -> description
    tokens: dict[str, frozenset[str]]  # code -> description tokens
    postings: dict[str, frozenset[str]]  # token -> codes
    idf: dict[str, float]
    leaves: frozenset[str]


@functools.lru_cache(maxsize=1)
def _synonyms() -> dict[str, tuple[str, str]]:
    synonyms: dict[str, tuple[str, str]] = {}
    for line in CONDITIONS.strip().splitlines():
        code, _, terms = line.split("|", 2)
        names = [t.strip() for t in terms.split(";") if t.strip()]
        for name in names:
            synonyms.setdefault(" ".join(_tokens(name)), (code, names[0]))
    return synonyms


def lexicon_code(term: str) -> str | None:
    """The lexicon's ICD-10-CM code for a known clinical term or abbreviation (cheap)."""
    hit = _synonyms().get(" ".join(_tokens(term)))
    return hit[0] if hit else None


@functools.lru_cache(maxsize=1)
def _index() -> _Index:
    import simple_icd_10_cm as icd  # type: ignore[import-untyped]

    synonyms = _synonyms()
    descriptions: dict[str, str] = {}
    tokens: dict[str, frozenset[str]] = {}
    postings: dict[str, set[str]] = defaultdict(set)
    leaves: set[str] = set()
    for code in icd.get_all_codes(with_dots=True):
        if not icd.is_category_or_subcategory(code):
            continue
        if icd.is_leaf(code):
            leaves.add(code)
        desc = str(icd.get_description(code))
        descriptions[code] = desc
        toks = frozenset(_tokens(desc))
        tokens[code] = toks
        for tok in toks:
            postings[tok].add(code)
    total = len(descriptions)
    idf = {tok: math.log(1 + total / len(codes)) for tok, codes in postings.items()}
    return _Index(
        synonyms,
        descriptions,
        tokens,
        {k: frozenset(v) for k, v in postings.items()},
        idf,
        frozenset(leaves),
    )


def _expand(query: list[str], index: _Index) -> list[str]:
    """Replace abbreviations and lay synonyms by the words of their preferred term."""
    key = " ".join(query)
    if key in index.synonyms:
        return _tokens(index.synonyms[key][1]) + _tokens(
            index.descriptions.get(index.synonyms[key][0], "")
        )
    out: list[str] = []
    for tok in query:
        hit = index.synonyms.get(tok)
        out.extend(_tokens(hit[1]) if hit and len(tok) <= 5 else [tok])
    return out


def _score(query: list[str], code: str, index: _Index) -> float:
    toks = index.tokens[code]
    q_weight = sum(index.idf.get(t, 1.0) for t in query) or 1.0
    d_weight = sum(index.idf.get(t, 1.0) for t in toks) or 1.0
    hit = sum(index.idf.get(t, 1.0) for t in set(query) if t in toks)
    recall, precision = hit / q_weight, hit / d_weight
    score = 0.65 * recall + 0.35 * precision
    desc = index.descriptions[code].lower()
    if "unspecified" in desc:
        score += 0.04
    if code in index.leaves:
        score += 0.03
    return score


@functools.lru_cache(maxsize=4096)
def default_billable(code: str) -> str:
    """The billable code a category stands for when the text adds nothing (itself if billable).

    Among the category's billable descendants, the one whose extra words are mostly default
    qualifiers ("unspecified", "without ...", "not intractable") and least often specific
    ones (laterality, "intractable", "with status ..."); ties go to the lower code.
    """
    index = _index()
    if code in index.leaves or code not in index.descriptions:
        return code
    # Loaded lazily on purpose, as in `_index`: the ICD-10-CM tables are large.
    import simple_icd_10_cm as icd

    base = Counter(_tokens(index.descriptions[code]))

    def specificity(leaf: str) -> tuple[int, str]:
        # Counted, not a set: "Migraine without aura, ..., without status migrainosus" adds
        # a second "without" to its category's words.
        extra = Counter(_tokens(index.descriptions[leaf])) - base
        return (sum(n * (-1 if t in _DEFAULT_QUALIFIERS else 1) for t, n in extra.items()), leaf)

    leaves = [d for d in icd.get_descendants(code) if d in index.leaves]
    return min(leaves, key=specificity) if leaves else code


def suggest_icd10(term: str, limit: int = 5) -> list[CodeCandidate]:
    """Ranked ICD-10-CM candidates for a condition term (scores 0-1, best first)."""
    if not isinstance(term, str) or limit <= 0:
        return []
    index = _index()
    query = _tokens(term)
    if not query:
        return []
    ranked: dict[str, float] = {}
    exact = index.synonyms.get(" ".join(query))
    if exact is not None:
        ranked[exact[0]] = 1.0
    for syn, (code, _) in index.synonyms.items():
        if code not in ranked and abs(len(syn) - len(" ".join(query))) <= 3:
            ratio = fuzz.ratio(syn, " ".join(query))
            if ratio >= 88:
                ranked[code] = 0.9 * ratio / 100
    expanded = _expand(query, index)
    rare = sorted(set(expanded), key=lambda t: len(index.postings.get(t, ())))
    candidates: set[str] = set()
    for tok in rare:
        postings = index.postings.get(tok, frozenset())
        candidates |= postings if len(candidates) < _CAND_LIMIT else candidates & postings
    for code in candidates:
        score = 0.85 * min(1.0, _score(expanded, code, index))
        if score > ranked.get(code, 0.0):
            ranked[code] = score
    best = sorted(ranked.items(), key=lambda kv: (-kv[1], len(index.descriptions.get(kv[0], ""))))
    # In rank order, each category becomes its default billable code at the category's score;
    # a code already placed (directly or through its category) keeps its first, higher rank.
    out: list[CodeCandidate] = []
    seen: set[str] = set()
    for code, score in best:
        if len(out) >= limit or score < 0.3:
            break
        billable = default_billable(code)
        if billable in seen or billable not in index.leaves:
            continue
        seen.add(billable)
        display = index.descriptions.get(billable, billable)
        out.append(CodeCandidate(code=billable, display=display, score=round(score, 3)))
    return out


def icd10_for(term: str) -> CodeCandidate | None:
    """The single best ICD-10-CM code for a condition mention, when confident."""
    found = suggest_icd10(term, limit=1)
    return found[0] if found and found[0].score >= 0.55 else None


def describe(code: str) -> str:
    """Official description of an ICD-10-CM code (the code itself when unknown)."""
    return _index().descriptions.get(code, code)
