"""Split a document's pages into overlapping chunks that keep their page and character offsets.

A chunk is about a paragraph or a block of table rows: small enough that one embedding says
what it is about, large enough to hold an analyte with its value, unit and range. Chunks never
cross pages, so a hit always cites one page, and `text == page.text[begin:end]`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from clinscribe.documents.core.pages import PageText

# ~150-200 word pieces: inside MiniLM's 256-token window with room to spare.
MAX_CHARS = 700
# Lines repeated at the start of the next chunk, so a row next to a cut is found in both.
OVERLAP_LINES = 2
_BLANK = re.compile(r"\n[ \t]*\n+")
_LINE = re.compile(r"[^\n]*\n|[^\n]+$")


@dataclass(frozen=True)
class Chunk:
    """A span of one page of one document."""

    document_id: str
    page: int
    begin: int
    end: int
    text: str
    ordinal: int  # position of the chunk within its document, from 0


def _blocks(text: str) -> list[tuple[int, int]]:
    """Paragraph spans (separated by blank lines), whitespace trimmed."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in [*_BLANK.finditer(text), None]:
        stop = match.start() if match else len(text)
        piece = text[start:stop]
        if piece.strip():
            lead = len(piece) - len(piece.lstrip())
            spans.append((start + lead, start + len(piece.rstrip())))
        if match:
            start = match.end()
    return spans


def _lines(text: str, begin: int, end: int) -> list[tuple[int, int]]:
    out = []
    for m in _LINE.finditer(text, begin, end):
        b, e = m.start(), min(m.end(), end)
        if text[b:e].strip():
            out.append((b, e))
    return out


def _windows(text: str, begin: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    """Cut a long block at line ends into windows that overlap by a few lines."""
    lines = _lines(text, begin, end)
    windows: list[tuple[int, int]] = []
    i = 0
    while i < len(lines):
        j = i
        while j + 1 < len(lines) and lines[j + 1][1] - lines[i][0] <= max_chars:
            j += 1
        b, e = lines[i][0], lines[j][1]
        if e - b > max_chars:  # one very long line: cut it by characters
            for s in range(b, e, max_chars):
                windows.append((s, min(s + max_chars, e)))
        else:
            windows.append((b, e))
        if j + 1 >= len(lines):
            break
        i = max(j + 1 - OVERLAP_LINES, i + 1)
    return windows


def _short(span: tuple[int, int], max_chars: int) -> bool:
    return span[1] - span[0] < max_chars // 2


def _trim(text: str, begin: int, end: int) -> tuple[int, int]:
    piece = text[begin:end]
    lead = len(piece) - len(piece.lstrip())
    return begin + lead, begin + len(piece.rstrip())


def chunk_pages(
    document_id: str, pages: Sequence[PageText], *, max_chars: int = MAX_CHARS
) -> list[Chunk]:
    """Chunks of every page in order; small neighbouring paragraphs are merged up to `max_chars`."""
    if max_chars < 50:
        raise ValueError("max_chars must be at least 50")
    chunks: list[Chunk] = []
    for page in pages:
        text = page.text
        spans: list[tuple[int, int]] = []
        for b, e in _blocks(text):
            if e - b > max_chars:
                spans.extend(_windows(text, b, e, max_chars))
            elif spans and e - spans[-1][0] <= max_chars and _short(spans[-1], max_chars):
                # A short paragraph joins the previous short chunk when both fit together.
                spans[-1] = (spans[-1][0], e)
            else:
                spans.append((b, e))
        for b, e in spans:
            b, e = _trim(text, b, e)
            if e > b:
                chunks.append(Chunk(document_id, page.number, b, e, text[b:e], len(chunks)))
    return chunks
