"""Heavy engines, built from settings once per process and shared by every job thread."""

from __future__ import annotations

from functools import lru_cache

from clinscribe.asr.core import FasterWhisperConfig, FasterWhisperEngine
from clinscribe.asr.core.engine import BUNDLED_MODEL, AsrEngine
from clinscribe.config import Settings


@lru_cache(maxsize=4)
def _whisper(model: str, device: str, compute_type: str, threads: int) -> FasterWhisperEngine:
    config = FasterWhisperConfig(model=model, device=device, compute_type=compute_type)
    if threads:
        config = config.model_copy(update={"cpu_threads": threads})
    engine = FasterWhisperEngine(config)
    engine.load()
    return engine


def asr_engine(settings: Settings) -> AsrEngine:
    """The configured offline speech engine, loaded lazily and once per process.

    The remote (OpenAI-compatible) engine exists in `asr/` but is not offered to jobs until
    the tenant PHI egress policy and its audit are in place.
    """
    model = BUNDLED_MODEL if settings.asr_model == "bundled" else settings.asr_model
    return _whisper(model, settings.asr_device, settings.asr_compute_type, settings.asr_cpu_threads)


def remote_asr_engine(settings: Settings) -> AsrEngine | None:
    """The configured OpenAI-compatible transcription endpoint, if there is one."""
    if not settings.asr_remote_base_url:
        return None
    from clinscribe.asr.core import OpenAICompatibleConfig, OpenAICompatibleEngine

    return OpenAICompatibleEngine(
        OpenAICompatibleConfig(
            base_url=settings.asr_remote_base_url,
            model=settings.asr_remote_model,
            api_key=settings.asr_remote_api_key,
        )
    )
