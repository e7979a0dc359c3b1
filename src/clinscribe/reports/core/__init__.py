"""The pure part of the Client Health Report: drafting cited sentences and checking them.

draft_report(sources) -> Note      # sections with sentence-level page citations
check(note, sources) -> Note       # the notes' faithfulness check against cited pages
"""

from clinscribe.reports.core.check import check, prepared_for
from clinscribe.reports.core.dates import find_printed, renderings
from clinscribe.reports.core.drafter import SECTIONS, TEMPLATE, draft_report
from clinscribe.reports.core.errors import NothingToReportError
from clinscribe.reports.core.pdf import render_pdf
from clinscribe.reports.core.refine import chr_template, refine_report
from clinscribe.reports.core.sources import LabEntry, LetterEntry, ReportSources, SourcePage

__all__ = [
    "SECTIONS",
    "TEMPLATE",
    "LabEntry",
    "LetterEntry",
    "NothingToReportError",
    "ReportSources",
    "SourcePage",
    "check",
    "chr_template",
    "draft_report",
    "find_printed",
    "prepared_for",
    "refine_report",
    "render_pdf",
    "renderings",
]
