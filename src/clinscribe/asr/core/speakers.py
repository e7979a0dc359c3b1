"""Speaker roles (clinician/patient): from channels when recorded apart, else a cautious guess."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from clinscribe.asr.core.schemas import Segment, Speaker, Word

# Below this confidence a guessed role is not shown: null is honest, a wrong label misleads.
MIN_ROLE_CONFIDENCE = 0.6

_CLINICIAN_CUES = re.compile(
    r"\b(prescribe|start(ing)?|stop|increase|decrease|continue|recheck|follow up|exam|"
    r"diagnos\w*|your (blood|inr|tonsils|exam|labs?|test|results?)|we will|i will|let's|"
    r"milligrams|mg|twice daily|test is|looks like|any (pain|cough|fever|trouble|numbness)|"
    r"have you|do you|are you|how (is|are|long)|what seems)\b",
    re.IGNORECASE,
)
_PATIENT_CUES = re.compile(
    r"\b(my|i feel|i've been|i have|i had|i took|it hurts|i get|i can't|started after|"
    r"hurts|sore|not really|only when)\b|\b(no|yes|fine)(?=,)",
    re.IGNORECASE,
)


def role_scores(text: str) -> tuple[float, float]:
    """Cue counts for (clinician, patient); questions lean clinician."""
    clinician = len(_CLINICIAN_CUES.findall(text)) + (0.5 if text.rstrip().endswith("?") else 0)
    patient = float(len(_PATIENT_CUES.findall(text)))
    return clinician, patient


def guess_role(text: str) -> tuple[Speaker | None, float]:
    """Role of one turn from its wording, with a confidence; None when it cannot tell."""
    clinician, patient = role_scores(text)
    total = clinician + patient
    if total == 0:
        return None, 0.0
    # Laplace smoothing keeps one cue from sounding certain.
    p_clinician = (clinician + 1) / (total + 2)
    if p_clinician >= MIN_ROLE_CONFIDENCE:
        return "clinician", round(p_clinician, 2)
    if 1 - p_clinician >= MIN_ROLE_CONFIDENCE:
        return "patient", round(1 - p_clinician, 2)
    return None, round(max(p_clinician, 1 - p_clinician), 2)


def split_turns(segment: Segment) -> list[Segment]:
    """Split a segment at sentence ends: Whisper segments often run across speaker turns."""
    if not segment.words:
        return [segment]
    pieces: list[list[Word]] = [[]]
    for word in segment.words:
        pieces[-1].append(word)
        if word.word.rstrip().endswith((".", "?", "!")):
            pieces.append([])
    pieces = [p for p in pieces if p]
    if len(pieces) < 2:
        return [segment]
    return [segment.part(p) for p in pieces]


def label_from_text(segments: Sequence[Segment]) -> list[Segment]:
    """Mono conversation: a role guess per sentence-level turn, null below the confidence floor."""
    out = []
    for s in (turn for segment in segments for turn in split_turns(segment)):
        role, confidence = guess_role(s.text)
        out.append(s.model_copy(update={"speaker": role, "speaker_confidence": confidence}))
    return out


def channel_roles(
    channels: Sequence[npt.NDArray[np.float32]], segments: Sequence[Segment]
) -> list[tuple[int, float]]:
    """Dominant channel and its energy share for each segment (one speaker per channel)."""
    result: list[tuple[int, float]] = []
    for s in segments:
        energies = []
        for ch in channels:
            clip = ch[int(s.start * 16_000) : max(int(s.end * 16_000), int(s.start * 16_000) + 1)]
            energies.append(float(np.mean(clip.astype(np.float64) ** 2)) if clip.size else 0.0)
        total = sum(energies) or 1.0
        best = int(np.argmax(energies))
        result.append((best, energies[best] / total))
    return result


def label_from_channels(
    channels: Sequence[npt.NDArray[np.float32]],
    segments: Sequence[Segment],
    roles: Sequence[Speaker] = ("clinician", "patient"),
) -> list[Segment]:
    """Stereo conversation: the channel a segment is loudest on names its speaker.

    By convention channel 0 is the clinician's microphone; callers can pass ``roles`` to swap.
    """
    out = []
    for s, (channel, share) in zip(segments, channel_roles(channels, segments), strict=True):
        sure = share >= 0.75
        out.append(
            s.model_copy(
                update={
                    "channel": channel,
                    "speaker": roles[channel] if sure and channel < len(roles) else None,
                    "speaker_confidence": round(share, 2),
                }
            )
        )
    return out
