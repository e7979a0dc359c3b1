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
    allergies = " ".join(s.text for s in content.sections if s.key == "allergies")
    return list_items(problems, medications, allergies)
