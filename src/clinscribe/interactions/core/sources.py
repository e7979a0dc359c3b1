"""Interaction sources by name: settings pick one, a site registers its own knowledge base."""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from clinscribe.errors import ConfigError
from clinscribe.interactions.core.curated import CuratedSource
from clinscribe.interactions.core.model import InteractionSource

SourceFactory = Callable[[], InteractionSource]
DEFAULT_SOURCE: Final = "curated"
_FACTORIES: dict[str, SourceFactory] = {DEFAULT_SOURCE: CuratedSource}


def register_source(name: str, factory: SourceFactory) -> None:
    """Make a source available under ``name`` (e.g. a commercial knowledge base adapter)."""
    _FACTORIES[name] = factory


def unregister_source(name: str) -> None:
    if name != DEFAULT_SOURCE:
        _FACTORIES.pop(name, None)


def available_sources() -> tuple[str, ...]:
    return tuple(sorted(_FACTORIES))


def build_source(name: str) -> InteractionSource:
    """The source registered under ``name``; an unknown name is a configuration error."""
    factory = _FACTORIES.get(name)
    if factory is None:
        known = ", ".join(available_sources())
        raise ConfigError(f"unknown interaction source {name!r} (known: {known})")
    return factory()
