"""Which section a transcript sentence belongs to: spoken headings, then dialogue cues."""

from __future__ import annotations

import re

from clinscribe.notes.core.schemas import FactKind
from clinscribe.notes.core.units import Unit

# Spoken section headings in a dictation ("assessment and plan: ..."), longest first.
_HEADINGS: list[tuple[str, list[FactKind]]] = [
    (r"history of (?:the )?present illness|hpi", ["hpi"]),
    (r"chief complaint|reason for (?:the )?visit", ["chief_complaint"]),
    (r"review of systems|ros", ["ros"]),
    (r"past medical history|medical history|past history|pmh|past surgical history", ["pmh"]),
    (r"current medications|medications|meds", ["medications"]),
    (r"allergies", ["allergies"]),
    (r"family history", ["family_history"]),
    (r"social history", ["social_history"]),
    (r"vital signs|vitals", ["vitals"]),
    (r"physical exam(?:ination)?|exam(?:ination)?|objective", ["exam"]),
    (r"results|labs|laboratory|imaging|data", ["results"]),
    (r"assessment and plan|assessment \+ plan|a and p|impression and plan", ["assessment", "plan"]),
    (r"assessment|impression|diagnosis", ["assessment"]),
    (r"plan|instructions|recommendations", ["plan"]),
    (r"subjective", ["hpi"]),
]
HEADING_RE = re.compile(
    r"^\s*(?:(?:hey dragon|okay|ok|so|now|and),?\s*)*(?:next,?\s*)?(?P<head>"
    + "|".join(f"(?:{h})" for h, _ in _HEADINGS)
    + r")\s*(?:[:.,\-]+|\bis\b|\bare\b|\bshows?\b)?\s*(?=\S|$)",
    re.IGNORECASE,
)
_HEADING_KIND = [(re.compile(rf"^(?:{h})$", re.IGNORECASE), k) for h, k in _HEADINGS]

_EXAM = re.compile(
    r"\b(?:on (?:physical )?exam(?:ination)?|physical exam|your (?:lungs?|heart|abdomen|belly|"
    r"skin|throat|ears?|eyes?|neck|knee|ankle|back|shoulder|wrist|hip|foot|hand)\b.{0,40}\b"
    r"(?:is|are|looks?|sounds?|seems?)|lungs? (?:are|is|sound) clear|no murmurs?|"
    r"regular rate and rhythm|tender(?:ness)? (?:to|on|over)|"
    r"(?:i|i'm) (?:do n't|don't|did n't|didn't) (?:hear|feel|see|appreciate|notice)|"
    r"(?:i|i'm) (?:hear|feel|see|appreciate|notice)(?:ing)? (?:a|some|an|no)\b|"
    r"range of motion|reflexes|edema|swelling (?:in|of|on)|capillary refill|pulses? (?:are|is)|"
    r"(?:lymph nodes|lymphadenopathy|bruit|rhonchi|wheez|crackles|rales|erythema|effusion)|"
    r"let me (?:take a )?(?:listen|look|examine|feel|check)|when i press|"
    r"does (?:this|that|it) hurt)",
    re.IGNORECASE,
)
_RESULTS = re.compile(
    r"\b(?:results?|came back|showed|shows|revealed|reveals|demonstrated?|x-?rays?|mri|ct scan|"
    r"(?:rapid|covid|strep|flu|urine|blood|pregnancy|stress) tests?|urinalysis|creatinine|"
    r"ultrasound|echo(?:cardiogram)?|ekg|ecg|labs?|blood work|hemoglobin|a1c|cholesterol|"
    r"biopsy|culture|test (?:was|is|came)|levels?)\b",
    re.IGNORECASE,
)
_RESULTS_VERB = re.compile(
    r"\b(?:came back|showed|shows|show|revealed|reveals|demonstrated?|was|were|is|are|looked|looks|"
    r"normal|elevated|negative|positive|high|low|appears?|reviewed|looking at|fractures?|"
    r"there's|there is|see|looks like|up|down|stable|unremarkable)\b",
    re.IGNORECASE,
)
_PLAN = re.compile(
    r"\b(?:let's|let us|we(?:'ll| will| are going to| 're going to| re gon na| 're gon na)|"
    r"i(?:'m| am| 'm) (?:going to|gon na|gonna) (?!ask|examine|listen|look|press|push|feel)|"
    r"i(?:'ll| 'll| will) (?!ask|examine|listen|look|press|push|feel)|i want (?:you|to)|"
    r"i(?:'d| 'd| would) (?:like|recommend|suggest)|recommend|prescri|refer|order|schedule|"
    r"follow[- ]?up|come back|increase|decrease|continue|start (?:you|on)|stop taking|"
    r"physical therapy|make sure|should|need to|keep (?:taking|an eye)|"
    r"see (?:you|me) (?:back|again|in))",
    re.IGNORECASE,
)
_ASSESS = re.compile(
    r"\b(?:my (?:impression|assessment|diagnosis)|i (?:think|believe|suspect) (?:you|that|this|it)|"
    r"(?:you|she|he) (?:have|has) (?:a |an )?(?:\w+ ){0,3}(?:strain|sprain|fracture|infection|"
    r"syndrome|disease|disorder|itis)|consistent with|likely|diagnos|this is (?:most )?(?:likely|"
    r"probably)|looks like (?:you|it|this)|sounds like (?:you|it|this)|in terms of your|"
    r"(?:for|regarding) your (?:\w+ ){0,3}(?:,|i|we))",
    re.IGNORECASE,
)
_SOCIAL = re.compile(
    r"\b(?:smok|cigarette|tobacco|vap|alcohol|drink (?:alcohol|beer|wine)|beers?|wine|"
    r"drugs|marijuana|work (?:as|at|for|from)|i work|my job|retired|married|live (?:with|alone)|"
    r"exercise|hik|walking|running(?! high| low)|runner|gym|diet|soccer|basketball|baseball|"
    r"football|golf|"
    r"tennis|swim|bik|bicycl|garden|yoga|weights|dance|danc|ski|student|farmer|teacher|"
    r"volleyball|hockey|softball|pickleball|fishing|hunting|travel)\w*",
    re.IGNORECASE,
)
_ALLERGY = re.compile(r"\ballerg", re.IGNORECASE)
_PMH = re.compile(
    r"\b(?:history of|diagnosed with|surgery|surgeries|operation|had (?:a|an|my) \w+ (?:removed|"
    r"out|repaired|replaced)|years ago|in the past)\b",
    re.IGNORECASE,
)
_CHIT_CHAT = re.compile(
    r"\b(?:weather|vacation|game|team|weekend|movie|kids are|how are you|nice to|good to see|"
    r"thank you|thanks|bye|dragon|nurse will|hello|hi\b)",
    re.IGNORECASE,
)


def heading_kinds(text: str) -> tuple[list[FactKind], int] | None:
    """The fact kinds a spoken heading at the start of ``text`` opens, and where content starts."""
    match = HEADING_RE.match(text)
    if match is None:
        return None
    head = match.group("head")
    rest = text[match.end() :]
    # "plan is to..." / "exam shows ..." count; a bare word in running speech does not.
    marked = re.search(
        r"[:.,\-]|\bis\b|\bare\b|\bshows?\b", text[match.start("head") : match.end()]
    )
    if not marked and rest.strip() and len(head.split()) < 2:
        return None
    for pattern, kinds in _HEADING_KIND:
        if pattern.match(head):
            return kinds, match.end()
    return None


def unit_kind(unit: Unit) -> FactKind | None:
    """The section a sentence belongs to by its own cues (None for small talk and questions)."""
    text = unit.text
    has_clinical = bool(unit.entities or unit.vitals)
    if unit.speaker == "patient" or (unit.speaker is None and not unit.is_question):
        if unit.is_question:
            return None
        if any("FAMILY_HISTORY" in e.traits for e in unit.entities) or re.search(
            r"\b(?:my|her|his) (?:mom|mother|dad|father|brother|sister|grandmother|grandfather|"
            r"aunt|uncle|parents?)\b.{0,60}\b(?:had|has|died|diagnosed|passed)",
            text,
            re.IGNORECASE,
        ):
            return "family_history"
        if _ALLERGY.search(text):
            return "allergies"
        if _SOCIAL.search(text) and not has_clinical:
            return "social_history"
        if unit.speaker is None:
            return _clinician_kind(unit, has_clinical)
        if any(e.category == "MEDICATION" for e in unit.entities):
            return "medications"
        if _RESULTS.search(text) and re.search(
            r"\b(?:normal|negative|positive|came back|showed|said)\b", text, re.I
        ):
            return "results"
        if _PMH.search(text) and any("HISTORICAL" in e.traits for e in unit.entities):
            return "pmh"
        if has_clinical or re.search(r"\b(?:pain|hurt|since|started|ago|worse|better)\b", text):
            return "hpi"
        return None
    if unit.is_question:
        return None
    return _clinician_kind(unit, has_clinical)


def _clinician_kind(unit: Unit, has_clinical: bool) -> FactKind | None:
    text = unit.text
    if unit.vitals:
        return "vitals"
    if re.search(r"\bfamily history\b", text, re.I) and has_clinical:
        return "family_history"
    if re.search(r"\ballergic to\b|\ballergies (?:to|include)\b", text, re.I):
        return "allergies"
    strong_exam = re.search(r"\b(?:on|physical|my) exam|examin", text, re.I)
    reported = re.search(r"\b(?:showed|revealed|came back)\b", text, re.I)
    if (
        _RESULTS.search(text)
        and _RESULTS_VERB.search(text)
        and not strong_exam
        and (reported or not _PLAN.search(text))
    ):
        return "results"
    if _EXAM.search(text):
        return "exam"
    if _ASSESS.search(text) and has_clinical:
        return "assessment"
    if _PLAN.search(text):
        return "plan"
    if has_clinical and re.search(
        r"\b(?:presents?|here (?:today )?(?:for|with)|year[- ]old|history of)\b", text, re.I
    ):
        return "hpi"
    if (
        not has_clinical
        and _SOCIAL.search(text)
        and re.search(r"\byou(?:'re| are|r)?\b", text, re.I)
    ):
        return "social_history"
    if _CHIT_CHAT.search(text):
        return None
    return None


# Only a clinician says these; a "patient" turn that does was mislabelled (ASR diarisation).
_CLINICIAN_ONLY = re.compile(
    r"\b(?:your (?:exam|x-?rays?|results?|labs?|vitals|blood work)|"
    r"on (?:physical )?exam(?:ination)?|physical exam|(?:my|the) assessment|assessment and plan|"
    r"i (?:did )?review(?:ed)? (?:the|your)|prescribe you|i want you to|"
    r"i(?:'m| am| 'm) (?:going to|gon na|gonna) (?:order|prescribe|refer)|"
    r"i will (?:order|prescribe|refer)|for your (?:first|second|third|next) problem)\b",
    re.IGNORECASE,
)
_LOOK_AT_RESULTS = re.compile(
    r"\b(?:look(?:ing)? at|show me|review(?:ed|ing)?|pull up|go over) (?:\w+ ){0,4}?"
    r"(?:x-?rays?|results?|labs?|mri|ct|scans?|echo\w*|tests?|ultrasound|blood work|ekg|images?)\b",
    re.IGNORECASE,
)


def fix_speakers(units: list[Unit]) -> None:
    """Relabel as clinician each "patient" segment that says what only a clinician would."""
    swapped = {
        u.segment for u in units if u.speaker == "patient" and _CLINICIAN_ONLY.search(u.text)
    }
    for unit in units:
        if unit.segment in swapped:
            unit.speaker = "clinician"


def opens_results(unit: Unit) -> bool:
    """The clinician turns to results ("let's look at your x-ray"): what follows is results talk."""
    return unit.speaker != "patient" and bool(_LOOK_AT_RESULTS.search(unit.text))
