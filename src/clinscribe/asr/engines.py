"""The speech-engine factory: which engines the settings configure, each built once per process.

Modelled on Presidio's `NlpEngineProvider`: engines are registered by name, the settings name
the local engine (`asr_local_engine`, default "faster-whisper") and configure the optional
OpenAI-compatible remote one, and callers ask `AsrEngineProvider(settings)` for an engine by
role (local, remote, live) instead of constructing engine classes themselves. Built engines are
cached by what they are built from, so every job thread and live session of a process shares
one loaded model per configuration.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from clinscribe.asr.core.engine import (
    AsrEngine,
    FasterWhisperConfig,
    FasterWhisperEngine,
    StreamingAsrEngine,
)
from clinscribe.asr.core.errors import ModelUnavailableError
from clinscribe.asr.core.models import resolve_model, resolve_model_path
from clinscribe.asr.core.openai_engine import OpenAICompatibleConfig, OpenAICompatibleEngine
from clinscribe.config import Settings


@dataclass(frozen=True)
class LocalEngineSpec:
    """What a local engine is built from; hashable, since built engines are cached by it."""

    engine: str
    model: str
    device: str
    compute_type: str
    cpu_threads: int  # 0: the engine's own default


LocalEngineBuilder = Callable[[LocalEngineSpec], AsrEngine]


def _faster_whisper(spec: LocalEngineSpec) -> AsrEngine:
    model = resolve_model(spec.model)
    config = FasterWhisperConfig(model=model, device=spec.device, compute_type=spec.compute_type)
    if spec.cpu_threads:
        config = config.model_copy(update={"cpu_threads": spec.cpu_threads})
    engine = FasterWhisperEngine(config)
    engine.load()
    return engine


def _faster_whisper_ready(spec: LocalEngineSpec) -> None:
    resolve_model_path(resolve_model(spec.model))


LocalEngineCheck = Callable[[LocalEngineSpec], None]
_LOCAL_ENGINES: dict[str, LocalEngineBuilder] = {"faster-whisper": _faster_whisper}
# Readiness without loading: what each engine needs present (a model on disk) before it builds.
_LOCAL_CHECKS: dict[str, LocalEngineCheck] = {"faster-whisper": _faster_whisper_ready}
_built: dict[LocalEngineSpec, AsrEngine] = {}
# Held while building: a model loads once even when several threads ask for it at once.
_lock = threading.Lock()


def register_local_engine(
    name: str, builder: LocalEngineBuilder, *, check: LocalEngineCheck | None = None
) -> None:
    """Offer another local engine under `name` (settings select it with `asr_local_engine`);
    `check` tells readiness, without loading anything, whether it can be built here.

    Re-registering a name replaces its builder and drops the engines built by the old one.
    """
    with _lock:
        _LOCAL_ENGINES[name] = builder
        _LOCAL_CHECKS.pop(name, None)
        if check is not None:
            _LOCAL_CHECKS[name] = check
        for spec in [spec for spec in _built if spec.engine == name]:
            del _built[spec]


def _local(spec: LocalEngineSpec) -> AsrEngine:
    with _lock:
        engine = _built.get(spec)
        if engine is None:
            builder = _LOCAL_ENGINES.get(spec.engine)
            if builder is None:
                raise ModelUnavailableError(f"no speech engine named {spec.engine!r}")
            engine = _built[spec] = builder(spec)
        return engine


@lru_cache(maxsize=4)
def _remote(config: OpenAICompatibleConfig) -> AsrEngine:
    # No request is sent here: the engine only creates its (thread-safe) HTTP client.
    engine = OpenAICompatibleEngine(config)
    engine.load()
    return engine


class AsrEngineProvider:
    """The speech engines a process's settings configure.

    Cheap to construct: engines are built (and models loaded) on first request and cached
    process-wide, so `AsrEngineProvider(settings).local()` on every job is free after the first.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def _spec(self, threads: int) -> LocalEngineSpec:
        s = self.settings
        return LocalEngineSpec(
            engine=s.asr_local_engine,
            model=s.asr_model,
            device=s.asr_device,
            compute_type=s.asr_compute_type,
            cpu_threads=threads,
        )

    def local(self) -> AsrEngine:
        """The offline engine (audio never leaves the node), loaded once per process.

        Raises `ModelUnavailableError` when the configured engine or its model is missing.
        """
        return _local(self._spec(self.settings.asr_cpu_threads))

    def check(self) -> None:
        """Readiness of the offline engine, loading nothing: it is registered and what it needs
        is present. Raises `ModelUnavailableError` naming what is missing."""
        spec = self._spec(self.settings.asr_cpu_threads)
        if spec.engine not in _LOCAL_ENGINES:
            raise ModelUnavailableError(f"no speech engine named {spec.engine!r}")
        ready = _LOCAL_CHECKS.get(spec.engine)
        if ready is not None:
            ready(spec)

    def remote(self) -> AsrEngine | None:
        """The OpenAI-compatible endpoint, if one is configured.

        Whether a tenant's audio may go there is the caller's decision (its egress policy,
        audited); this only builds the engine.
        """
        s = self.settings
        if not s.asr_remote_base_url:
            return None
        return _remote(
            OpenAICompatibleConfig(
                base_url=s.asr_remote_base_url,
                model=s.asr_remote_model,
                api_key=s.asr_remote_api_key,
            )
        )

    def live(self) -> StreamingAsrEngine | None:
        """The local engine as live sessions use it, or None if it cannot decode live.

        Live decoding gets its own instance with `stream_cpu_threads` (a final waits on one
        decode, while offline jobs are better served by one thread each).
        """
        s = self.settings
        engine = _local(self._spec(s.stream_cpu_threads or s.asr_cpu_threads))
        # A protocol check (partial decoding and a corrector), not a test for an engine class.
        return engine if isinstance(engine, StreamingAsrEngine) else None
