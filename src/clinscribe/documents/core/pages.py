"""The shapes every records stage shares: a page's text, its words, and a citation into it.

Extraction produces `PageText`; lab parsing, chunking for retrieval and report drafting read it
and point back into it with `Citation`, so a sentence in a report can always be traced to the
characters of the page it came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

PageSource = Literal["text_layer", "ocr", "plain_text"]

# Tesseract reports word confidence 0-100; below this a word (and any number in it) is not
# trusted without review.
LOW_CONFIDENCE = 80.0


@dataclass(frozen=True)
class PageWord:
    """One word of a page: its characters in `PageText.text`, and for OCR its confidence."""

    text: str
    begin: int
    end: int
    confidence: float | None = None  # 0-100; None for a text layer (exact by construction)
    bbox: tuple[int, int, int, int] | None = None  # left, top, right, bottom in page pixels

    @property
    def low_confidence(self) -> bool:
        return self.confidence is not None and self.confidence < LOW_CONFIDENCE


@dataclass(frozen=True)
class PageText:
    """The text of one page (1-based `number`) and where it came from."""

    number: int
    text: str
    source: PageSource
    words: tuple[PageWord, ...] = field(default_factory=tuple)
    # For OCR pages: (width, height) in pixels of the page image the word boxes refer to (the
    # image as uploaded, or the PDF page rendered at the OCR resolution), so a viewer can scale
    # the boxes onto a rendering of any size.
    image_size: tuple[int, int] | None = None

    def low_confidence_spans(self) -> list[tuple[int, int]]:
        """Character ranges of words the OCR engine was unsure of."""
        return [(w.begin, w.end) for w in self.words if w.low_confidence]

    def is_uncertain(self, begin: int, end: int) -> bool:
        """Whether any low-confidence word overlaps the characters [begin, end)."""
        return any(b < end and begin < e for b, e in self.low_confidence_spans())


@dataclass(frozen=True)
class Citation:
    """A span of one page of one document: what every extracted fact and report sentence cites."""

    document_id: str
    page: int
    begin: int
    end: int
