"""The speech-engine factory: engines chosen by settings, built once, live only if they stream."""

from __future__ import annotations

import pytest

from clinscribe.asr.core.engine import FasterWhisperEngine, StreamingAsrEngine
from clinscribe.asr.core.errors import ModelUnavailableError
from clinscribe.asr.core.lexicon import MEDICAL_PROMPT
from clinscribe.asr.engines import AsrEngineProvider, LocalEngineSpec
from clinscribe.audio.decode import SAMPLE_RATE, decode_audio
from clinscribe.config import Settings
from clinscribe.db.models import Job, Transcript
from clinscribe.db.session import session_scope
from clinscribe.tasks import setup_jobs
from tests.fakes import FakeAsrEngine, FakeStreamingEngine, use_fake_asr
from tests.support import TenantWorld, add_recording
from tests.unit.asr.asr_media import Clips


def test_the_transcribe_task_runs_the_configured_engine(
    settings: Settings, tenant_a: TenantWorld
) -> None:
    fake = FakeAsrEngine("Blood pressure is fine.")
    use_fake_asr(settings, fake)
    configured = settings.model_copy(update={"asr_local_engine": "fake", "asr_beam_size": 3})
    rt = setup_jobs(configured)
    _, job_id = add_recording(configured, tenant_a, tenant_a.encounter_id)
    rt.run("transcribe", job_id)
    with session_scope(configured.resolved_database_url) as session:
        job = session.get(Job, job_id)
        assert job is not None and job.status == "succeeded", job and job.last_error
        transcript = session.get(Transcript, job.result_id)
        assert transcript is not None
        assert (transcript.engine, transcript.model) == ("fake-asr", "fake-model")
        assert transcript.text == "Blood pressure is fine."
    [(seconds, options)] = fake.calls
    assert seconds == pytest.approx(0.5, abs=0.01)
    assert (options.beam_size, options.mode) == (3, "dictation")


def test_an_engine_is_built_once_per_configuration(settings: Settings) -> None:
    built = use_fake_asr(settings, FakeAsrEngine())
    configured = settings.model_copy(
        update={"asr_local_engine": "fake", "asr_model": "/models/x", "asr_cpu_threads": 3}
    )
    first = AsrEngineProvider(configured).local()
    assert AsrEngineProvider(configured).local() is first
    assert built.specs == [
        LocalEngineSpec(
            engine="fake", model="/models/x", device="cpu", compute_type="int8", cpu_threads=3
        )
    ]
    AsrEngineProvider(configured.model_copy(update={"asr_cpu_threads": 1})).local()
    assert [s.cpu_threads for s in built.specs] == [3, 1]


def test_live_decoding_gets_its_own_thread_count_and_needs_a_streaming_engine(
    settings: Settings,
) -> None:
    streaming = use_fake_asr(settings, FakeStreamingEngine(), name="fake-live")
    configured = settings.model_copy(
        update={"asr_local_engine": "fake-live", "asr_cpu_threads": 1, "stream_cpu_threads": 2}
    )
    assert AsrEngineProvider(configured).live() is streaming.engine
    assert [s.cpu_threads for s in streaming.specs] == [2]
    use_fake_asr(settings, FakeAsrEngine(), name="fake-offline-only")
    offline_only = configured.model_copy(update={"asr_local_engine": "fake-offline-only"})
    assert AsrEngineProvider(offline_only).live() is None


def test_the_bundled_engine_streams_partials_through_the_protocol(
    engine: FasterWhisperEngine, clips: Clips
) -> None:
    assert isinstance(engine, StreamingAsrEngine)
    samples = decode_audio(clips.piper_dictation).samples[: 3 * SAMPLE_RATE]
    partial = engine.partial_decoder(MEDICAL_PROMPT).decode(samples)
    assert partial and partial == partial.strip()
    assert engine.corrector is not None


def test_an_unknown_engine_name_is_a_model_error(settings: Settings) -> None:
    configured = settings.model_copy(update={"asr_local_engine": "nope"})
    with pytest.raises(ModelUnavailableError, match="no speech engine named 'nope'"):
        AsrEngineProvider(configured).local()


def test_the_remote_engine_exists_only_when_configured_and_is_built_once(
    settings: Settings,
) -> None:
    assert AsrEngineProvider(settings).remote() is None
    remote = settings.model_copy(update={"asr_remote_base_url": "http://127.0.0.1:9/v1"})
    engine = AsrEngineProvider(remote).remote()
    assert engine is not None and engine.name == "openai-compatible"
    assert AsrEngineProvider(remote).remote() is engine
