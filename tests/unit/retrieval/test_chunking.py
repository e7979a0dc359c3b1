from __future__ import annotations

import itertools

import pytest

from clinscribe.documents.core.pages import PageText
from clinscribe.retrieval.core import chunk_pages

LAB_ROWS = "\n".join(f"ANALYTE {i:02d}    {i}.{i} mg/dL    1.0-9.9" for i in range(60))


def _page(n: int, text: str) -> PageText:
    return PageText(number=n, text=text, source="text_layer")


def test_chunks_keep_page_and_exact_offsets() -> None:
    pages = [
        _page(1, "Clinic letter\n\nDear colleague,\nthank you for seeing her.\n\n" + LAB_ROWS),
        _page(2, "  Plan: start rosuvastatin 10 mg once daily.  \n"),
    ]
    chunks = chunk_pages("doc-1", pages, max_chars=400)
    assert {c.page for c in chunks} == {1, 2}
    for c in chunks:
        page = pages[c.page - 1]
        assert c.text == page.text[c.begin : c.end]
        assert c.text == c.text.strip() and c.text
        assert len(c.text) <= 400
        assert c.document_id == "doc-1"
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))
    assert chunks[-1].text == "Plan: start rosuvastatin 10 mg once daily."


def test_long_tables_are_windowed_with_overlapping_rows() -> None:
    chunks = chunk_pages("d", [_page(1, LAB_ROWS)], max_chars=300)
    assert len(chunks) > 3
    # Every row is in some chunk, and neighbouring windows share rows.
    for line in LAB_ROWS.splitlines():
        assert any(line in c.text for c in chunks)
    for a, b in itertools.pairwise(chunks):
        assert b.begin < a.end


def test_short_paragraphs_merge_and_blank_pages_give_nothing() -> None:
    text = "Allergies: penicillin (rash).\n\nSmoker: never.\n\nAlcohol: rarely."
    chunks = chunk_pages("d", [_page(1, text), _page(2, "   \n\n  ")])
    assert len(chunks) == 1
    assert chunks[0].text == text


def test_one_very_long_line_is_cut_by_characters() -> None:
    chunks = chunk_pages("d", [_page(1, "x" * 1000)], max_chars=300)
    assert [len(c.text) for c in chunks] == [300, 300, 300, 100]


def test_a_too_small_chunk_size_is_refused() -> None:
    with pytest.raises(ValueError, match="max_chars"):
        chunk_pages("d", [_page(1, "text")], max_chars=10)
