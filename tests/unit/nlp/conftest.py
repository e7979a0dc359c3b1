"""Load the NLP engines once per test session (they are cached per process)."""

from __future__ import annotations

import pytest

from clinscribe.nlp import core as nlp


@pytest.fixture(scope="session", autouse=True)
def _warm_engines() -> None:
    nlp.warm_up(phi=True)


def entity(result: nlp.Extraction, text: str) -> nlp.Entity:
    """The first entity whose text is `text` (case-insensitive)."""
    for found in result.entities:
        if found.text.lower() == text.lower():
            return found
    raise AssertionError(f"no entity {text!r} in {[e.text for e in result.entities]}")
