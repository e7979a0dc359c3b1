"""Gaps in a transcript are missing information in the draft, shown where the reviewer reads.

The speech engine marks speech it heard but could not turn into words as a gap segment (no
text, flagged ``speech_gap``, timed). Drafting only sees text, so without this the sentences
either side of a gap would read as if nothing had been said between them. Each gap becomes a
visible marker line in the section the speech before it went to (the one after it when nothing
before it was drafted; the first section when nothing was), for the reviewer to complete from
the audio. Markers are section text, not note sentences: they claim no fact, so faithfulness
figures are unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence

from clinscribe.asr.core.coverage import GAP_FLAG
from clinscribe.asr.core.schemas import Segment
from clinscribe.notes.core.content import render_text
from clinscribe.notes.core.schemas import NoteSection


def gap_marker(start: float, end: float) -> str:
    """The marker text of one gap (the web UI's transcript view shows the same words)."""
    return f"[speech not recognised {start:.1f}\u2013{end:.1f} s]"


def _home(gap: Segment, segments: Sequence[Segment], sections: Sequence[NoteSection]) -> int:
    """Index of the section that holds evidence from the nearest segment before the gap,
    else after it, else the first section."""
    by_segment: dict[int, int] = {}
    for index, section in enumerate(sections):
        for evidence in section.evidence:
            by_segment.setdefault(evidence.segment, index)
    spoken = [s for s in segments if GAP_FLAG not in s.flags and s.id in by_segment]
    before = [s for s in spoken if s.start <= gap.start]
    after = [s for s in spoken if s.start > gap.start]
    if before:
        return by_segment[before[-1].id]
    if after:
        return by_segment[after[0].id]
    return 0


def mark_gaps(
    sections: list[NoteSection], segments: Sequence[Segment]
) -> tuple[list[NoteSection], str]:
    """The sections with a marker line for each transcript gap, and the note text rendered."""
    gaps = [s for s in segments if GAP_FLAG in s.flags]
    if not gaps or not sections:
        return sections, render_text(sections)
    marked = [s.model_copy() for s in sections]
    for gap in sorted(gaps, key=lambda s: s.start):
        home = marked[_home(gap, segments, sections)]
        marker = gap_marker(gap.start, gap.end)
        home.text = f"{home.text}\n{marker}" if home.text else marker
    return marked, render_text(marked)
