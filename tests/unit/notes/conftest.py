"""Shared helpers for the note drafting tests: transcripts built from plain dialogue lines."""

from __future__ import annotations

import re

import pytest

from clinscribe.asr.core.schemas import Segment, Transcript
from clinscribe.nlp import core as nlp


@pytest.fixture(scope="session", autouse=True)
def _warm_engines() -> None:
    nlp.warm_up(phi=False)


def make_transcript(text: str) -> Transcript:
    """One segment per line; `[doctor]`/`[patient]` tags set the speaker, other lines have none."""
    segments = []
    for line in text.strip().splitlines():
        match = re.match(r"^\[(doctor|patient)\]\s*(.*)$", line.strip())
        speaker = None
        body = line.strip()
        if match:
            speaker = "clinician" if match.group(1) == "doctor" else "patient"
            body = match.group(2)
        n = len(segments)
        segments.append(Segment(id=n, start=n * 3.0, end=n * 3.0 + 3, text=body, speaker=speaker))
    mode = "conversation" if any(s.speaker for s in segments) else "dictation"
    return Transcript(
        text=text,
        duration=len(segments) * 3.0,
        engine="test",
        model="none",
        segments=segments,
        mode=mode,
    )


VISIT = """
[doctor] hi, what brings you in today?
[patient] i've had this cough for three days and my chest hurts when i cough.
[doctor] any fever or shortness of breath?
[patient] no.
[doctor] are you taking any medications?
[patient] i take lisinopril 20 milligrams once a day for my blood pressure.
[doctor] any allergies to medications?
[patient] i'm allergic to penicillin, it gives me a rash.
[doctor] does anyone in your family have heart problems?
[patient] my father had a heart attack at sixty.
[doctor] do you smoke?
[patient] no, never.
[doctor] your blood pressure today is 142/88 and your heart rate is 96.
[doctor] on exam your lungs are clear and i don't hear any murmurs.
[doctor] your chest x-ray showed no pneumonia.
[doctor] i think you have acute bronchitis, and your hypertension is not well controlled.
[doctor] let's get a chest x-ray again if it's not better in a week.
[doctor] i'll prescribe benzonatate 100 milligrams three times a day as needed for cough.
"""

DICTATION = "\n".join(
    [
        "Chief complaint: follow-up of type 2 diabetes.",
        "History of present illness: 58-year-old male with type 2 diabetes, reports good "
        "adherence to metformin 1000 mg twice daily.",
        "Physical exam: lungs clear, no edema.",
        "Assessment and plan: type 2 diabetes, well controlled. Continue metformin 1000 mg "
        "twice daily. Order hemoglobin A1c.",
    ]
)
