"""Ordinary English words, to tell names and misspelt drugs from everyday vocabulary."""

from __future__ import annotations

import functools
import importlib
from collections.abc import Iterable
from pathlib import Path

from clinscribe.nlp.core.engine import SPACY_MODEL


def _model_dirs(paths: Iterable[str]) -> Iterable[Path]:
    for path in paths:
        yield from (p for p in Path(path).iterdir() if p.is_dir())


@functools.lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """Word forms from the spaCy model's lemma tables plus stop words (about a second)."""
    from spacy.lang.en.stop_words import STOP_WORDS
    from spacy.lookups import Lookups

    module = importlib.import_module(SPACY_MODEL)
    base = next(p for p in _model_dirs(module.__path__) if (p / "lemmatizer").is_dir())
    tables = Lookups().from_disk(base / "lemmatizer" / "lookups")
    words: set[str] = set(STOP_WORDS)
    for values in tables.get_table("lemma_index").values():
        words.update(str(w) for w in values)
    return frozenset(words)


def is_english(word: str) -> bool:
    """True for an English word or a regular inflection of one ("infections", "walking")."""
    words = english_words()
    if word in words:
        return True
    for suffix, repl in (
        ("s", ""),
        ("es", ""),
        ("ies", "y"),
        ("ing", ""),
        ("ing", "e"),
        ("ed", ""),
        ("ed", "e"),
    ):
        if word.endswith(suffix) and word[: -len(suffix)] + repl in words:
            return True
    return False
