"""A lay-symptom vocabulary by body system, each phrase family mapped to ICD-10-CM.

`lay_conditions` covers the open shapes (a body part with a pain or swelling word). This table
covers the rest systematically: for each body system, the everyday verbs, nouns and idioms
people use for its common symptoms ("throwing up", "can't keep anything down", "pins and
needles", "keeled over", "my periods are heavy"), written as families rather than as the
wording of any one complaint. Each rule carries cheap literal keys: its pattern is run only
when one of them occurs in the text, so a long vocabulary costs little on text without it.
"""

from __future__ import annotations

import functools
import re
from typing import Final

from clinscribe.nlp.core.schemas import Trait

_POSS: Final = r"(?:my|your|his|her|their|the)"
_SUBJ: Final = r"(?:i|you|he|she|they|we)"
_OFTEN: Final = r"(?:all the time|constantly|a lot|so much|nonstop|every (?:few|\w+) minutes)"
_STATE: Final = r"(?:is|are|was|were|'s|'re|feels?|felt|gets?|getting|got|been|has been|goes|go)"
_DEG: Final = r"(?:(?:so|really|very|pretty|kind of|all|always|just|a little|real)\s+)?"

# (ICD-10-CM code, trait S symptom / G sign / D diagnosis, literal keys, pattern)
_VOCAB: Final[list[tuple[str, str, tuple[str, ...], str]]] = [
    # -- urinary
    (
        "R30.0",
        "S",
        ("pee", "urinat", "bathroom"),
        r"\b(?:sting|burn|hurt)s?(?:ing)?\b(?:\s+\w+){0,3}?\s+when\s+"
        + _SUBJ
        + r"\s+(?:pee|urinate|go)\b|\b(?:peeing|urinating|urination)\s+(?:burns|hurts|stings)"
        r"|\bhurts? to (?:pee|urinate)\b|\bpainful (?:urination|peeing)",
    ),
    (
        "R35.0",
        "S",
        ("bathroom", "pee", "urinat"),
        r"\b(?:running|going|run|go|rushing)\s+to the bathroom\s+(?:every|"
        + _OFTEN[3:]
        + r"|\b(?:pee|peeing|urinating)\s+(?:like a racehorse|"
        + _OFTEN[3:]
        + r"|\bhave to (?:pee|go) (?:all the time|constantly)",
    ),
    (
        "R31.9",
        "S",
        ("urine", "pee", "blood"),
        r"\b(?:blood|red|pink)\w*\s+in\s+" + _POSS + r"\s+(?:urine|pee)\b|\b(?:peeing|pissing)"
        r" blood|\b(?:urine|pee)\s+" + _STATE + r"\s+" + _DEG + r"(?:pink|pinkish|red|bloody)",
    ),
    (
        "R32",
        "S",
        ("wet", "leak", "hold"),
        r"\bwet(?:s|ting)?\s+(?:himself|herself|myself|themselves|the bed|(?:his|her|my) pants)"
        r"|\bleak(?:s|ing)?\s+(?:urine|pee)\b|\b(?:can't|cannot|couldn't) hold (?:my|his|her)"
        r" (?:urine|pee|water)\b",
    ),
    (
        "R35.1",
        "S",
        ("night",),
        r"\b(?:gets? up|getting up|wak(?:e|es|ing) up|up)\s+(?:\w+\s+){1,2}times\s+(?:a|at|"
        r"every|each)\s+night\s+to\s+(?:pee|urinate|use the bathroom|go)",
    ),
    # -- digestive
    (
        "R11.10",
        "S",
        ("throw", "threw", "puk", "vomit", "barf", "keep", "down"),
        r"\b(?:throw(?:s|ing)?|threw|thrown)\s+up\b|\bpuk(?:e|es|ed|ing)\b|\bbarf(?:s|ed|ing)?\b"
        r"|\b(?:can't|cannot|couldn't|can not|won't)\s+keep\s+(?:anything|food|water|"
        r"(?:a\s+)?thing|it|nothing)\s+down",
    ),
    ("R11.0", "S", ("nause", "sick"), r"\bnause(?:ous|ated|a)\b|\bfeel(?:s|ing)? sick\b"),
    (
        "R19.7",
        "S",
        ("loose", "watery", "trots", "runs"),
        r"\b(?:loose|watery|runny)\s+(?:stools?|bowels?|poops?|bowel movements)\b|\bthe trots\b",
    ),
    (
        "K59.00",
        "S",
        ("go", "backed", "bound", "poop"),
        r"\b(?:can't|cannot|couldn't|haven't been able to)\s+go\s+(?:for\s+(?:days|a week)|"
        r"to the bathroom|number two)|\b(?:i'm|been|feel(?:s|ing)?|so|really)\s+(?:all\s+)?"
        r"(?:backed|bound|stopped)\s+up\b(?!\s+(?:nose|sinus|at))",
    ),
    (
        "K92.1",
        "S",
        ("tarry", "black"),
        r"\bblack and tarry\b|\btarry\b|\b(?:poop|stools?|it)(?:'s|\s+is|\s+was|\s+are)\s+"
        r"(?:all\s+)?black\b",
    ),
    (
        "K62.5",
        "S",
        ("blood", "bleed"),
        r"\bblood\s+(?:in|on)\s+" + _POSS + r"\s+(?:stool|poop|toilet|underwear)|\bbleeding "
        r"from (?:my|his|her|the) (?:bottom|rear|behind|back end)",
    ),
    (
        "R12",
        "S",
        ("acid", "heartburn", "sour"),
        r"\bacid\s+(?:comes?|coming|keeps coming|gets|came|backs?)\s+up\b|\bheartburn\b"
        r"|\bsour taste\b",
    ),
    (
        "R13.10",
        "S",
        ("swallow", "stuck", "chok"),
        r"\b(?:food|pills?|things?|everything|meat|bread)\s+(?:gets?|getting|got|keeps getting)"
        r"\s+stuck\b|\bchok(?:e|es|ing)\s+(?:when|on|while)\s+(?:\w+\s+){0,2}?swallow"
        r"|\b(?:trouble|hard|hurts?|difficulty|problems?)\s+(?:to\s+)?swallow(?:ing)?\b",
    ),
    (
        "R14.0",
        "S",
        ("bloat", "drum", "gassy"),
        r"\bbloat(?:ed|ing|y)\b|\btight as a drum\b|\bgassy\b",
    ),
    ("R10.9", "S", ("ache",), r"\b(?:belly|stomach|tummy|gut)\s?aches?\b"),
    # -- respiratory
    (
        "R06.02",
        "S",
        ("breath", "wind", "puff", "breath"),
        r"\b(?:out of|short of|catch (?:my|his|her|a)|lose (?:my|his|her))\s+breath\b"
        r"|\b(?:short|shorter)[\s-]?winded\b|\bwinded\b|\bpuffing\b|\bhuffing\b"
        r"|\b(?:hard|trouble|can't|cannot|difficulty)\s+(?:to\s+)?breath(?:e|ing)\b|\bbreathless",
    ),
    (
        "R06.2",
        "G",
        ("whistl", "wheez"),
        r"\b(?:chest|breathing|lungs?)\s+(?:\w+\s+)?whistl(?:e|es|ing)\b|\bwheez(?:e|es|ing|y)\b",
    ),
    (
        "R05.9",
        "S",
        ("cough",),
        r"\bcough(?:s|ing)?\s+(?:until|till|so hard|all night|at night|constantly|"
        r"all the time|nonstop)\b|\b(?:can't|cannot) stop coughing\b"
        r"|\b(?:nagging|hacking|dry|wet|barking|bad|this|a|the)\s+cough\b",
    ),
    (
        "R04.2",
        "S",
        ("blood",),
        r"\bcough(?:s|ed|ing)?\s+up\s+blood\b|\bblood when " + _SUBJ + r" cough",
    ),
    (
        "R04.0",
        "S",
        ("nose",),
        r"\bnose\s?bleeds?\b|\bbloody nose\b|\bnose\s+(?:keeps\s+|won't stop\s+)?bleeding\b",
    ),
    (
        "R09.81",
        "S",
        ("stuff", "nose"),
        r"\bstuff(?:ed|y)(?:\s+up)?\s+nose\b|\bnose\s+(?:is\s+|'s\s+)?(?:all\s+)?(?:stuffed"
        r"(?:\s+up)?|blocked|plugged(?:\s+up)?|congested|stuffy)",
    ),
    # -- cardiovascular and fainting
    (
        "R00.2",
        "S",
        ("flutter", "palpitat"),
        r"\bflutter(?:s|ing|y)?\s+in\s+" + _POSS + r"\s+chest|\bpalpitations?\b",
    ),
    (
        "R55",
        "S",
        ("keel", "collaps", "faint", "conk"),
        r"\bkeel(?:ed|s|ing)?\s+over\b|\bcollaps(?:ed|es|ing)\b|\b(?:felt|feel(?:s|ing)?)\s+"
        r"(?:like\s+)?faint\b|\bconk(?:ed|s)?\s+out\b",
    ),
    (
        "R42",
        "S",
        ("dizz", "light", "wooz", "spinning"),
        r"\bdizz(?:y|iness)\b|\blight[\s-]?headed(?:ness)?\b|\bwoozy\b|\bhead\s+(?:is\s+)?spinning",
    ),
    # -- neurological
    (
        "R20.0",
        "S",
        ("dead", "numb", "no feeling"),
        r"\b(?:fingers?|hands?|arms?|legs?|feet|foot|toes?|face|lips?)\s+(?:go(?:es)?|went|"
        r"going|gone|is|are|feels?|gets?)\s+(?:all\s+)?(?:dead|numb)\b|\bno feeling in\b",
    ),
    (
        "R20.2",
        "S",
        ("tingl", "pins and needles", "prickl"),
        r"\btingl(?:y|ing|es|e)\b|\bpins and needles\b|\bprickl(?:y|ing)\b",
    ),
    (
        "R25.1",
        "S",
        ("shak", "trembl", "tremor"),
        r"\b(?:hands?|arms?|fingers?|head)\s+(?:\w+\s+)?(?:shake|shakes|shaking|shaky|trembl"
        r"(?:e|es|ing|y))\b|\bthe shakes\b",
    ),
    (
        "R26.81",
        "S",
        ("balance", "unsteady", "wobbl"),
        r"\bunsteady\b(?:\s+on\s+" + _POSS + r"\s+feet)?|\bwobbl(?:y|ing)\b"
        r"|\b(?:trouble|problems?|hard time|difficulty)\s+(?:keeping|with)\s+"
        + _POSS
        + r"\s+balance|\b(?:los(?:e|es|ing)|lost)\s+"
        + _POSS
        + r"\s+balance|\boff balance\b",
    ),
    (
        "R47.81",
        "S",
        ("slur",),
        r"\b(?:words?|speech|talking)\s+(?:\w+\s+){0,3}?slurr?(?:ed|ing|y)\b|\bslurr(?:ed|ing)\b",
    ),
    ("R29.810", "G", ("droop",), r"\bface\s+(?:\w+\s+)?droop(?:s|ed|ing|y)?\b|\bdroop\w*\s+face"),
    ("R41.0", "S", ("muddl", "confus"), r"\bmuddled\b|\b(?:all\s+)?confused\b"),
    (
        "R41.3",
        "S",
        ("forget", "memory", "remember"),
        r"\b(?:keeps?|keep|been|always)\s+forgetting\b|\bforgetful\b|\bmemory\s+(?:is|'s|has been)"
        r"\s+(?:going|slipping|bad|poor|shot)|\b(?:can't|cannot) remember (?:anything|things)",
    ),
    (
        "R53.1",
        "S",
        ("weak",),
        r"\bweak as a kitten\b|\bfeel(?:s|ing)?\s+" + _DEG + r"weak\b|\bno strength\b",
    ),
    (
        "R53.83",
        "S",
        ("tucker", "exhaust", "tired", "beat", "pooped", "energy"),
        r"\btuckered(?:\s+out)?\b|\bexhausted\b|\b(?:always|so|really|very|constantly|just|"
        r"bone)\s+(?:tired|beat|pooped)\b|\btired all the time\b|\bno energy\b",
    ),
    (
        "G47.00",
        "D",
        ("sleep", "awake", "tossing"),
        r"\b(?:trouble|hard time|problems?|difficulty)\s+(?:sleeping|falling asleep|staying "
        r"asleep|getting to sleep)|\blie awake\b|\btossing and turning\b|\bcan't sleep\b",
    ),
    # -- eyes and ears
    (
        "H53.8",
        "S",
        ("fuzzy", "blur", "hazy"),
        r"\b(?:vision|eyes?|things|everything|sight)(?:'s|\s+(?:is|are|gets?|looks?|been|went|"
        r"goes|has been))\s+(?:all\s+)?(?:fuzzy|blurr?y|blurred|hazy|cloudy)\b",
    ),
    (
        "H53.1",
        "S",
        ("lights", "flash", "spots", "lines"),
        r"\bsee(?:s|ing)?\s+(?:\w+\s+)?(?:zig\s?zag|flashing|sparkl\w+|wavy|shimmering|"
        r"bright)\s+(?:lights?|lines?|spots?)|\bflashes of light\b|\bspots in\s+"
        + _POSS
        + r"\s+vision",
    ),
    ("H53.2", "S", ("double",), r"\bsee(?:s|ing)?\s+double\b|\bdouble vision\b"),
    (
        "H93.19",
        "S",
        ("ring", "buzz"),
        r"\bears?\s+(?:are\s+|is\s+|keep\s+|keeps\s+)?(?:ringing|buzzing)\b",
    ),
    ("H91.90", "S", ("hearing",), r"\bhard of hearing\b|\bhearing\s+(?:is|'s)\s+(?:going|bad)"),
    # -- skin
    (
        "R21",
        "S",
        ("broke out", "breaking out", "bumps", "blotch", "spots"),
        r"\b(?:broke|breaking|break|breaks)\s+out\s+in\s+(?:\w+\s+){0,2}?(?:bumps|spots|blotches"
        r"|a rash|rash)|\bred (?:bumps|spots|blotches)\b|\bblotchy\b",
    ),
    ("L50.9", "S", ("hive", "welt"), r"\bhives\b|\bwelts?\b"),
    (
        "R23.3",
        "S",
        ("bruis", "black and blue"),
        r"\bbruis(?:e|es|ing)\s+(?:so\s+|really\s+)?easily\b|\bbruises everywhere\b"
        r"|\bblack and blue (?:marks|spots)\b",
    ),
    (
        "L65.9",
        "S",
        ("hair",),
        r"\bhair\s+(?:is\s+)?(?:falling|coming)\s+out\b|\blosing\s+" + _POSS + r"\s+hair\b",
    ),
    # -- general
    ("R50.9", "S", ("fever", "burning up"), r"\bfeverish\b|\bfevers?\b|\bburning up\b"),
    (
        "R68.83",
        "S",
        ("chill", "shiver"),
        r"\bchills\b|\bshiver(?:s|ing|y)\b|\bteeth (?:are )?chattering\b",
    ),
    (
        "R61",
        "S",
        ("sweat",),
        r"\b(?:drenching|night|cold)\s+sweats\b|\b(?:pouring|dripping|soaked in)\s+sweat\b"
        r"|\bsweat(?:ing)?\s+(?:buckets|like a pig|bullets|a lot|profusely)",
    ),
    (
        "R63.1",
        "S",
        ("thirst", "parched", "drink"),
        r"\b(?:parched|thirsty)\s+(?:all the time|constantly|always)|\b(?:always|so|really|"
        r"constantly)\s+(?:thirsty|parched)\b|\bdrink(?:s|ing)?\s+(?:water\s+)?like a fish\b",
    ),
    (
        "R63.0",
        "S",
        ("food", "appetite", "hungry"),
        r"\bwon't\s+(?:touch|eat)\s+"
        + _POSS
        + r"\s+food\b|\b(?:lost|losing)\s+"
        + _POSS
        + r"\s+appetite\b|\bappetite\s+(?:is|'s|has been)\s+(?:gone|poor|bad|off)|\bnot hungry\b",
    ),
    ("R63.4", "S", ("weight",), r"\blosing weight\b|\blost (?:a lot of |some |so much )?weight\b"),
    # -- musculoskeletal
    (
        "M54.50",
        "S",
        ("back",),
        r"\b(?:back|lower back)\s+(?:went|gave|goes)\s+out\b|\b(?:threw|pulled|hurt)\s+(?:out\s+)?"
        + _POSS
        + r"\s+(?:lower\s+)?back\b",
    ),
    (
        "R25.2",
        "S",
        ("cramp", "charley"),
        r"\b(?:calf|calves|legs?|feet|foot|toes?|thighs?|muscles?)\s+(?:\w+\s+)?cramp(?:s|ing)?"
        r"(?:\s+up)?\b|\bcharley horses?\b",
    ),
    # -- mood
    (
        "F32.A",
        "D",
        ("down", "blue", "hopeless"),
        r"\bdown in the dumps\b|\bfeel(?:s|ing)?\s+" + _DEG + r"(?:down|blue|hopeless|low)\b",
    ),
    (
        "F41.9",
        "D",
        ("nervous", "anxious", "panick"),
        r"\bnervous (?:wreck|all the time)\b|\b(?:so|really|always|very)\s+(?:anxious|nervous)"
        r"|\bpanicky\b",
    ),
    # -- gynaecological
    (
        "N92.0",
        "S",
        ("period", "flow"),
        r"\b(?:periods?|flow)\s+(?:is|are|'s|has been|have been|were|was)\s+" + _DEG + r"heavy"
        r"|\bheavy periods?\b",
    ),
    ("N95.1", "S", ("hot fl",), r"\bhot fl(?:ash|ush)(?:es)?\b"),
]
_TRAITS: Final[dict[str, Trait]] = {"S": "SYMPTOM", "G": "SIGN", "D": "DIAGNOSIS"}


@functools.lru_cache(maxsize=1)
def _compiled() -> list[tuple[str, Trait, tuple[str, ...], re.Pattern[str]]]:
    return [
        (code, _TRAITS[trait], keys, re.compile(pattern)) for code, trait, keys, pattern in _VOCAB
    ]


def vocabulary_spans(lowered: str) -> list[tuple[int, int, str, Trait]]:
    """Every vocabulary match in lower-cased text (overlaps are resolved by the caller)."""
    return [
        (m.start(), m.end(), code, trait)
        for code, trait, keys, pattern in _compiled()
        if any(k in lowered for k in keys)
        for m in pattern.finditer(lowered)
        if m.end() > m.start()
    ]


__all__ = ["vocabulary_spans"]
