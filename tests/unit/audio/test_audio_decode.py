"""Decoding and validation of uploaded audio."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import numpy as np
import pytest

from clinscribe.audio.decode import (
    SAMPLE_RATE,
    AudioTooLargeError,
    AudioTooLongError,
    CorruptAudioError,
    EmptyAudioError,
    UnsupportedAudioError,
    decode_audio,
    probe_audio,
)
from tests.unit.asr.asr_media import Clips, read_wav, resample, write_audio

FORMATS = [
    ("wav", "pcm_s16le", "wav", 22_050),
    ("mp3", "mp3", "mp3", 22_050),
    ("m4a", "aac", "mp4", 22_050),
    ("ogg", "libopus", "ogg", 48_000),
    ("webm", "libopus", "webm", 48_000),
    ("flac", "flac", "flac", 22_050),
]


@pytest.fixture(scope="module")
def speech(clips: Clips) -> tuple[np.ndarray, int]:
    return read_wav(clips.piper_dictation)


@pytest.mark.parametrize(("ext", "codec", "container", "rate"), FORMATS)
def test_every_contract_format_decodes_to_16k_mono_float32(
    tmp_path: Path, speech: tuple[np.ndarray, int], ext: str, codec: str, container: str, rate: int
) -> None:
    samples, source_rate = speech
    samples = resample(samples, source_rate, rate)
    path = write_audio(
        tmp_path / f"clip.{ext}", samples[None], rate, codec=codec, container=container
    )
    audio = decode_audio(path)
    assert audio.sample_rate == SAMPLE_RATE
    assert audio.samples.dtype == np.float32
    assert audio.samples.ndim == 1
    assert audio.duration == pytest.approx(len(samples) / rate, abs=0.15)
    assert audio.channels == []
    assert np.abs(audio.samples).max() > 0.05


def test_bytes_and_file_objects_decode_like_paths(clips: Clips) -> None:
    data = clips.piper_dictation.read_bytes()
    from_path = decode_audio(clips.piper_dictation)
    assert len(decode_audio(data).samples) == len(from_path.samples)
    assert len(decode_audio(io.BytesIO(data)).samples) == len(from_path.samples)


def test_zero_bytes_are_rejected_as_empty_with_status_400(tmp_path: Path) -> None:
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    with pytest.raises(EmptyAudioError) as err:
        decode_audio(empty)
    assert err.value.status_code == 400
    assert err.value.code == "audio_empty"
    with pytest.raises(EmptyAudioError):
        decode_audio(b"")


def test_a_truncated_wav_header_is_reported_as_corrupt_with_status_422(
    tmp_path: Path, clips: Clips
) -> None:
    truncated = tmp_path / "truncated.wav"
    truncated.write_bytes(clips.piper_dictation.read_bytes()[:30])
    with pytest.raises(CorruptAudioError) as err:
        decode_audio(truncated)
    assert err.value.status_code == 422


def test_random_bytes_named_wav_are_refused_as_unsupported(tmp_path: Path) -> None:
    noise = tmp_path / "noise.wav"
    noise.write_bytes(np.random.default_rng(7).bytes(64_000))
    with pytest.raises((UnsupportedAudioError, CorruptAudioError)) as err:
        decode_audio(noise)
    assert err.value.status_code in {415, 422}


def test_non_audio_files_are_refused_with_status_415(tmp_path: Path) -> None:
    text = tmp_path / "notes.wav"
    text.write_text("Patient feels well. Blood pressure normal.\n" * 50)
    png = tmp_path / "scan.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200))
    for path in (text, png):
        with pytest.raises(UnsupportedAudioError) as err:
            decode_audio(path)
        assert err.value.status_code == 415


def test_an_mp3_renamed_wav_is_identified_and_decoded(
    tmp_path: Path, speech: tuple[np.ndarray, int]
) -> None:
    samples, rate = speech
    mp3 = write_audio(tmp_path / "real.mp3", samples[None], rate, codec="mp3", container="mp3")
    renamed = tmp_path / "renamed.wav"
    shutil.copy(mp3, renamed)
    audio = decode_audio(renamed)
    assert audio.info.format == "mp3"
    assert audio.info.codec.startswith("mp3")
    assert audio.duration == pytest.approx(len(samples) / rate, abs=0.15)


def test_an_unsupported_codec_is_refused_with_status_415(
    tmp_path: Path, speech: tuple[np.ndarray, int]
) -> None:
    samples, rate = speech
    ac3 = write_audio(
        tmp_path / "clip.mka",
        resample(samples, rate, 48_000)[None],
        48_000,
        codec="ac3",
        container="matroska",
    )
    with pytest.raises(UnsupportedAudioError, match="ac3") as err:
        decode_audio(ac3)
    assert err.value.status_code == 415


def _flac_claiming(path: Path, source: Path, total_samples: int) -> Path:
    """Patch a FLAC's STREAMINFO total-samples field (36 bits) to any value."""
    data = bytearray(source.read_bytes())
    assert data[:4] == b"fLaC"
    offset = 8 + 13  # marker, block header, 10 bytes of block/frame sizes, 3 of rate/channels
    head = data[offset] & 0xF0  # bits-per-sample low nibble stays
    data[offset] = head | ((total_samples >> 32) & 0x0F)
    data[offset + 1 : offset + 5] = (total_samples & 0xFFFFFFFF).to_bytes(4, "big")
    path.write_bytes(bytes(data))
    return path


def test_a_ten_hour_flac_bomb_is_rejected_from_its_header_without_decoding(
    tmp_path: Path, speech: tuple[np.ndarray, int]
) -> None:
    samples, rate = speech
    small = write_audio(tmp_path / "small.flac", samples[None], rate, codec="flac")
    bomb = _flac_claiming(tmp_path / "bomb.flac", small, 10 * 3600 * rate)
    assert probe_audio(bomb).duration == pytest.approx(36_000, rel=1e-3)
    with pytest.raises(AudioTooLongError) as err:
        decode_audio(bomb, max_seconds=2 * 3600)
    # The header check's refusal (decoding would stop with "audio lasts over ..."); the file
    # holds seconds of audio, so nothing was decoded to find it too long.
    assert str(err.value) == "audio lasts 36000 s; the limit is 7200 s"
    assert err.value.status_code == 413


def test_audio_longer_than_its_header_says_is_cut_off_while_decoding(
    tmp_path: Path, speech: tuple[np.ndarray, int]
) -> None:
    samples, rate = speech
    small = write_audio(tmp_path / "small.flac", samples[None], rate, codec="flac")
    unknown = _flac_claiming(tmp_path / "unknown.flac", small, 0)  # 0 = "length unknown"
    with pytest.raises(AudioTooLongError):
        decode_audio(unknown, max_seconds=2)


def test_uploads_over_the_byte_limit_are_refused_with_status_413(clips: Clips) -> None:
    with pytest.raises(AudioTooLargeError) as err:
        decode_audio(clips.piper_dictation, max_bytes=10_000)
    assert err.value.status_code == 413


@pytest.mark.parametrize("rate", [8_000, 44_100])
def test_unusual_sample_rates_are_resampled_to_16k_keeping_duration(
    tmp_path: Path, speech: tuple[np.ndarray, int], rate: int
) -> None:
    samples, source_rate = speech
    other = resample(samples, source_rate, rate)
    path = write_audio(tmp_path / f"r{rate}.wav", other[None], rate, codec="pcm_s16le")
    audio = decode_audio(path)
    assert audio.info.sample_rate == rate
    assert audio.duration == pytest.approx(len(other) / rate, abs=0.02)


def test_stereo_keeps_each_channel_and_mixes_a_mono_track(clips: Clips) -> None:
    audio = decode_audio(clips.stereo_conversation)
    assert audio.info.channels == 2
    assert len(audio.channels) == 2
    left, right = audio.channels
    assert len(left) == len(right) == len(audio.samples)
    np.testing.assert_allclose(audio.samples, (left + right) / 2, atol=1e-5)
    half = len(left) // 3
    assert np.abs(left[:half]).max() > 10 * max(np.abs(right[:half]).max(), 1e-4)


def test_probe_reports_format_codec_duration_channels_and_rate(clips: Clips) -> None:
    info = probe_audio(clips.stereo_conversation)
    assert info.format == "wav"
    assert info.codec == "pcm_s16le"
    assert info.channels == 2
    assert info.sample_rate == SAMPLE_RATE
    assert info.duration is not None and info.duration > 3
    assert info.size_bytes == clips.stereo_conversation.stat().st_size
