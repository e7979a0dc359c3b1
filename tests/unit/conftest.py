"""Fixtures shared by unit-test packages: speech clips synthesised once per session."""

from __future__ import annotations

import numpy as np
import pytest

from clinscribe.audio.decode import SAMPLE_RATE
from tests.unit.asr.asr_media import (
    CLINICIAN_LINE,
    DICTATION,
    PATIENT_LINE,
    Clips,
    espeak_wav,
    piper_wav,
    read_wav,
    resample,
    write_audio,
)


@pytest.fixture(scope="session")
def clips(tmp_path_factory: pytest.TempPathFactory) -> Clips:
    """Synthesise every clip once per test session."""
    root = tmp_path_factory.mktemp("asr-clips")
    dictation = piper_wav(DICTATION, root / "dictation_piper.wav")
    espeak = espeak_wav("Please take two tablets every morning.", root / "espeak.wav")
    doctor, doctor_rate = read_wav(piper_wav(CLINICIAN_LINE, root / "doctor.wav"))
    patient, patient_rate = read_wav(espeak_wav(PATIENT_LINE, root / "patient.wav"))
    doctor, patient = resample(doctor, doctor_rate), resample(patient, patient_rate)
    gap = np.zeros(SAMPLE_RATE // 2, dtype=np.float32)
    left = np.concatenate([doctor, gap, np.zeros_like(patient), gap])
    right = np.concatenate([np.zeros_like(doctor), gap, patient, gap])
    stereo = write_audio(
        root / "conversation_stereo.wav",
        np.stack([left, right]),
        SAMPLE_RATE,
        codec="pcm_s16le",
    )
    return Clips(root, dictation, espeak, stereo)
