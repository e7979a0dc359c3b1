"""The NLP engines the settings configure (`nlp_context_engine`, `nlp_phi_engine`)."""

from __future__ import annotations

from clinscribe.config import Settings
from clinscribe.nlp.core.engine import NlpEngineConfig, NlpEngineProvider


def nlp_engines(settings: Settings) -> NlpEngineProvider:
    """The provider of the configured engines (cheap: engines are built once per process)."""
    return NlpEngineProvider(
        NlpEngineConfig(context=settings.nlp_context_engine, phi=settings.nlp_phi_engine)
    )
