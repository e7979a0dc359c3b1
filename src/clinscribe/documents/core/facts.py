"""One call from extracted pages to everything structured in them (what the ingest job runs)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from clinscribe.documents.core.labs import LabResult
from clinscribe.documents.core.letters import LetterFacts
from clinscribe.documents.core.pages import PageText

DocumentKind = Literal["lab_report", "clinic_letter", "discharge_summary", "lab_slip", "other"]


@dataclass(frozen=True)
class DocumentFacts:
    """The kind and date of a document, its lab results and (for letters) its clinical facts."""

    kind: DocumentKind
    date: date | None  # collection date of a lab report, letter or discharge date otherwise
    labs: list[LabResult] = field(default_factory=list)
    letter: LetterFacts | None = None


def analyse_document(pages: Sequence[PageText], *, document_id: str = "") -> DocumentFacts:
    """Classify the document and extract its labs and letter facts, each citing its page span."""
    raise NotImplementedError
