"""RESULTS: a test discussed in the visit and its value or finding, as the clinician said it.

Reference notes write results tersely ("X-ray of the chest demonstrates a mild amount of fluid
in the lungs.", "Hemoglobin A1c is elevated at 8."), which the ACI-Bench train split shows is
the common form (Yim et al., Scientific Data 10:586, 2023, CC BY 4.0). A spoken sentence about
a result is reduced to that form: the lead-in ("looking here at the results of...", "in
reviewing...") goes, the test name leads, the finding follows its verb word for word. A
sentence that does not parse as test + verb + finding is kept as rewritten. No words are
added beyond the reporting verb, so the faithfulness check sees the same entities and numbers.
"""

from __future__ import annotations

import re

_TEST = (
    r"(?:chest |abdominal |lumbar |spine )?x-?rays?(?: of (?:the patient's |the |his |her |their )?"
    r"(?:left |right |lower |upper )?[a-z]+(?: spine)?)?|"
    r"echo(?:cardiogram)?|ekg|ecg|electrocardiogram|"
    r"(?:brain )?mri(?: of (?:the patient's |the |his |her )?(?:left |right )?[a-z]+)?|"
    r"ct(?: scan)?(?: of (?:the )?[a-z]+)?|(?:abdominal |renal |pelvic )?ultrasound|"
    r"(?:hemoglobin )?a1c|hemoglobin|"
    r"(?:blood|lab) ?work|labs?|blood tests?|urinalysis|urine (?:test|culture)|"
    r"(?:lipid|cholesterol|thyroid|metabolic|autoimmune|diabetes) (?:panel|levels?)|cholesterol|"
    r"creatinine|kidney function|white (?:blood )?(?:cell )?count|biopsy|pathology|culture|"
    r"(?:rapid )?(?:strep|covid|flu|pregnancy|stress|lyme) (?:test|titer)s?|"
    r"pulmonary function tests?|pfts?|ejection fraction|glucose|tsh|psa|vitamin d"
)
_TEST_RE = re.compile(rf"\b(?:{_TEST})\b", re.IGNORECASE)
_VERB_RE = re.compile(
    r"[^.;]{0,40}?\b(?P<verb>showed|shows|show|revealed|reveals|demonstrated|demonstrates|"
    r"came back|comes back|(?:does )?looks? like|looked like|looked|looks|appears to be|appeared|"
    r"appears|is|was|were|are|there's|there is|there are)\b\s+"
    r"(?P<finding>(?:[^.;]|\.(?=\d)){3,})",
    re.IGNORECASE,
)
_VERB = {
    "showed": "demonstrates",
    "shows": "demonstrates",
    "show": "demonstrate",
    "revealed": "reveals",
    "demonstrated": "demonstrates",
    "looks": "is",
    "looked": "was",
    "appears": "is",
    "appeared": "was",
    "appears to be": "is",
    "looks like": "demonstrates",
    "look like": "demonstrates",
    "does look like": "demonstrates",
    "looked like": "demonstrated",
    "comes back": "came back",
    "there's": "demonstrates",
    "there is": "demonstrates",
    "there are": "demonstrates",
}
_LEAD = re.compile(
    r"^(?:(?:so|and|now|okay|um|uh|well|also)\W+)*(?:(?:i |we )?(?:(?:personally|also) )?"
    r"(?:looking|looked|look|reviewing|reviewed|review|went over|going over)(?: here)?"
    r"(?: at| over)?(?: the)?(?: results? of)?(?: the| his| her| their)?[, ]+|in reviewing"
    r"(?: the)?(?: results? of)?(?: the)?[, ]+)",
    re.IGNORECASE,
)
# A sentence window cut mid-clause ("..., and that can be from.") leaves a dangling tail.
_DANGLING = re.compile(
    r",?\s+(?:and|but|so|which|that)\b[^,]*\b(?:from|to|of|the|a|because|on|with|and|it|"
    r"based on)\.?$",
    re.IGNORECASE,
)


_NEGATION = re.compile(r"\b(?:no|not|never|without|nothing|none)\b|n't\b", re.IGNORECASE)


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def tidy(text: str) -> str:
    """Drop a clause the sentence window cut off in the middle."""
    out = _DANGLING.sub("", text.rstrip(". ")).rstrip(" ,")
    return out + "." if out else text


def result_sentence(text: str) -> str:
    """A rewritten (third-person) results sentence in the terse form notes use."""
    body = _LEAD.sub("", tidy(text)).strip()
    # The last test named before a verb is the one the finding is about ("labs... A1c is 8").
    found = None
    for test_match in _TEST_RE.finditer(body):
        verb_match = _VERB_RE.match(body, test_match.end())
        if verb_match is not None:
            found = (test_match, verb_match)
    if found is None:
        return tidy(text)
    test_match, match = found
    # Only the test, its verb and the finding are kept: a negation anywhere else would be lost.
    dropped = body[: test_match.start()] + body[test_match.end() : match.start("verb")]
    if _NEGATION.search(dropped):
        return _cap(body)
    test = test_match.group()
    test = re.sub(r"^(?:his|her|their|the) ", "", test, flags=re.I)
    test = re.sub(r"\bof (?:his|her|their|the patient's) ", "of the ", test, flags=re.I)
    verb = match.group("verb").lower()
    finding = match.group("finding").strip(" ,")
    finding = re.sub(
        r"^(?:that |to be |like |there(?:'s| is| are| was| were) |(?:he|she|the patient|they) "
        r"(?:has|have|had) )+",
        "",
        finding,
        flags=re.I,
    )
    if verb in ("is", "was", "were", "are") and len(finding.split()) < 1:
        return _cap(body)
    said = _VERB.get(verb, verb)
    if said in ("is", "was") and re.match(
        r"(?:no|an?(?! little| bit)|some|mild|moderate|severe)\b", finding
    ):
        said = "demonstrates"  # "X-ray is no fractures" reads "X-ray demonstrates no fractures"
    out = f"{_cap(test)} {said} {finding}"
    return out if out.endswith((".", "!", "?")) else out + "."


_ABOUT = re.compile(
    r"\b(?:normal|abnormal|fractures?|elevated|high|low|negative|positive|shows?|showed|"
    r"reveal\w*|demonstrat\w*|looks?|looked|see|saw|came back|stable|unchanged|unremarkable|"
    r"within normal limits)\b",
    re.IGNORECASE,
)
_LEAD_IN = re.compile(
    r"\b(?:review(?:ed|ing)?|look(?:ed|ing)? at|went over|go over|we did|you had|you got)\s+"
    r"(?:\w+\s+){0,3}?$",
    re.IGNORECASE,
)
_CUT = re.compile(
    r"\s(?:so|which is good|um|uh|okay|alright|let's|now|how|do you|does that|any questions|"
    r"gives us|is going to|will)\b|[.?!;]",
    re.IGNORECASE,
)
MAX_WORDS = 30


def result_span(text: str) -> tuple[int, int] | None:
    """Where a long run of unpunctuated speech talks about a test and its finding.

    Used when no sentence was classed as results: the span starts at the test (or the
    "review the"/"look at" before it) and ends at the next pause word or after MAX_WORDS.
    """
    for match in _TEST_RE.finditer(text):
        before = text[max(0, match.start() - 40) : match.start()]
        lead = _LEAD_IN.search(before)
        start = match.start() - (len(before) - lead.start()) if lead else match.start()
        rest = text[match.end() :]
        words = list(re.finditer(r"\S+", rest))[:MAX_WORDS]
        if not words:
            continue
        end = match.end() + words[-1].end()
        cut = _CUT.search(text, match.end() + 1, end)
        if cut is not None and cut.start() - match.end() > 12:
            end = cut.start()
        if _ABOUT.search(text, match.end(), min(end, match.end() + 80)):
            return start, end
    return None
