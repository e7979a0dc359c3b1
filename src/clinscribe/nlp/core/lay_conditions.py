"""Conditions said in everyday words, mapped to their clinical concept.

Patients rarely say "dysuria" or "orthostatic presyncope": they say "it burns when I pee"
and "I almost black out when I stand". The lexicon matches fixed terms; these rules match the
open-ended shapes of lay complaints: a body part with a pain or swelling word ("my knee is
killing me", "pressure in my chest", "my ankles are puffy"), and verb phrases for symptoms
("the room keeps spinning", "I'm up four times a night"). Each rule names its ICD-10-CM code.
"""

from __future__ import annotations

import functools
import re
from typing import Final

from clinscribe.nlp.core.entities import Mention, Term
from clinscribe.nlp.core.lay_vocabulary import vocabulary_spans
from clinscribe.nlp.core.schemas import Trait

_P: Final = r"(?:my|your|his|her|their|our|the|this|that)"
_N: Final = (
    r"(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|a few|several|many|a couple of)"
)
_SUBJ: Final = r"(?:i|you|he|she|they)"
# Body part -> (code for pain there, code for swelling there); None when it does not apply.
_PARTS: Final[dict[str, tuple[str | None, str | None]]] = {
    "head": ("R51.9", None),
    "chest": ("R07.9", None),
    "stomach|belly|tummy|abdomen|gut|lower belly|upper belly": ("R10.9", "R14.0"),
    "back|lower back|low back": ("M54.50", None),
    "neck": ("M54.2", "R59.9"),
    "throat": ("J02.9", None),
    "ears?": ("H92.09", None),
    "knees?": ("M25.569", "M25.40"),
    "hips?": ("M25.559", None),
    "shoulders?": ("M25.519", None),
    "joints?|knuckles|wrists?|elbows?|big toe": ("M25.50", "M25.40"),
    # ICD-10-CM puts pain in a limb segment under M79.6- (foot, leg), joints under M25.5-;
    # aching hands and fingers are read as their joints (the first set's annotation).
    "hands?|whole hand|fingers?": ("M25.50", "R60.0"),
    "feet|foot|toes?|heels?": ("M79.673", "R60.0"),
    "ankles?|legs?|calf|calves|shins?|thighs?": ("M79.609", "R60.0"),
    "arms?|forearms?|upper arm": ("M79.609", "R60.0"),
    "eyes?": ("H57.10", None),
    "sinus|sinuses": ("J32.9", None),
    "muscles|whole body|body": ("M79.10", None),
    "lips?|tongue|face": (None, "T78.3XXA"),
    "glands": (None, "R59.9"),
    "teeth|tooth": ("K08.89", None),
}
_SIDE: Final = r"(?:(?:left|right|lower|upper|whole)\s+)?"
_BE: Final = (
    r"(?:(?:is|are|was|were|has been|have been|'s been|'s|keeps|been|really|so|just|kind of|"
    r"all|always|still|gets?|starts?|on the (?:left|right)|on (?:my|the) (?:left|right) side|"
    r"[a-z]+ing and)\s+)*"
)
_PAIN_WORDS: Final = (
    r"(?:hurt(?:s|ing)?|ach(?:e|es|ing|y)|sore|killing (?:me|him|her)|pounding|throbbing|"
    r"throbs|on fire|burning|burns|stings|raw|scratchy|tender|tight|bothering (?:me|him|her))\b"
)
_PAIN_NOUNS: Final = (
    r"(?:pains?|ache|aches|pressure|squeeze|squeezing|tightness|burning|discomfort|gnawing ache|"
    r"sharp pains?|cramping)"
)
_SWELL_WORDS: Final = (
    r"(?:swollen|swell(?:s|ing)?(?:\s+up)?|puffy|puffed up|blew up|blown up|all swollen)\b"
)

_RULES: Final[list[tuple[str, str, str]]] = [
    # (ICD-10-CM code, trait S/G/D, pattern)
    (
        "R00.2",
        "S",
        r"\bheart\s+(?:(?:is|isn't|was|wasn't|has|hasn't|not|just|keeps|starts?|does|'s|been|"
        r"kind of|sometimes|a little|"
        r"really)\s+)*(?:racing|races|race|pounding|pounds|flutter(?:s|ing)?|flip[\s-]?flops?|"
        r"skip(?:s|ping)?(?:\s+a\s+beat|\s+beats)?|jumping|beating (?:fast|hard|out of))",
    ),
    (
        "R06.02",
        "S",
        r"\b(?:can't|cannot|couldn't|can not)\s+(?:catch|get)\s+(?:my|a|his|her)\s+"
        r"(?:full\s+)?breath|\bshort[\s-]winded|\b(?:gets?|getting|got)\s+(?:really\s+|so\s+)?winded",
    ),
    ("R06.2", "G", r"\bwhistl(?:e|es|ing)\s+when\s+" + _SUBJ + r"\s+breathe|\bwheezy\b"),
    (
        "R42",
        "S",
        r"\broom\s+(?:is\s+|keeps\s+|starts\s+|was\s+)?(?:spinning|spins|whirl(?:s|ing)?|"
        r"going around)|\bdizzy spells?\b",
    ),
    (
        "R55",
        "S",
        r"\b(?:black(?:ed|ing|s)?|pass(?:ed|ing|es)?)\s+out\b|\bsyncopal\b|"
        r"\bfaint(?:ed|ing)?(?:\s+spells?)?\b",
    ),
    ("R11.0", "S", r"\bsick to (?:my|your|his|her) stomach|\bupset stomach|\bqueasy\b"),
    (
        "R53.83",
        "S",
        r"\b(?:worn out|wiped out|run down|no energy|zero energy|tired all the time|"
        r"(?:very|really|so) weak)\b|\b(?:i'm|been|i am|he's|she's)\s+(?:just\s+)?dragging",
    ),
    (
        "R30.0",
        "S",
        r"\bburn(?:s|ing)?\s+(?:like fire\s+|so bad\s+|a lot\s+)?when\s+"
        + _SUBJ
        + r"\s+(?:pee|go|urinate|use the bathroom)",
    ),
    (
        "R35.0",
        "S",
        r"\b(?:peeing|urinating|going|running to the bathroom|going to the bathroom)\s+"
        r"(?:a lot|all the time|constantly|so much|every (?:half )?hour|like crazy)",
    ),
    ("R35.1", "S", r"\b(?:up|get(?:ting)? up)\s+" + _N + r"\s+times\s+(?:a|at|every|each)\s+night"),
    ("R31.9", "S", r"\bblood in\s+" + _P + r"\s+pee\b|\b(?:pee|urine) is pink"),
    (
        "R32",
        "S",
        r"\btrouble holding\s+" + _P + r"\s+(?:urine|pee|bladder)|\bleak(?:s|ing)?\s+"
        r"(?:urine|when\s+" + _SUBJ + r"\s+cough)|\bhas had accidents|\bhaving accidents",
    ),
    (
        "R39.11",
        "S",
        r"\btakes forever to (?:get started|start)|\bweak stream\b|\btrouble starting\b",
    ),
    (
        "K59.00",
        "S",
        r"\b(?:haven't|have not|hasn't|can't|couldn't|not)\s+(?:been able to\s+)?"
        r"(?:go|gone)\s+(?:number two|poop)|\b(?:can't|haven't)\s+(?:poop|pooped)\b",
    ),
    ("R19.7", "S", r"\bthe runs\b|\brunning (?:right )?through me"),
    (
        "K92.1",
        "S",
        r"\b(?:poop|stools?|bowel movements?)\s+(?:is|are|was|were|been)\s+"
        r"(?:black|tarry|like tar)|\bblack\s+(?:poop|stool|stools)",
    ),
    ("K62.5", "S", r"\bblood when\s+" + _SUBJ + r"\s+wipe|\bblood on the (?:toilet )?paper"),
    (
        "G47.00",
        "D",
        r"\b(?:up|awake|wide awake)\s+at\s+(?:\d+|one|two|three|four|five)\s+"
        r"(?:every|each)\s+(?:morning|night)|\b(?:can't|cannot) (?:fall |stay )?asleep",
    ),
    ("R06.83", "S", r"\bsnor(?:e|es|ing)\b"),
    ("F32.A", "D", r"\bdon't enjoy anything|\bno interest in anything|\blost interest in"),
    ("F41.9", "D", r"\bworr(?:y|ying|ied) all the time|\bon edge\b|\bnerves are shot"),
    (
        "R45.851",
        "S",
        r"\b(?:hurting|harm(?:ing)?|kill(?:ing)?)\s+(?:yourself|myself|himself|herself)",
    ),
    (
        "H91.90",
        "S",
        r"\b(?:trouble|difficulty|hard time)\s+hearing|\b(?:can't|cannot|not (?:being )?"
        r"able to)\s+hear\b",
    ),
    ("H93.19", "S", r"\b(?:ringing|buzzing|hum|humming|whooshing)\s+in\s+" + _P + r"\s+ears?"),
    (
        "H53.8",
        "S",
        r"\b(?:vision|eyes?|things)\s+(?:gets?|is|are|looks?|been)\s+(?:all\s+)?blurr?y",
    ),
    ("L29.9", "S", r"\bitch(?:es|ing|y)?\b"),
    (
        "R63.0",
        "S",
        r"\b(?:hardly|barely|not|isn't|won't|doesn't|don't)\s+(?:eat(?:s|ing)?|"
        r"want(?:s)? to eat)(?:\s+(?:anything|much|at all))?|\bno appetite\b",
    ),
    (
        "R63.4",
        "S",
        r"\b(?:dropped|lost)\s+(?:about\s+|like\s+|almost\s+)?(?:\d+|[a-z]+ty(?:\s+[a-z]+)?|"
        r"ten|fifteen|some|a lot of)\s+(?:pounds|lbs|kilos)|"
        r"\bclothes (?:are )?(?:hanging|falling) off",
    ),
    (
        "R61",
        "S",
        r"\bsoak(?:s|ing|ed)?\s+(?:through\s+)?(?:the|my|his|her)\s+(?:sheets|bed|pajamas)|"
        r"\bwak(?:e|es|ing) up\s+(?:drenched|soaked|soaking wet|in a sweat)",
    ),
    ("R50.9", "S", r"\brunning a (?:fever|temperature|temp)\b|\bburning up\b"),
    ("F17.210", "D", r"\b(?:i|he|she|still)\s+smokes?\b|\bsmokes\b|\bpacks? a day\b"),
    (
        "R52",
        "S",
        r"\b(?:it|that)\s+(?:really\s+|still\s+|just\s+)?(?:hurts|throbs|aches|stings)\b|"
        r"\bdoes it hurt\b",
    ),
    (
        "M25.60",
        "S",
        r"\bstiff as a board\b|\b(?:joints?|hands?|knees?|back|neck)\s+(?:is|are|feels?|"
        r"gets?)\s+(?:so\s+|really\s+|all\s+)?stiff\b",
    ),
    (
        "M54.30",
        "S",
        r"\bpain\s+(?:goes|shoots|radiates|runs|travels)\s+down\s+(?:the back of\s+)?"
        + _P
        + r"\s+(?:(?:left|right)\s+)?(?:leg|buttock)",
    ),
    (
        "R41.0",
        "S",
        r"\b(?:doesn't|does not|don't|didn't)\s+(?:always\s+)?know where\s+"
        + _SUBJ
        + r"\s+(?:is|am|are|was)|\bmixed up\b|\bnot making sense\b",
    ),
    ("R29.6", "S", r"\b(?:fallen|fell)\s+(?:down\s+)?" + _N + r"\s+times|\bkeeps falling\b"),
    (
        "R17",
        "G",
        r"\byellow(?:ing)?\s+(?:of\s+)?(?:the|his|her|my|your)\s+(?:eyes|skin)|"
        r"\b(?:eyes|skin)\s+(?:look|looks|are|is|turned)\s+yellow",
    ),
    ("R05.9", "S", r"\bhacking\b|\bcough(?:ing)? up\b"),
    (
        "N94.6",
        "S",
        r"\bcramps?\s+(?:with|during|before)\s+(?:my|her|your)\s+periods?|\bperiod cramps",
    ),
    ("N92.0", "S", r"\bsoak(?:ing)?\s+through\s+(?:a\s+)?(?:pad|tampon)s?"),
    (
        "R07.9",
        "S",
        r"\b" + _PAIN_NOUNS + r"\s+(?:in|on)\s+" + _P + r"\s+chest|\bchest\s+"
        r"(?:feels?|is|was|gets?|got)\s+(?:so\s+|really\s+|all\s+)?(?:tight|heavy)",
    ),
]


def _expand(alternatives: str) -> list[str]:
    words: list[str] = []
    for alt in alternatives.split("|"):
        words.extend([alt[:-2], alt[:-1]] if alt.endswith("s?") else [alt])
    return words


@functools.lru_cache(maxsize=1)
def _part_codes() -> dict[str, tuple[str | None, str | None]]:
    return {word: codes for parts, codes in _PARTS.items() for word in _expand(parts)}


@functools.lru_cache(maxsize=1)
def _part_patterns() -> list[tuple[int, re.Pattern[str]]]:
    """(0 pain / 1 swelling, pattern with a `part` group); one pass per shape, not per part."""
    parts = "|".join(sorted(_part_codes(), key=len, reverse=True))
    site = rf"(?P<part>{parts})\b"
    return [
        (0, re.compile(rf"{site}(?:'s)?\s+{_BE}{_PAIN_WORDS}")),
        (1, re.compile(rf"{site}(?:'s)?\s+{_BE}{_SWELL_WORDS}")),
        (
            0,
            re.compile(
                rf"\b{_PAIN_NOUNS}\s+(?:(?:down|up|low|high|deep|way|right|all)\s+){{0,3}}"
                rf"(?:in|on)\s+{_P}\s+{_SIDE}{site}"
            ),
        ),
        # "pounding head", "achy knees", "swollen ankles": the symptom word before the part.
        (0, re.compile(rf"\b(?:pounding|splitting|throbbing|aching|achy|sore|painful)\s+{site}")),
        (1, re.compile(rf"\b(?:swollen|puffy)\s+{site}")),
        (1, re.compile(rf"\bswelling\s+(?:in|of)\s+{_P}\s+{_SIDE}{site}")),
    ]


@functools.lru_cache(maxsize=1)
def _part_word() -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(sorted(_part_codes(), key=len, reverse=True)) + r")\b")


_LEFT_SITE: Final = re.compile(rf"(?:{_P}\s+)?{_SIDE}$")


def _part_spans(text: str) -> list[tuple[int, int, str, Trait]]:
    found: list[tuple[int, int, str, Trait]] = []
    patterns = _part_patterns()
    # Body-part-first shapes are tried only where a body part is named (one scan, not two).
    anchored = [
        m
        for p in (patterns[0][1], patterns[1][1])
        for w in _part_word().finditer(text)
        if (m := p.match(text, w.start())) is not None
    ]
    kinds = {id(patterns[0][1]): 0, id(patterns[1][1]): 1}
    matches = [(kinds[id(m.re)], m) for m in anchored]
    matches += [(kind, m) for kind, p in patterns[2:] for m in p.finditer(text)]
    for kind, m in matches:
        code = _part_codes()[m.group("part").lower()][kind]
        if code is None:
            continue
        begin = m.start()
        if m.start() == m.start("part"):  # "my left knee ...": take the words before
            left = _LEFT_SITE.search(text, max(0, begin - 30), begin)
            if left is not None and left.start() < begin:
                begin = left.start()
        found.append((begin, m.end(), code, "SIGN" if kind else "SYMPTOM"))
    return found


_TRAITS: Final[dict[str, Trait]] = {"S": "SYMPTOM", "G": "SIGN", "D": "DIAGNOSIS"}


@functools.lru_cache(maxsize=1)
def _compiled() -> list[tuple[str, Trait, re.Pattern[str]]]:
    return [
        (code, _TRAITS[trait], re.compile(pattern))
        for code, trait, pattern in [*_RULES, ("M79.10", "S", r"\beverything hurts\b")]
    ]


def lay_spans(text: str) -> list[tuple[int, int, str, Trait]]:
    """Non-overlapping lay complaint spans (longest first) with code and trait."""
    # Patterns are lower case: matching lower-cased text is much faster than IGNORECASE.
    lowered = text.lower() if len(text.lower()) == len(text) else text
    found = [
        (m.start(), m.end(), code, trait)
        for code, trait, pattern in _compiled()
        for m in pattern.finditer(lowered)
        if m.end() > m.start()
    ]
    found.extend(_part_spans(lowered))
    found.extend(vocabulary_spans(lowered))
    found.sort(key=lambda f: (-(f[1] - f[0]), f[0]))
    chosen: list[tuple[int, int, str, Trait]] = []
    for span in found:
        if all(span[1] <= c[0] or span[0] >= c[1] for c in chosen):
            chosen.append(span)
    return sorted(chosen)


def add_lay_mentions(text: str, mentions: list[Mention]) -> list[Mention]:
    """Mentions plus lay complaints; a lay span replaces the shorter terms it overlaps."""
    result = list(mentions)
    for begin, end, code, trait in lay_spans(text):
        overlapping = [m for m in result if m.begin < end and begin < m.end]
        if any(m.term.category == "MEDICATION" for m in overlapping):
            continue
        if any(
            m.begin <= begin and end <= m.end and m.term.category == "MEDICAL_CONDITION"
            for m in overlapping
        ):
            continue  # a lexicon term already covers it
        if any((m.term.icd10 or "")[:3] == code[:3] for m in overlapping):
            continue  # same concept as the lexicon term it overlaps ("swelling in his ankle")
        drop = {id(m) for m in overlapping}
        result = [m for m in result if id(m) not in drop]
        term = Term("MEDICAL_CONDITION", "DX_NAME", text[begin:end].lower(), (trait,), code)
        result.append(Mention(begin, end, term, 0.8))
    return sorted(result, key=lambda m: m.begin)


__all__ = ["add_lay_mentions", "lay_spans"]
