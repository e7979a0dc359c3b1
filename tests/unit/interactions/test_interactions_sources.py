"""The source behind the checker is chosen by settings, so a site can plug its own."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pytest

from clinscribe.config import Settings
from clinscribe.errors import ConfigError
from clinscribe.interactions.checks import checker_from_settings
from clinscribe.interactions.core.model import (
    Finding,
    FindingKind,
    InteractionSource,
    Pair,
    Severity,
    SourceInfo,
)
from clinscribe.interactions.core.sources import (
    DEFAULT_SOURCE,
    available_sources,
    register_source,
    unregister_source,
)

_SITE = SourceInfo(name="site-kb", licence="commercial", version="7.1")


class SiteKnowledgeBase:
    """A stand-in for a commercial knowledge base adapter: it knows one pair only."""

    def __init__(self) -> None:
        self.asked: list[Pair] = []

    @property
    def info(self) -> SourceInfo:
        return _SITE

    def knows(self, generic: str) -> bool:
        return generic in {"levothyroxine", "calcium carbonate"}

    def findings(self, pairs: Sequence[Pair]) -> list[Finding]:
        self.asked.extend(pairs)
        return [
            Finding(p.kind, p.a, p.b, Severity.MODERATE, "Chelation lowers absorption.", _SITE)
            for p in pairs
            if p.kind is FindingKind.DRUG_DRUG
            and {p.a, p.b} == {"levothyroxine", "calcium carbonate"}
        ]


@pytest.fixture
def site_source() -> Iterator[SiteKnowledgeBase]:
    source = SiteKnowledgeBase()
    register_source("site-kb", lambda: source)
    yield source
    unregister_source("site-kb")


def test_default_setting_is_the_open_source() -> None:
    assert Settings().interactions_source == DEFAULT_SOURCE
    checker = checker_from_settings(Settings())
    assert checker.source.info.name == "clinscribe-curated"
    assert isinstance(checker.source, InteractionSource)


def test_setting_swaps_the_source(
    site_source: SiteKnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLINSCRIBE_INTERACTIONS_SOURCE", "site-kb")
    checker = checker_from_settings(Settings())
    assert checker.source is site_source
    result = checker.check(["levothyroxine", "calcium carbonate", "warfarin", "ibuprofen"])
    # Only the site's knowledge answers: the curated warfarin + NSAID rule is not consulted.
    assert [(f.drug_a, f.drug_b, f.source.name) for f in result.findings] == [
        ("levothyroxine", "calcium carbonate", "site-kb")
    ]
    kinds = {p.kind for p in site_source.asked}
    assert kinds == {FindingKind.DRUG_DRUG, FindingKind.DUPLICATE_THERAPY}
    assert "site-kb" in available_sources()


def test_allergies_go_through_the_same_source(site_source: SiteKnowledgeBase) -> None:
    checker = checker_from_settings(Settings(interactions_source="site-kb"))
    checker.check(["levothyroxine"], ["penicillin"])
    assert [(p.kind, p.a, p.b) for p in site_source.asked] == [
        (FindingKind.DRUG_ALLERGY, "penicillins", "levothyroxine")
    ]


def test_unknown_source_is_a_configuration_error() -> None:
    with pytest.raises(ConfigError, match="unknown interaction source 'nope'"):
        checker_from_settings(Settings(interactions_source="nope"))


def test_the_default_source_cannot_be_unregistered() -> None:
    unregister_source(DEFAULT_SOURCE)
    assert DEFAULT_SOURCE in available_sources()
