"""Decode, validate and probe uploaded audio with PyAV (16 kHz float32, per-channel kept)."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Final

import av
import av.error
import numpy as np
import numpy.typing as npt
from pydantic import BaseModel

from clinscribe.errors import ClinscribeError

SAMPLE_RATE: Final = 16_000
DEFAULT_MAX_SECONDS: Final = 4 * 3600.0
DEFAULT_MAX_BYTES: Final = 512 * 1024 * 1024

# Codecs we accept: the containers in the public contract (wav, mp3, m4a/aac, ogg/opus,
# webm/opus, flac) and their usual siblings. Anything else is refused rather than guessed at.
SUPPORTED_CODECS: Final = frozenset(
    {
        "pcm_s16le", "pcm_s16be", "pcm_s24le", "pcm_s32le", "pcm_f32le", "pcm_f64le",
        "pcm_u8", "pcm_mulaw", "pcm_alaw", "mp3", "mp3float", "mp2", "aac", "opus",
        "vorbis", "flac", "alac",
    }
)  # fmt: skip

# Magic numbers of containers we know: a file that starts like one but does not open is
# corrupt or truncated (422), anything else unreadable is simply not audio we take (415).
_MAGIC: Final = (b"RIFF", b"fLaC", b"OggS", b"ID3", b"\xff\xfb", b"\xff\xf3", b"\x1aE\xdf\xa3")

FloatArray = npt.NDArray[np.float32]
AudioSource = str | os.PathLike[str] | bytes | bytearray | memoryview | BinaryIO


class AudioError(ClinscribeError):
    """Base of audio intake errors (a branch of the one error tree)."""

    code = "audio_invalid"
    status_code = 400


class EmptyAudioError(AudioError):
    """The upload has no bytes or no audio samples."""

    code = "audio_empty"
    status_code = 400


class AudioTooLargeError(AudioError):
    """The upload exceeds the configured byte limit."""

    code = "audio_too_large"
    status_code = 413


class AudioTooLongError(AudioError):
    """The recording exceeds the configured duration limit."""

    code = "audio_too_long"
    status_code = 413


class UnsupportedAudioError(AudioError):
    """The bytes are not a container/codec we decode (not audio at all, or an exotic codec)."""

    code = "audio_unsupported"
    status_code = 415


class CorruptAudioError(AudioError):
    """The container is recognised but broken (truncated header, bad frames)."""

    code = "audio_corrupt"
    status_code = 422


class AudioInfo(BaseModel):
    """What the container says about a recording, read without decoding it."""

    format: str
    codec: str
    duration: float | None
    channels: int
    sample_rate: int
    bit_rate: int | None = None
    size_bytes: int | None = None


@dataclass(frozen=True)
class DecodedAudio:
    """16 kHz float32 audio: a mono mix, plus each channel when the source had several."""

    samples: FloatArray
    info: AudioInfo
    channels: list[FloatArray] = field(default_factory=list)
    sample_rate: int = SAMPLE_RATE

    @property
    def duration(self) -> float:
        return len(self.samples) / self.sample_rate


def size_of(source: AudioSource) -> int | None:
    if isinstance(source, bytes | bytearray | memoryview):
        return len(source)
    if isinstance(source, str | os.PathLike):
        return Path(source).stat().st_size
    try:
        pos = source.tell()
        end = source.seek(0, io.SEEK_END)
        source.seek(pos)
        return end - pos
    except (OSError, ValueError):
        return None


def _head(source: AudioSource) -> bytes:
    if isinstance(source, bytes | bytearray | memoryview):
        return bytes(source[:16])
    if isinstance(source, str | os.PathLike):
        with open(source, "rb") as fh:
            return fh.read(16)
    pos = source.tell()
    source.seek(0)  # the decoder may have read past the start already
    head = source.read(16)
    source.seek(pos)
    return head


def _check_size(source: AudioSource, max_bytes: int) -> int | None:
    if isinstance(source, str | os.PathLike) and not Path(source).is_file():
        raise UnsupportedAudioError(f"no such audio file: {Path(source).name}")
    size = size_of(source)
    if size == 0:
        raise EmptyAudioError("the audio upload is empty (zero bytes)")
    if size is not None and size > max_bytes:
        raise AudioTooLargeError(f"audio is {size} bytes; the limit is {max_bytes}")
    return size


@contextmanager
def _open(source: AudioSource) -> Iterator[Any]:
    target: Any = (
        io.BytesIO(bytes(source)) if isinstance(source, bytes | bytearray | memoryview) else source
    )
    if isinstance(target, os.PathLike):
        target = os.fspath(target)
    try:
        container = av.open(target, mode="r", metadata_errors="ignore")
    except av.error.FFmpegError as exc:
        if _head(source).startswith(_MAGIC):
            raise CorruptAudioError("the audio file is truncated or corrupt") from exc
        raise UnsupportedAudioError("the upload is not a supported audio format") from exc
    try:
        yield container
    finally:
        container.close()


def _info(container: Any, size: int | None) -> AudioInfo:
    if not container.streams.audio:
        raise UnsupportedAudioError("the upload contains no audio stream")
    stream = container.streams.audio[0]
    duration: float | None = None
    if stream.duration is not None and stream.time_base is not None:
        duration = float(stream.duration * stream.time_base)
    elif container.duration is not None:
        duration = container.duration / av.time_base
    codec = stream.codec_context.name
    return AudioInfo(
        format=container.format.name,
        codec=codec,
        duration=duration,
        channels=stream.codec_context.channels or 0,
        sample_rate=stream.codec_context.sample_rate or 0,
        bit_rate=container.bit_rate or None,
        size_bytes=size,
    )


def _check_info(info: AudioInfo, max_seconds: float) -> None:
    if info.codec not in SUPPORTED_CODECS:
        raise UnsupportedAudioError(f"unsupported audio codec: {info.codec}")
    if info.sample_rate <= 0 or info.channels <= 0:
        raise CorruptAudioError("the audio header has no sample rate or channel count")
    if info.duration is not None and info.duration > max_seconds:
        raise AudioTooLongError(
            f"audio lasts {info.duration:.0f} s; the limit is {max_seconds:.0f} s"
        )


def probe_audio(source: AudioSource, *, max_bytes: int = DEFAULT_MAX_BYTES) -> AudioInfo:
    """Read format, codec, duration, channels and sample rate without decoding samples."""
    size = _check_size(source, max_bytes)
    with _open(source) as container:
        return _info(container, size)


def decode_audio(
    source: AudioSource,
    *,
    max_seconds: float = DEFAULT_MAX_SECONDS,
    max_bytes: int = DEFAULT_MAX_BYTES,
    keep_channels: bool = True,
) -> DecodedAudio:
    """Validate and decode any supported recording to 16 kHz mono float32 (channels kept)."""
    size = _check_size(source, max_bytes)
    with _open(source) as container:
        info = _info(container, size)
        # Header duration first: a 10-hour "bomb" is refused before a single frame is decoded.
        _check_info(info, max_seconds)
        stereo = keep_channels and info.channels >= 2
        chunks = _decode_frames(container, stereo=stereo, max_seconds=max_seconds)
    if not chunks:
        raise EmptyAudioError("the recording contains no audio samples")
    planar = np.concatenate(chunks, axis=1)
    if not np.isfinite(planar).all():
        planar = np.nan_to_num(planar, nan=0.0, posinf=1.0, neginf=-1.0)
    mono = planar.mean(axis=0).astype(np.float32) if stereo else planar[0]
    channels = [np.ascontiguousarray(c) for c in planar] if stereo else []
    return DecodedAudio(samples=np.ascontiguousarray(mono), info=info, channels=channels)


def _decode_frames(container: Any, *, stereo: bool, max_seconds: float) -> list[FloatArray]:
    resampler = av.AudioResampler(
        format="fltp", layout="stereo" if stereo else "mono", rate=SAMPLE_RATE
    )
    limit = int(max_seconds * SAMPLE_RATE) + SAMPLE_RATE
    chunks: list[FloatArray] = []
    total = 0
    stream = container.streams.audio[0]
    try:
        for frame in container.decode(stream):
            for out in resampler.resample(frame):
                chunks.append(out.to_ndarray().astype(np.float32, copy=False))
                total += out.samples
            # Headers can lie (or be missing): stop as soon as the decoded audio is too long.
            if total > limit:
                raise AudioTooLongError(f"audio lasts over {max_seconds:.0f} s; too long")
        for out in resampler.resample(None):
            chunks.append(out.to_ndarray().astype(np.float32, copy=False))
    except av.error.FFmpegError as exc:
        if not chunks:
            raise CorruptAudioError("the audio stream could not be decoded") from exc
        # A damaged tail after good audio: keep what decoded; the transcript shows the end.
    return chunks
