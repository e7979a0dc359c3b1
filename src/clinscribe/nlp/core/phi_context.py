"""Names, places and organisations in lower-case text, from gazetteers and context.

A transcript has no capitals, so the statistical NER model misses "my brother gus", "from
kingsport" and "i work at piggly wiggly". Three kinds of evidence are combined:
- gazetteers (Census first names and surnames, GeoNames places, health plans and large
  employers), for words that are not also ordinary English;
- context words that license an ordinary-looking word as a name or place ("my brother",
  "her husband", "doctor", "lives in", "work at");
- institution heads in lower case ("... nursing home", "... urgent care", "... rehab").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Final

from clinscribe.nlp.core.phi_gazetteers import (
    AMBIGUOUS_EMPLOYERS,
    COLLOQUIAL,
    EMPLOYERS,
    GENERIC_MODIFIERS,
    GREETINGS,
    HEALTH_PLANS,
    MULTI_CUES,
    NAME_CUES,
    PLACE_FOLLOWERS,
    RELATIONS,
    STRONG_PLACE_CUES,
    WEAK_PLACE_CUES,
    first_names,
    longest_place_words,
    places,
    surnames,
)
from clinscribe.nlp.core.schemas import PhiType

WordTest = Callable[[str], bool]
# Words may hold an apostrophe or hyphen but not end with one ("therapy-" is "therapy").
_WORD_RE: Final = re.compile(r"[A-Za-z](?:[A-Za-z'-]*[A-Za-z])?")
_INSTITUTION_LOWER: Final = re.compile(
    r"\b(?P<mods>(?:(?:saint|st|mount|mt)\s+)?(?:[a-z][a-z'&-]*\s+){1,3})"
    r"(?:nursing home|assisted living|senior living|senior care|rehab|rehabilitation|"
    r"urgent care|medical center|medical group|health center|health system|hospital|clinic|"
    r"sleep lab|sleep center|surgery center|heart center|cancer center|imaging|pharmacy|"
    r"family practice|family medicine|pediatrics|associates|health plan|health|"
    r"fire department|police department|school district|schools|elementary|high school|"
    r"distribution center|warehouse|plant|factory|mill|daycare|day care|university|college|"
    # The head noun names the kind of organisation, whatever its name: "... savings bank",
    # "... diabetes center", "... lumber supply", "... county ems".
    r"bank|savings bank|credit union|center|centre|company|co|corporation|corp|inc|llc|"
    r"institute|foundation|academy|church|ministries|supply|works|services|solutions|"
    r"logistics|diner|restaurant|kitchen|grill|market|supermarket|grocery|store|stores|"
    r"insurance|health insurance|authority|transit|ems|ambulance|retirement village|"
    r"retirement home|retirement community|manor|village|repair|motors|auto|trucking)\b"
)
# Who pays for care: "my insurance is ...", "covered by ...", "my plan is through ...".
_PLAN_CUE_RE: Final = re.compile(
    r"\b(?:(?:my|his|her|their|your|the)\s+(?:insurance|coverage|plan|health plan|insurer|"
    r"carrier)(?:'s|\s+is|\s+was|\s+are)?\s+(?:through\s+|with\s+|from\s+)?|"
    r"insurance\s+(?:is\s+)?(?:through|with)\s+|covered\s+by\s+|insured\s+(?:by|through|"
    r"with)\s+)(?:the\s+)?",
    re.IGNORECASE,
)
_WORK_CUE_RE: Final = re.compile(
    # A person works somewhere ("i work at", "she's employed by"), not "it works for".
    r"\b(?:(?:i|he|she|they|we|you|who)(?:'m|'re|'s|\s+am|\s+is|\s+are|\s+was)?\s+"
    r"(?:still\s+|also\s+|currently\s+|just\s+|used\s+to\s+)?(?:work(?:s|ed|ing)?\s+(?:at|for)|"
    r"employed\s+(?:at|by)|drive(?:s)?\s+for|retired\s+from|started\s+(?:at|with))|"
    r"(?:my|his|her|their|a|new|old)\s+job\s+(?:at|with)|driver\s+for|"
    r"(?:cashier|nurse|secretary|engineer|teacher|manager|clerk|paralegal|mechanic|roofer|"
    r"paramedic|technician|tech|aide|assistant|worker|driver|cook|server|janitor|guard|"
    r"accountant|analyst|electrician|plumber|welder)\s+(?:at|for|with))\s+(?:the\s+)?",
    re.IGNORECASE,
)


_NAME_QUESTION: Final = re.compile(r"\bnames?\b[^\n]{0,40}\n\s*\[\w+\]\s*$", re.IGNORECASE)


def _words(text: str) -> list[tuple[str, int, int]]:
    return [(m.group().lower(), m.start(), m.end()) for m in _WORD_RE.finditer(text)]


def _cue_before(text: str, begin: int, cues: tuple[str, ...] | frozenset[str]) -> bool:
    before = re.sub(r"[^a-z' ]+", " ", text[max(0, begin - 30) : begin].lower()).split()
    joined = " ".join(before)
    return any(joined == c or joined.endswith(" " + c) for c in cues)


def names(
    text: str, is_common: WordTest, stop_words: frozenset[str]
) -> Iterator[tuple[int, int, bool]]:
    """Lower-case names: gazetteer words, or any word after a cue (flagged True)."""
    words = _words(text)
    firsts, lasts = first_names(), surnames()
    i = 0
    while i < len(words):
        word, begin, _ = words[i]
        prev = words[i - 1][0] if i else ""
        usable = len(word) >= 3 and word not in stop_words and text[begin - 1 : begin] != "["
        # "[patient] mm-hmm": a speaker tag is not a cue word.
        tagged = text[max(0, begin - 3) : begin].rstrip().endswith("]")
        # The first word of an answer to "what's your name": "[patient] donnelly".
        answer = tagged and bool(_NAME_QUESTION.search(text, max(0, begin - 80), begin))
        greeted = not tagged and prev in GREETINGS
        cued = (
            greeted
            or answer
            or (
                not tagged
                and (prev in RELATIONS or prev in NAME_CUES or _cue_before(text, begin, MULTI_CUES))
            )
        )
        plain = usable and word in firsts and not is_common(word) and word not in COLLOQUIAL
        licensed = (
            usable
            and cued
            and word not in COLLOQUIAL
            and (
                not is_common(word)
                or (word in firsts and not greeted)
                # After a relation or title ("my supervisor", "doctor"), a Census surname.
                or (word in lasts and (prev in RELATIONS or prev in NAME_CUES))
            )
            and not _clinical(word, is_common)
        )
        # An unknown word followed by an uncommon Census surname: "yusuf karimi".
        paired = (
            usable
            and not is_common(word)
            and word not in COLLOQUIAL
            and i + 1 < len(words)
            and not text[words[i][2] : words[i + 1][1]].strip()
            and words[i + 1][0] in lasts
            and not is_common(words[i + 1][0])
        )
        if not (plain or licensed or paired):
            i += 1
            continue
        j = i + 1
        while j < len(words) and j - i < 3:
            nxt, nb, _ = words[j]
            gap = text[words[j - 1][2] : nb]
            if gap.strip() or nxt in stop_words or len(nxt) < 2:
                break
            # "horace lindqvist", "gideon marsh": after a name, a Census surname (even an
            # English word) or a word English does not know continues it.
            if not ((nxt in lasts and not _clinical(nxt, is_common)) or not is_common(nxt)):
                break
            j += 1
        yield begin, words[j - 1][2], licensed
        i = j


def _clinical(word: str, is_common: WordTest) -> bool:
    # is_common covers English, lexicon and drug words; a licensed name must still not be a
    # clinical word like "afib" that the English test does not know.
    return word in ("afib", "copd", "uti", "bp", "ekg", "ecg", "mri", "ct") or (
        is_common(word) and word not in first_names() and word not in surnames()
    )


def _place_at(words: list[tuple[str, int, int]], i: int) -> int:
    """Index after the longest gazetteer place starting at words[i], else i."""
    known = places()
    best = i
    for n in range(1, longest_place_words() + 1):
        if i + n > len(words):
            break
        if " ".join(w for w, _, _ in words[i : i + n]) in known:
            best = i + n
    return best


def locations(
    text: str, is_common: WordTest, stop_words: frozenset[str]
) -> Iterator[tuple[int, int]]:
    """Towns, states and countries from the gazetteer, with a cue when they are words."""
    words = _words(text)
    i = 0
    while i < len(words):
        j = _place_at(words, i)
        if j == i:
            i += 1
            continue
        begin = words[i][1]
        single = j - i == 1
        ordinary = all(is_common(w) for w, _, _ in words[i:j]) or (single and len(words[i][0]) < 4)
        strong = _cue_before(text, begin, STRONG_PLACE_CUES)
        weak = _cue_before(text, begin, WEAK_PLACE_CUES)
        if ordinary and weak and not strong and _cue_before(text, begin, ("in",)):
            # "in boise." / "in hermitage and": a phrase ends there, unlike "in normal sinus
            # rhythm"; "to cook or", "at college and" are not places (only "in" counts).
            after = text[words[j - 1][2] : words[j - 1][2] + 20]
            nxt = _words(after)[:1]
            strong = (
                not nxt
                or bool(re.match(r"\s*[^\sA-Za-z'-]", after))
                or nxt[0][0] in PLACE_FOLLOWERS
                or nxt[0][0] in RELATIONS  # "in duluth daughter agnes says"
            )
        if strong or not ordinary:
            k = _place_at(words, j) if j < len(words) else j  # "ocala florida"
            yield begin, words[max(j, k) - 1][2]
            i = max(j, k)
        else:
            i = j


def organizations(
    text: str, is_common: WordTest, stop_words: frozenset[str]
) -> Iterator[tuple[int, int, PhiType]]:
    """Health plans, large employers, named institutions and workplaces in lower case."""
    lowered = text.lower()
    for vocabulary in (HEALTH_PLANS, EMPLOYERS):
        pattern = re.compile(
            r"\b(?:" + "|".join(map(re.escape, sorted(vocabulary, key=len, reverse=True))) + r")"
            r"(?:\s+of\s+[a-z]+)?\b"
        )
        for m in pattern.finditer(lowered):
            head = m.group().split(" of ")[0]
            if head in AMBIGUOUS_EMPLOYERS and not _WORK_CUE_RE.search(
                text[max(0, m.start() - 40) : m.start()]
            ):
                continue
            yield m.start(), m.end(), "ORGANIZATION"
    for m in _INSTITUTION_LOWER.finditer(lowered):
        mods = m.group("mods").split()
        while mods and (mods[0] in stop_words or mods[0] in GENERIC_MODIFIERS):
            mods = mods[1:]
        if not mods or any(w in stop_words or w in GENERIC_MODIFIERS for w in mods):
            continue
        start = m.end("mods") - len(" ".join(mods)) - 1
        yield start, m.end(), "ORGANIZATION"
    for m in [*_WORK_CUE_RE.finditer(text), *_PLAN_CUE_RE.finditer(text)]:
        span = _work_place(text, m.end(), is_common, stop_words)
        if span is not None:
            yield span[0], span[1], "ORGANIZATION"


def _work_place(
    text: str, start: int, is_common: WordTest, stop_words: frozenset[str]
) -> tuple[int, int] | None:
    words = _words(text[start : start + 60])
    taken: list[tuple[str, int, int]] = []
    for k, (word, b, e) in enumerate(words):
        gap = text[start + (taken[-1][2] if taken else 0) : start + b] if taken else ""
        if taken and gap.strip():
            break
        if k == 0 and b != 0:
            return None
        if word == "and" and taken and k + 1 < len(words) and words[k + 1][0] not in stop_words:
            taken.append((word, b, e))
            continue
        if word in stop_words or len(taken) >= 4:
            break
        taken.append((word, b, e))
    if not taken:
        return None
    content = [w for w, _, _ in taken if w != "and"]
    if len(content) == 1 and is_common(content[0]):
        return None
    return start + taken[0][1], start + taken[-1][2]


__all__ = ["locations", "names", "organizations"]
