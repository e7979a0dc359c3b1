"""Host-wide decode slots: at most N local decodes at once across processes, freed on death."""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from clinscribe.config import Settings
from clinscribe.db.models import Job
from clinscribe.db.session import session_scope
from clinscribe.jobs import slots
from clinscribe.tasks import setup_jobs
from tests.support import TenantWorld, add_recording

HOLDER = """
import sys, time
from pathlib import Path
from clinscribe.jobs import slots
with slots.held(1, Path(sys.argv[1])):
    print("holding", flush=True)
    time.sleep(60)
"""


def test_the_count_is_cores_over_asr_threads_unless_set(settings: Settings) -> None:
    cores = len(os.sched_getaffinity(0))
    assert slots.slot_count(settings.model_copy(update={"asr_cpu_threads": 0})) == cores
    assert slots.slot_count(settings.model_copy(update={"asr_cpu_threads": 1})) == cores
    many = settings.model_copy(update={"asr_cpu_threads": cores * 4})
    assert slots.slot_count(many) == 1  # never zero: one decode always runs
    assert slots.slot_count(settings.model_copy(update={"asr_host_slots": 7})) == 7


def test_no_more_than_n_blocks_run_at_once_and_every_one_runs(tmp_path: Path) -> None:
    running = 0
    peak = 0
    done = 0
    lock = threading.Lock()

    def decode() -> None:
        nonlocal running, peak, done
        with slots.held(2, tmp_path):
            with lock:
                running += 1
                peak = max(peak, running)
            time.sleep(0.15)
            with lock:
                running -= 1
                done += 1

    threads = [threading.Thread(target=decode) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
    assert (peak, done) == (2, 6)


def test_the_wait_is_reported_and_a_slot_frees_when_its_block_raises(tmp_path: Path) -> None:
    with slots.held(1, tmp_path) as waited:
        assert waited < 0.5
    try:
        with slots.held(1, tmp_path):
            raise ValueError("decode failed")
    except ValueError:
        pass
    release = threading.Event()

    def hold() -> None:
        with slots.held(1, tmp_path):
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    time.sleep(0.2)
    threading.Timer(0.4, release.set).start()
    with slots.held(1, tmp_path) as waited:
        assert 0.2 <= waited < 5
    holder.join(timeout=10)


def test_a_worker_killed_with_minus_9_does_not_keep_its_slot(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    child = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(tmp_path)], stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "holding"
        blocked = threading.Event()

        def try_take() -> None:
            with slots.held(1, tmp_path):
                blocked.set()

        taker = threading.Thread(target=try_take, daemon=True)
        taker.start()
        assert not blocked.wait(0.5)  # the other process holds the only slot
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
        assert blocked.wait(5)  # the kernel dropped the dead process's lock
    finally:
        if child.poll() is None:
            child.kill()
        if child.stdout is not None:
            child.stdout.close()


WAITER = """
import sys
from pathlib import Path
from clinscribe.jobs import slots
print("waiting", flush=True)
with slots.held(1, Path(sys.argv[1])):
    print("took the slot", flush=True)
"""


def _room_is_taken(directory: Path) -> bool:
    fd = os.open(directory / slots.ROOM, os.O_RDONLY | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def test_one_waiter_at_a_time_polls_and_one_killed_in_the_room_blocks_no_one(
    tmp_path: Path,
) -> None:
    release = threading.Event()
    got: list[float] = []

    def hold() -> None:
        with slots.held(1, tmp_path):
            release.wait(10)

    def wait() -> None:
        with slots.held(1, tmp_path) as waited:
            got.append(waited)

    holder = threading.Thread(target=hold)
    holder.start()
    time.sleep(0.1)
    assert not _room_is_taken(tmp_path)  # nobody waits: the room is empty
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    child = subprocess.Popen(
        [sys.executable, "-c", WAITER, str(tmp_path)], stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "waiting"
        deadline = time.monotonic() + 10
        while not _room_is_taken(tmp_path) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _room_is_taken(tmp_path)  # the child waits in the room, polling the slot
        waiters = [threading.Thread(target=wait) for _ in range(2)]
        for t in waiters:
            t.start()
        time.sleep(0.3)
        assert got == []  # they wait outside the room: the slot is still held
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
        release.set()
        for t in waiters:
            t.join(timeout=10)
        assert len(got) == 2  # the dead waiter's room was dropped with it
        assert not _room_is_taken(tmp_path)
    finally:
        release.set()
        if child.poll() is None:
            child.kill()
        if child.stdout is not None:
            child.stdout.close()
        holder.join(timeout=10)


def test_without_a_usable_directory_decodes_run_ungated(tmp_path: Path) -> None:
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("x")
    with slots.held(1, not_a_dir) as first, slots.held(1, not_a_dir) as second:
        assert (first, second) == (0.0, 0.0)


@contextmanager
def another_worker_holding_the_slot(seconds: float) -> Iterator[float]:
    """Another thread holds the only slot for `seconds`; yields when it will let go."""
    release = threading.Event()
    holding = threading.Event()

    def other_worker() -> None:
        with slots.held(1):
            holding.set()
            release.wait(10)

    holder = threading.Thread(target=other_worker)
    holder.start()
    assert holding.wait(5)
    released_at = time.monotonic() + seconds
    threading.Timer(seconds, release.set).start()
    try:
        yield released_at
    finally:
        holder.join(timeout=10)


def test_a_transcription_job_decodes_only_once_it_has_a_slot(
    settings: Settings, tenant_a: TenantWorld, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from clinscribe.asr import tasks as asr_tasks
    from clinscribe.asr.core.schemas import Segment, Transcript

    started: list[float] = []

    class Engine:  # stands in for the model: this test is about when decoding may start
        def transcribe(self, decoded: object, *, options: object) -> Transcript:
            started.append(time.monotonic())
            return Transcript(
                text="hello",
                duration=0.5,
                engine="test",
                model="test",
                segments=[Segment(id=0, start=0, end=0.5, text="hello")],
            )

    real_decode = asr_tasks.audio.decode_audio
    decoded_at: list[float] = []

    def decode(*args: object, **kwargs: object) -> object:
        decoded_at.append(time.monotonic())
        return real_decode(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(slots, "SLOT_DIR", tmp_path)
    monkeypatch.setattr(asr_tasks, "_choose_engine", lambda *_: (Engine(), None))
    monkeypatch.setattr(asr_tasks.audio, "decode_audio", decode)
    one = settings.model_copy(update={"asr_host_slots": 1})
    rt = setup_jobs(one)
    job_id = add_recording(one, tenant_a, tenant_a.encounter_id)[1]
    with another_worker_holding_the_slot(seconds=0.5) as released_at:
        rt.run("transcribe", job_id)
    assert len(started) == 1 and started[0] >= released_at - 0.05
    # The audio is decoded inside the slot too: past the cores it would only preempt the rest.
    assert len(decoded_at) == 1 and decoded_at[0] >= released_at - 0.05
    with session_scope(one.resolved_database_url) as session:
        job = session.get(Job, job_id)
        assert job is not None and job.status == "succeeded"


def test_an_extraction_runs_its_nlp_only_once_it_has_a_slot(
    settings: Settings, tenant_a: TenantWorld, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from clinscribe.jobs import queue as workqueue
    from clinscribe.nlp import tasks as nlp_tasks
    from clinscribe.recordings import service as recordings

    real_extract = nlp_tasks.nlp.extract
    ran_at: list[float] = []

    def extract(*args: object, **kwargs: object) -> object:
        ran_at.append(time.monotonic())
        return real_extract(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(slots, "SLOT_DIR", tmp_path)
    monkeypatch.setattr(nlp_tasks.nlp, "extract", extract)
    one = settings.model_copy(update={"asr_host_slots": 1})
    rt = setup_jobs(one)
    with session_scope(one.resolved_database_url) as session:
        _, transcript_id = recordings.from_text(
            session=session,
            settings=one,
            principal=tenant_a.principal("clinician"),
            encounter_id=tenant_a.encounter_id,
            text="The patient reports chest pain since Monday.",
            mode=None,
        )
        job_id = workqueue.create(
            session=session,
            tenant_id=tenant_a.id,
            kind="extract",
            subject_type="transcript",
            subject_id=transcript_id,
        ).id
    with another_worker_holding_the_slot(seconds=0.5) as released_at:
        rt.run("extract", job_id)
    assert len(ran_at) == 1 and ran_at[0] >= released_at - 0.05
    with session_scope(one.resolved_database_url) as session:
        job = session.get(Job, job_id)
        assert job is not None and job.status == "succeeded", job and job.last_error


def test_a_worker_holds_one_message_per_thread_and_queue() -> None:
    import dramatiq
    from dramatiq.brokers.stub import StubBroker

    from clinscribe.jobs.broker import InProcessWorker

    broker = StubBroker()
    broker.declare_queue("clinscribe.transcribe")
    previous = dramatiq.get_broker()
    try:
        for threads in (1, 3):
            worker = InProcessWorker(broker, threads=threads)
            # Beyond this, a busy worker's buffer keeps messages an idle worker could run.
            assert worker._worker.queue_prefetch == threads
    finally:
        dramatiq.set_broker(previous)
