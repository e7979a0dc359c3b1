"""Settings to a ready checker: the one entry point services and the CLI use (no I/O)."""

from __future__ import annotations

from clinscribe.config import Settings
from clinscribe.interactions.core.checker import InteractionChecker
from clinscribe.interactions.core.names import NameResolver
from clinscribe.interactions.core.sources import build_source
from clinscribe.nlp.core.drugs import load_drug_lexicon


def checker_from_settings(settings: Settings) -> InteractionChecker:
    """A checker over the source ``CLINSCRIBE_INTERACTIONS_SOURCE`` names."""
    source = build_source(settings.interactions_source)
    return InteractionChecker(source, NameResolver(load_drug_lexicon()))
