"""Which sentence of a note mentions a study: its modality in words, or its body part.

A dictated impression ("the chest film shows ...") lands in the note's results or assessment
section; a note with an attached study links the first sentence there that names the study's
modality ("film", "CT", "MRI", "ultrasound", "ECG") or body part ("chest"). Plain word
matching, nothing cleverer: it is a link for the reader, not a fact in the record.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MODALITY_WORDS: dict[str, tuple[str, ...]] = {
    "CT": ("ct", "cat scan", "computed tomography"),
    "MR": ("mri", "mr", "magnetic resonance"),
    "CR": ("x-ray", "xray", "x ray", "film", "radiograph", "cxr"),
    "DX": ("x-ray", "xray", "x ray", "film", "radiograph", "cxr"),
    "DR": ("x-ray", "xray", "x ray", "film", "radiograph"),
    "RG": ("x-ray", "xray", "film", "radiograph"),
    "US": ("ultrasound", "sonogram", "sonography", "echo"),
    "MG": ("mammogram", "mammography"),
    "PT": ("pet", "pet scan"),
    "NM": ("nuclear medicine", "bone scan"),
    "XA": ("angiogram", "angiography"),
    "ECG": ("ecg", "ekg", "electrocardiogram"),
}
# Sections a dictated finding or impression lands in, searched in this order.
SECTIONS = ("results", "objective", "assessment", "assessment_and_plan", "exam", "labs")
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]?")


@dataclass(frozen=True)
class Mention:
    section: str
    begin: int
    end: int


def _terms(modalities: list[str], body_part: str | None) -> list[str]:
    words = [w for m in modalities for w in MODALITY_WORDS.get(m.upper(), ())]
    if body_part:
        words.append(body_part.replace("_", " ").casefold())
    return words


def find(
    sections: list[tuple[str, str]], modalities: list[str], body_part: str | None
) -> Mention | None:
    """The first sentence (section key, character span) that mentions the study, if any."""
    terms = _terms(modalities, body_part)
    if not terms:
        return None
    pattern = re.compile(r"\b(" + "|".join(re.escape(t) for t in terms) + r")\b", re.IGNORECASE)
    by_key = dict(sections)
    for key in SECTIONS:
        text = by_key.get(key) or ""
        for sentence in _SENTENCE.finditer(text):
            if pattern.search(sentence.group(0)):
                begin = sentence.start() + len(sentence.group(0)) - len(sentence.group(0).lstrip())
                return Mention(key, begin, sentence.end())
    return None
