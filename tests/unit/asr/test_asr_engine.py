"""Real transcription with the bundled tiny.en model, and the OpenAI-compatible engine."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import numpy as np
import pytest

from clinscribe.asr.core import (
    AsrEngine,
    FasterWhisperEngine,
    OpenAICompatibleConfig,
    OpenAICompatibleEngine,
    RemoteEngineError,
    TranscribeOptions,
)
from clinscribe.audio.decode import SAMPLE_RATE, decode_audio
from tests.unit.asr.asr_media import Clips


def words_of(text: str) -> set[str]:
    return {w.strip(".,?!").lower() for w in text.split()}


def test_a_piper_dictation_is_transcribed_with_the_drug_and_numbers(
    engine: FasterWhisperEngine, clips: Clips
) -> None:
    transcript = engine.transcribe(decode_audio(clips.piper_dictation))
    heard = words_of(transcript.text)
    assert "metformin" in heard
    assert {"500", "milligrams", "twice", "daily", "blood", "pressure"} <= heard
    assert transcript.engine == "faster-whisper"
    assert transcript.model == "tiny.en"
    assert len(transcript.segments) == 2  # one segment per sentence
    assert transcript.segments[1].text.startswith("Blood")
    assert transcript.duration == pytest.approx(
        decode_audio(clips.piper_dictation).duration, abs=0.01
    )


def test_the_transcript_json_has_the_contract_shape(
    engine: FasterWhisperEngine, clips: Clips
) -> None:
    body = json.loads(engine.transcribe(decode_audio(clips.espeak_sentence)).model_dump_json())
    assert {"text", "language", "duration", "engine", "model", "segments"} <= body.keys()
    assert body["language"] == "en"
    segment = body["segments"][0]
    assert {"id", "start", "end", "text", "speaker", "words"} <= segment.keys()
    assert {"start", "end", "word", "probability"} <= segment["words"][0].keys()
    assert "tablets" in words_of(body["text"])


def test_a_stereo_conversation_takes_each_speaker_from_its_channel(
    engine: FasterWhisperEngine, clips: Clips
) -> None:
    transcript = engine.transcribe(
        decode_audio(clips.stereo_conversation), options=TranscribeOptions(mode="conversation")
    )
    roles = [(s.speaker, s.channel) for s in transcript.segments]
    assert roles[0] == ("clinician", 0)
    assert roles[-1] == ("patient", 1)
    patient_text = " ".join(s.text for s in transcript.segments if s.speaker == "patient")
    assert "cough" in patient_text.lower()


def test_silence_gives_an_empty_transcript_and_a_warning(engine: FasterWhisperEngine) -> None:
    transcript = engine.transcribe(np.zeros(SAMPLE_RATE * 3, dtype=np.float32))
    assert transcript.segments == []
    assert transcript.text == ""
    assert transcript.warnings == ["no speech detected"]


def test_the_model_loads_once_per_process(engine: FasterWhisperEngine) -> None:
    another = FasterWhisperEngine(engine.config)
    another.load()
    assert another.model is engine.model


def test_both_engines_satisfy_the_engine_protocol(engine: FasterWhisperEngine) -> None:
    remote = OpenAICompatibleEngine(OpenAICompatibleConfig(base_url="http://127.0.0.1:9"))
    assert isinstance(engine, AsrEngine)
    assert isinstance(remote, AsrEngine)


class _Handler(BaseHTTPRequestHandler):
    requests: ClassVar[list[dict[str, Any]]] = []
    status: ClassVar[int] = 200

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        body = self.rfile.read(length)
        self.requests.append(
            {
                "path": self.path,
                "auth": self.headers.get("Authorization"),
                "type": self.headers.get("Content-Type", ""),
                "body": body,
            }
        )
        reply = {
            "text": "Take lisinopril ten milligrams. Any cough?",
            "language": "english",
            "duration": 2.5,
            "segments": [
                {"id": 0, "start": 0.0, "end": 1.5, "text": " Take lisinopril ten milligrams."},
                {"id": 1, "start": 1.6, "end": 2.5, "text": " Any cough?"},
            ],
            "words": [
                {"word": "Take", "start": 0.0, "end": 0.3},
                {"word": "lisinopril", "start": 0.3, "end": 0.9},
                {"word": "ten", "start": 0.9, "end": 1.1},
                {"word": "milligrams.", "start": 1.1, "end": 1.5},
                {"word": "Any", "start": 1.6, "end": 1.9},
                {"word": "cough?", "start": 1.9, "end": 2.5},
            ],
        }
        data = json.dumps(reply).encode() if self.status == 200 else b"{}"
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture()
def api_server() -> Iterator[str]:
    _Handler.requests.clear()
    _Handler.status = 200
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_the_openai_compatible_engine_posts_wav_and_maps_verbose_json(api_server: str) -> None:
    config = OpenAICompatibleConfig(base_url=api_server, model="whisper-large", api_key="sk-test")
    engine = OpenAICompatibleEngine(config)
    transcript = engine.transcribe(
        np.zeros(SAMPLE_RATE, dtype=np.float32), options=TranscribeOptions(mode="conversation")
    )
    sent = _Handler.requests[0]
    assert sent["path"] == "/v1/audio/transcriptions"
    assert sent["auth"] == "Bearer sk-test"
    assert sent["type"].startswith("multipart/form-data")
    assert b"verbose_json" in sent["body"]
    assert b"whisper-large" in sent["body"]
    assert b"RIFF" in sent["body"]
    assert transcript.engine == "openai-compatible"
    assert transcript.model == "whisper-large"
    assert transcript.language == "en"
    assert [s.text for s in transcript.segments] == [
        "Take lisinopril ten milligrams.",
        "Any cough?",
    ]
    assert [w.word.strip() for w in transcript.segments[1].words] == ["Any", "cough?"]
    assert transcript.segments[1].speaker == "clinician"


def test_an_api_error_becomes_a_remote_engine_error(api_server: str) -> None:
    _Handler.status = 500
    engine = OpenAICompatibleEngine(OpenAICompatibleConfig(base_url=f"{api_server}/v1"))
    with pytest.raises(RemoteEngineError) as err:
        engine.transcribe(np.zeros(SAMPLE_RATE, dtype=np.float32))
    assert err.value.status_code == 502
    assert _Handler.requests[0]["path"] == "/v1/audio/transcriptions"


def test_a_misheard_drug_is_confirmed_by_a_biased_redecode_of_its_clip(
    engine: FasterWhisperEngine, clips: Clips
) -> None:
    from tests.unit.asr.asr_media import piper_wav

    path = piper_wav(
        "She uses loratadine ten milligrams daily with partial relief.",
        clips.directory / "loratadine.wav",
    )
    plain = engine.transcribe(
        decode_audio(path), options=TranscribeOptions(correct_vocabulary=False)
    )
    fixed = engine.transcribe(decode_audio(path))
    assert "loratadine" not in plain.text.lower()  # tiny.en hears "Lord Tedding"
    assert "loratadine" in fixed.text.lower()
    correction = fixed.segments[0].corrections[0]
    assert correction.source == "biased_redecode"
    assert correction.replacement == "loratadine"
    assert fixed.segments[0].original_text == plain.segments[0].text
