"""Which of a signed note's facts go to the OpenEMR chart's lists: those the clinician accepted."""

from __future__ import annotations

from clinscribe.notes.core import Entity, NoteContent, Problem
from clinscribe.openemr.core.lists import Coded, ListItem, list_items
from clinscribe.review import decisions

_NOT_TAKEN = frozenset({"NEGATION", "HYPOTHETICAL"})


def accepted_list_items(content: NoteContent) -> list[ListItem]:
    """`lists` items for the problems and medications marked accepted (undecided ones stay out:
    a problem list is curated, and only an explicit accept is a clinician's word on a fact)."""
    problems: list[Coded] = []
    medications: list[Coded] = []
    for fact in decisions.listing(content):
        if fact.decision != "accepted":
            continue
        item = fact.fact
        if isinstance(item, Problem):
            codes = (("ICD10", item.code),) if item.code else ()
            problems.append(Coded(item.text, codes))
        elif isinstance(item, Entity) and not set(item.traits) & _NOT_TAKEN:
            medications.append(Coded(item.text))
    # What the note says about allergies: an Allergies section, or the allergy sentences a
    # template without one (SOAP) files under Subjective.
    allergies = [s.text for s in content.sections if s.key == "allergies"]
    allergies += [
        sentence.text
        for section in content.sections
        if section.key != "allergies"
        for sentence in section.sentences
        if sentence.kind == "allergies"
    ]
    return list_items(problems, medications, " ".join(allergies))
