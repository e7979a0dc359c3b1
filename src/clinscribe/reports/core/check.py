"""The notes' faithfulness check, held against the cited pages instead of a transcript.

Each cited page becomes one "segment" of the evidence the notes check reads, with the clinical
entities of that page, so a report sentence is flagged exactly as a note sentence would be:
a number, drug or problem, or a negation, that its cited spans do not hold.
"""

from __future__ import annotations

from clinscribe.nlp.core import Extraction, extract
from clinscribe.notes.core.faithfulness import check_sentences
from clinscribe.notes.core.schemas import Note
from clinscribe.notes.core.units import Prepared
from clinscribe.reports.core.sources import ReportSources


def prepared_for(note: Note, sources: ReportSources) -> Prepared:
    """Evidence text and entities for every page the note's sentences cite."""
    segments: dict[int, tuple[str, int]] = {}
    for section in note.sections:
        for sentence in section.sentences:
            for ev in sentence.evidence:
                if ev.document_id is None or ev.page is None:
                    continue
                segments.setdefault(ev.segment, (ev.document_id, ev.page))
    segment_text: dict[int, str] = {}
    entities = []
    entity_segments: list[int] = []
    for segment, (document_id, number) in sorted(segments.items()):
        page = sources.page(document_id, number)
        text = page.text if page else ""
        segment_text[segment] = text
        found = extract(text).entities if text.strip() else []
        entities.extend(found)
        entity_segments.extend([segment] * len(found))
    return Prepared(
        units=[],
        extraction=Extraction(entities=entities),
        segment_text=segment_text,
        dialogue=False,
        entity_segments=entity_segments,
        original=Extraction(entities=entities),
    )


def check(note: Note, sources: ReportSources) -> Note:
    """Set every sentence's flags and the note's faithfulness share; returns the note."""
    prepared = prepared_for(note, sources)
    sentences = [s for section in note.sections for s in section.sentences]
    note.faithfulness = check_sentences(sentences, prepared)
    for section in note.sections:
        section.unsupported = sum(1 for s in section.sentences if s.flags)
    return note
