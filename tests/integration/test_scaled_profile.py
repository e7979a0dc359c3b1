"""The scaled profile under faults, as real processes: 2 API nodes, 2 workers, PostgreSQL, a
private RabbitMQ node and a private S3 server. While short recordings and texts go through
upload -> transcript -> extraction -> draft, a worker is killed with -9 mid-transcription, an
API node restarts, the broker restarts and the S3 server restarts; afterwards every job is
terminal and every item has exactly one recording, transcript, extraction and draft.

The same harness as `bench/scaled.py --quick --faults`.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from scaled import QUICK_SENTENCES, TEXT
from scaled_cluster import Cluster, scratch_root
from scaled_run import Item, attempts, check, inject_faults, piper_clips, run_batch, wav_of

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def cluster() -> Iterator[Cluster]:
    root = scratch_root()
    running = Cluster(root, fast_recovery=True)
    try:
        running.start()
        running.set_workers(2)
        yield running
    finally:
        # Every process it started is stopped, even when start-up or the test failed.
        running.close()
        shutil.rmtree(root, ignore_errors=True)


def test_faults_lose_nothing_and_do_nothing_twice(cluster: Cluster) -> None:
    clips = piper_clips(QUICK_SENTENCES)
    items = [
        Item(
            index=i,
            audio=wav_of(clips[i % len(clips)]),
            seconds=len(clips[i % len(clips)]) / 16_000,
        )
        for i in range(6)
    ]
    items += [Item(index=6 + j, text=TEXT) for j in range(4)]

    batch = run_batch(cluster, items, faults=inject_faults(cluster), pace=2.0, timeout=150)

    figures = check(cluster.database_url, items)
    print("\nscaled fault run:", *batch.events, figures, sep="\n  ")
    assert len(batch.events) == 8, batch.events  # every fault was injected
    assert attempts(cluster.database_url, batch.killed_job) >= 2  # the killed job ran again
    assert figures["jobs_not_terminal"] == 0
    assert figures["jobs_dead"] == 0
    lost = {k: v for k, v in figures.items() if k.startswith("lost")}
    duplicated = {k: v for k, v in figures.items() if k.startswith("duplicated")}
    assert not any(lost.values()), lost
    assert not any(duplicated.values()), duplicated
    assert all(item.note_id for item in items)
