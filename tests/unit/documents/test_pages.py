"""Page text knows which of its characters OCR was unsure of."""

from __future__ import annotations

from clinscribe.documents.core.pages import PageText, PageWord


def test_a_span_overlapping_a_low_confidence_word_is_uncertain() -> None:
    page = PageText(
        number=1,
        text="Glucose 142 mg/dL",
        source="ocr",
        words=(
            PageWord("Glucose", 0, 7, confidence=96.0),
            PageWord("142", 8, 11, confidence=41.0),
            PageWord("mg/dL", 12, 17, confidence=90.0),
        ),
    )
    assert page.low_confidence_spans() == [(8, 11)]
    assert page.is_uncertain(8, 11)
    assert page.is_uncertain(0, 9)
    assert not page.is_uncertain(0, 7)
    assert not page.is_uncertain(12, 17)


def test_a_text_layer_word_is_never_low_confidence() -> None:
    page = PageText(1, "LDL 96", "text_layer", (PageWord("96", 4, 6),))
    assert page.low_confidence_spans() == []
