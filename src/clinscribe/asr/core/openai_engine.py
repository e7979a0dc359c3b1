"""Engine for any OpenAI-compatible ``/v1/audio/transcriptions`` endpoint (verbose_json)."""

from __future__ import annotations

import io
import wave
from typing import Any

import httpx
import numpy as np
from pydantic import BaseModel, ConfigDict, SecretStr

from clinscribe.asr.core.errors import RemoteEngineError
from clinscribe.asr.core.schemas import Segment, TranscribeOptions, Transcript, Word
from clinscribe.asr.core.speakers import label_from_text
from clinscribe.audio.decode import SAMPLE_RATE, DecodedAudio, FloatArray


class OpenAICompatibleConfig(BaseModel):
    """Where and how to call the remote API; egress policy is the service layer's job."""

    model_config = ConfigDict(frozen=True)

    base_url: str
    model: str = "whisper-1"
    api_key: SecretStr | None = None
    timeout: float = 120.0


def to_wav(samples: FloatArray) -> bytes:
    """16-bit PCM WAV of 16 kHz mono float audio: small enough and every server reads it."""
    pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(SAMPLE_RATE)
        wav.writeframes(pcm.tobytes())
    return buffer.getvalue()


def wav_size(samples: FloatArray) -> int:
    """Bytes of `to_wav(samples)` without building it: the 44-byte header, 2 bytes a sample."""
    return 44 + 2 * len(samples)


class OpenAICompatibleEngine:
    """Posts audio to ``{base_url}/v1/audio/transcriptions`` and maps the verbose JSON reply."""

    name = "openai-compatible"

    def __init__(
        self, config: OpenAICompatibleConfig, *, client: httpx.Client | None = None
    ) -> None:
        self.config = config
        self.model_name = config.model
        self._client = client

    def load(self) -> None:
        """Create the HTTP client (no request is sent until ``transcribe``)."""
        if self._client is None:
            self._client = httpx.Client(timeout=self.config.timeout)

    def _url(self) -> str:
        base = self.config.base_url.rstrip("/")
        return (
            f"{base}/audio/transcriptions"
            if base.endswith("/v1")
            else (f"{base}/v1/audio/transcriptions")
        )

    def transcribe(
        self, audio: DecodedAudio | FloatArray, *, options: TranscribeOptions | None = None
    ) -> Transcript:
        """Send the audio as WAV and return a Transcript in our shape."""
        opts = options or TranscribeOptions()
        self.load()
        assert self._client is not None
        samples = audio.samples if isinstance(audio, DecodedAudio) else audio
        data: dict[str, Any] = {
            "model": self.config.model,
            "response_format": "verbose_json",
            "language": opts.language,
            "timestamp_granularities[]": ["segment", "word"],
        }
        if opts.initial_prompt:
            data["prompt"] = opts.initial_prompt
        headers = {}
        if self.config.api_key is not None:
            headers["Authorization"] = f"Bearer {self.config.api_key.get_secret_value()}"
        try:
            response = self._client.post(
                self._url(),
                data=data,
                files={"file": ("audio.wav", to_wav(samples), "audio/wav")},
                headers=headers,
            )
        except httpx.HTTPError as exc:
            raise RemoteEngineError(f"transcription API unreachable: {type(exc).__name__}") from exc
        if response.status_code >= 400:
            raise RemoteEngineError(f"transcription API answered HTTP {response.status_code}")
        try:
            body = response.json()
        except ValueError as exc:
            raise RemoteEngineError("transcription API did not answer JSON") from exc
        transcript = parse_verbose_json(
            body, engine=self.name, model=self.config.model, duration=len(samples) / SAMPLE_RATE
        )
        if opts.mode == "conversation":
            labelled = label_from_text(transcript.segments)
            transcript = transcript.model_copy(update={"segments": labelled, "mode": opts.mode})
        return transcript


def parse_verbose_json(body: Any, *, engine: str, model: str, duration: float) -> Transcript:
    """Map OpenAI ``verbose_json`` (segments and/or words) onto our Transcript."""
    if not isinstance(body, dict) or not isinstance(body.get("text"), str):
        raise RemoteEngineError("transcription API reply has no text")
    words = [
        Word(
            start=float(w["start"]),
            end=float(w["end"]),
            word=f" {str(w['word']).strip()}",
            probability=float(w.get("probability", 1.0)),
        )
        for w in body.get("words") or []
    ]
    segments: list[Segment] = []
    for i, raw in enumerate(body.get("segments") or []):
        start, end = float(raw["start"]), float(raw["end"])
        inside = [w for w in words if start <= (w.start + w.end) / 2 <= end]
        segments.append(
            Segment(
                id=i,
                start=start,
                end=end,
                text=str(raw["text"]).strip(),
                words=inside,
                avg_logprob=raw.get("avg_logprob"),
                no_speech_prob=raw.get("no_speech_prob"),
                compression_ratio=raw.get("compression_ratio"),
            )
        )
    if not segments and body["text"].strip():
        end = float(body.get("duration") or duration)
        segments = [Segment(id=0, start=0.0, end=end, text=body["text"].strip(), words=words)]
    return Transcript(
        text=body["text"].strip(),
        language=_language(body.get("language")),
        duration=round(float(body.get("duration") or duration), 3),
        engine=engine,
        model=model,
        segments=segments,
    )


def _language(value: Any) -> str:
    # OpenAI answers "english"; the contract uses ISO codes.
    names = {"english": "en", "spanish": "es", "french": "fr", "german": "de"}
    text = str(value or "en").lower()
    return names.get(text, text)
