"""Offline note drafting: transcript → template sections with evidence and faithfulness."""

from __future__ import annotations

from collections.abc import Sequence

from clinscribe.asr.core.schemas import Segment, Transcript
from clinscribe.nlp.core import Extraction
from clinscribe.notes.core.content import render_text
from clinscribe.notes.core.errors import EmptyTranscriptError
from clinscribe.notes.core.facts import draft_facts
from clinscribe.notes.core.faithfulness import check_sentences
from clinscribe.notes.core.gaps import mark_gaps
from clinscribe.notes.core.schemas import (
    Evidence,
    FactKind,
    Note,
    NoteSection,
    NoteSentence,
    Template,
)
from clinscribe.notes.core.templates import resolve_template
from clinscribe.notes.core.units import prepare

# Kinds whose sentences read as a list (one per line); the rest are paragraphs.
_LIST_KINDS: frozenset[FactKind] = frozenset({"vitals", "medications", "assessment", "ros"})


def assemble(template: Template, sentences: list[NoteSentence]) -> tuple[list[NoteSection], str]:
    """Place sentences into the template's sections and render the note text (`render_text`)."""
    home: dict[FactKind, int] = {}
    for idx, section in enumerate(template.sections):
        for kind in section.fact_kinds:
            home.setdefault(kind, idx)
    buckets: list[list[NoteSentence]] = [[] for _ in template.sections]
    for sentence in sentences:
        if sentence.kind in home:
            buckets[home[sentence.kind]].append(sentence)
    sections: list[NoteSection] = []
    for section, bucket in zip(template.sections, buckets, strict=True):
        ordered = sorted(bucket, key=lambda s: section.fact_kinds.index(s.kind))
        lines: list[str] = []
        last: FactKind | None = None
        for s in ordered:
            marked = s.text if s.supported else f"{s.text} [unsupported]"
            if lines and last == s.kind and s.kind not in _LIST_KINDS:
                lines[-1] += " " + marked
            else:
                lines.append(marked)
            last = s.kind
        text = "\n".join(lines)
        evidence: list[Evidence] = []
        for s in ordered:
            evidence.extend(e for e in s.evidence if e not in evidence)
        sections.append(
            NoteSection(
                key=section.key,
                title=section.title,
                text=text,
                evidence=evidence,
                sentences=ordered,
                unsupported=sum(not s.supported for s in ordered),
            )
        )
    return sections, render_text(sections)


def draft_from_segments(
    segments: Sequence[Segment],
    template: Template | str = "soap",
    *,
    extraction: Extraction | None = None,
) -> Note:
    """Draft a note from transcript segments (see `draft_note`)."""
    resolved = resolve_template(template)
    usable = [s for s in segments if s.text.strip()]
    if not usable:
        raise EmptyTranscriptError("the transcript has no text to draft a note from")
    prepared = prepare(usable, extraction)
    drafted = draft_facts(prepared)
    sentences = _dedupe(drafted.sentences)
    faithfulness = check_sentences(sentences, prepared)
    sections, text = mark_gaps(assemble(resolved, sentences)[0], segments)
    return Note(
        template=resolved.key,
        sections=sections,
        text=text,
        entities=prepared.original.entities,
        vitals=prepared.original.vitals,
        problems=drafted.problems,
        faithfulness=faithfulness,
    )


def draft_note(
    transcript: Transcript,
    template: Template | str = "soap",
    *,
    extraction: Extraction | None = None,
) -> Note:
    """Draft a note offline (no LLM) from a transcript, with evidence for every sentence.

    ``extraction``, when given, must have been computed on ``joined_text(transcript.segments)``;
    entity and vital offsets in the Note refer to that text.
    """
    return draft_from_segments(transcript.segments, template, extraction=extraction)


def _dedupe(sentences: list[NoteSentence]) -> list[NoteSentence]:
    seen: set[tuple[str, str]] = set()
    out = []
    for s in sentences:
        key = (s.kind, s.text.lower())
        if key not in seen:
            seen.add(key)
            out.append(s)
    return out
