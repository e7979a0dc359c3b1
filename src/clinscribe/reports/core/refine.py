"""Optional LLM refinement of a drafted CHR through the notes' OpenAI-compatible adapter.

The cited pages are handed to the adapter as the "transcript" it refines against (one
segment per page, numbered as the draft's citations are), so its replies cite pages by
segment, pass the same faithfulness check, and get their document and page back here.
"""

from __future__ import annotations

from clinscribe.asr.core.schemas import Segment, Transcript
from clinscribe.notes.core.llm import ChatClient, EgressPolicy, refine_with_llm
from clinscribe.notes.core.schemas import Note, Template, TemplateSection
from clinscribe.reports.core.check import check, prepared_for
from clinscribe.reports.core.drafter import SECTIONS, TEMPLATE
from clinscribe.reports.core.sources import ReportSources

_INSTRUCTIONS = {
    "summary": "Two or three sentences: the main problems and the results outside range.",
    "labs": "Keep every value, unit, flag and date exactly as printed on the page.",
    "follow_up": "Only what the documents say needs doing, or results still out of range.",
}


def chr_template() -> Template:
    """The CHR's sections as a template the refinement prompt can show the model."""
    return Template(
        key=TEMPLATE,
        title="Client Health Report",
        sections=[
            TemplateSection(
                key=key, title=title, instruction=_INSTRUCTIONS.get(key, ""), fact_kinds=[kind]
            )
            for key, title, kind in SECTIONS
        ],
    )


def refine_report(
    note: Note, sources: ReportSources, client: ChatClient, policy: EgressPolicy
) -> Note:
    """The model's rewrite, each sentence citing whole pages, checked against those pages."""
    prepared = prepared_for(note, sources)
    pages = {
        ev.segment: (ev.document_id, ev.page)
        for section in note.sections
        for sentence in section.sentences
        for ev in sentence.evidence
    }
    transcript = Transcript(
        text="\n".join(prepared.segment_text.values()),
        duration=0.0,
        engine="documents",
        model="",
        segments=[
            Segment(id=i, start=0.0, end=0.0, text=text)
            for i, text in sorted(prepared.segment_text.items())
        ],
    )
    refined = refine_with_llm(note, transcript, client, policy, template=chr_template())
    for section in refined.sections:
        for sentence in section.sentences:
            for ev in sentence.evidence:
                ev.document_id, ev.page = pages.get(ev.segment, (None, None))
        section.evidence = [ev for s in section.sentences for ev in s.evidence]
    return check(refined, sources)
