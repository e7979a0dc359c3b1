"""Render a report's sections as a plain, paginated PDF (fpdf2, core fonts, no network)."""

from __future__ import annotations

from collections.abc import Sequence

from fpdf import FPDF

_MARGIN = 18


def _latin1(text: str) -> str:
    # The PDF core fonts cover Latin-1; anything else becomes "?" rather than failing.
    replaced = text.replace("\u2192", "->").replace("\u2013", "-").replace("\u2014", "-")
    return replaced.encode("latin-1", "replace").decode("latin-1")


def render_pdf(title: str, sections: Sequence[tuple[str, str]], *, footer: str = "") -> bytes:
    """A PDF with the title, then each section's heading and text."""
    pdf = FPDF(format="A4")
    pdf.set_margins(_MARGIN, _MARGIN, _MARGIN)
    pdf.set_auto_page_break(auto=True, margin=_MARGIN)
    pdf.set_title(_latin1(title))
    pdf.add_page()
    pdf.set_font("Helvetica", style="B", size=16)
    pdf.multi_cell(0, 9, _latin1(title), new_x="LMARGIN", new_y="NEXT")
    if footer:
        pdf.set_font("Helvetica", size=9)
        pdf.multi_cell(0, 5, _latin1(footer), new_x="LMARGIN", new_y="NEXT")
    for heading, text in sections:
        pdf.ln(4)
        pdf.set_font("Helvetica", style="B", size=12)
        pdf.multi_cell(0, 7, _latin1(heading.upper()), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", size=10)
        for line in text.splitlines() or [""]:
            pdf.multi_cell(0, 5.5, _latin1(line), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
