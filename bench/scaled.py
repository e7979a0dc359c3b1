"""The scaled profile under load: 2 API nodes, M = 1, 2, 4 workers, PostgreSQL, RabbitMQ, S3.

Every process is real (`clinscribe serve` twice, `clinscribe worker --threads 1` M times, each
worker's ASR on one thread so the comparison is about processes). Recordings of mixed lengths
(the dev dictations cut to a quarter, a half or all of their length, or Piper speech when the
data set is absent) and text encounters go upload -> transcript -> extraction -> draft,
round-robin over the two nodes. Per M: audio hours per wall hour (and per core), job queue wait
p95 from the job rows, and the 2/1 and 4/2 worker ratios of the same run. With `--faults` one
more batch runs while an API node restarts, a worker is killed with -9 mid-job, the broker
restarts and the S3 server restarts; then nothing may be lost, duplicated or left open.

    python bench/scaled.py [--recordings 200 --texts 50] [--workers 1,2,4] [--faults] [--quick]
        [--data ../shared/datasets/dev]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from contextlib import suppress
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scaled_cluster import Cluster, scratch_root
from scaled_run import (
    Item,
    attempts,
    check,
    cores,
    dataset_dir,
    inject_faults,
    piper_clips,
    queue_wait_p95,
    run_batch,
    wav_of,
)

FRACTIONS = (0.25, 0.5, 1.0)  # mixed lengths: a quarter, a half, or all of a dictation
QUICK_SENTENCES = [
    "Patient reports a dry cough for three days without fever.",
    "Blood pressure is one thirty over eighty. Continue lisinopril ten milligrams daily.",
    "She has mild knee pain after running. Start ibuprofen as needed.",
]
TEXT = (
    "Doctor: What brings you in today?\nPatient: A sore throat and fever since Monday.\n"
    "Doctor: Any cough?\nPatient: No. I take metformin 500 mg twice daily."
)


def clips(quick: bool, data_dir: Path) -> list[np.ndarray]:
    data = data_dir / "audio"
    if quick:
        return piper_clips(QUICK_SENTENCES)
    from clinscribe.audio import decode as audio

    out = []
    for line in (data / "manifest.jsonl").read_text().splitlines():
        entry = json.loads(line)
        with open(data / entry["audio"], "rb") as f:
            out.append(audio.decode_audio(f, max_seconds=600, max_bytes=10**8).samples)
    return out


def make_items(sources: list[np.ndarray], recordings: int, texts: int, quick: bool) -> list[Item]:
    items = []
    for i in range(recordings):
        samples = sources[i % len(sources)]
        if not quick:
            fraction = FRACTIONS[(i // len(sources) + i) % len(FRACTIONS)]
            samples = samples[: int(len(samples) * fraction)]
        items.append(Item(index=i, audio=wav_of(samples), seconds=len(samples) / 16_000))
    for j in range(texts):
        items.append(Item(index=recordings + j, text=TEXT))
    return items


TICK = os.sysconf("SC_CLK_TCK")


def cpu_now(pids: list[int]) -> tuple[float, float]:
    """(CPU seconds the whole machine was busy, CPU seconds of the given processes) so far."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fields[:8])
    busy = (user + nice + system + irq + softirq + steal) / TICK
    own = 0.0
    for pid in pids:
        with suppress(OSError):
            stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            own += (int(stat[11]) + int(stat[12])) / TICK  # utime, stime
    return busy, own


def worker_pids(cluster: Cluster) -> list[int]:
    return [n.proc.pid for n in cluster.workers if n.proc is not None]


def row(label: str, workers: int, batch_seconds: float, audio_s: float, wait_p95: float) -> str:
    per_hour = (audio_s / 3600) / (batch_seconds / 3600)
    return (
        f"| {label} | {workers} | {audio_s / 60:.1f} | {batch_seconds:.1f} | {per_hour:.2f} "
        f"| {per_hour / cores():.2f} | {wait_p95:.1f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--recordings", type=int, default=200)
    parser.add_argument("--texts", type=int, default=50)
    parser.add_argument(
        "--data", default=str(dataset_dir()), help="the dev data set (its audio/ folder)"
    )
    parser.add_argument("--workers", default="1,2,4", help="worker process counts, in order")
    parser.add_argument("--faults", action="store_true", help="also run the fault batch")
    parser.add_argument(
        "--quick", action="store_true", help="CI size: 6 short recordings + 4 texts, M = 2"
    )
    parser.add_argument(
        "--pace", type=float, default=3.0, help="seconds between submissions in the fault run"
    )
    parser.add_argument("--keep", action="store_true", help="keep logs and data dirs")
    args = parser.parse_args()
    if not args.quick and not (Path(args.data) / "audio" / "manifest.jsonl").exists():
        sys.exit(f"no dev data set at {args.data}; pass --data, or --quick for Piper speech")
    if args.quick:
        args.recordings, args.texts, args.workers = 6, 4, "2"
    counts = [int(m) for m in args.workers.split(",")]
    sources = clips(args.quick, Path(args.data))
    root = scratch_root()
    cluster = Cluster(root, fast_recovery=args.faults)
    results: list[tuple[int, float, float, float]] = []
    cpu: dict[int, tuple[float, float]] = {}  # workers -> (machine busy, workers) CPU seconds
    figures: dict[str, int] = {}
    events: list[str] = []
    try:
        cluster.start()
        for m in counts:
            cluster.set_workers(m)
            items = make_items(sources, args.recordings, args.texts, args.quick)
            busy0, workers0 = cpu_now(worker_pids(cluster))
            batch = run_batch(cluster, items)
            wall = batch.done - batch.started
            # CPU over the whole batch call (the drafts after the last extraction included):
            # what the workers got of the machine, against everything else on it.
            busy1, workers1 = cpu_now(worker_pids(cluster))
            results.append(
                (m, wall, batch.audio_seconds, queue_wait_p95(cluster.database_url, items))
            )
            cpu[m] = (busy1 - busy0, workers1 - workers0)
            print(f"M={m}: {wall:.1f} s for {batch.audio_seconds / 60:.1f} audio min", flush=True)
        if args.faults:
            cluster.set_workers(max(2, counts[-1] if counts else 2))
            items = make_items(sources, args.recordings, args.texts, args.quick)
            started = time.monotonic()
            batch = run_batch(cluster, items, faults=inject_faults(cluster), pace=args.pace)
            figures = check(cluster.database_url, items)
            figures["wall_s"] = round(time.monotonic() - started)
            figures["client_retries"] = sum(i.retries for i in items)
            figures["killed_job_attempts"] = attempts(cluster.database_url, batch.killed_job)
            events = batch.events
    finally:
        cluster.close()
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
        else:
            print(f"logs and data: {root}")

    print(f"\n{cores()} cores; 2 API nodes; workers with --threads 1 and 1 ASR thread")
    print(f"{args.recordings} recordings + {args.texts} texts per batch\n")
    print(
        "| batch | workers | audio min | wall s | audio h / wall h | per core | queue wait p95 s |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for m, wall, audio_s, wait in results:
        print(row("load", m, wall, audio_s, wait))
    print("\n| workers | machine busy CPU s | workers' CPU s | everything else CPU s |")
    print("|---:|---:|---:|---:|")
    for m, (busy, own) in cpu.items():
        print(f"| {m} | {busy:.0f} | {own:.0f} ({own / busy:.0%}) | {busy - own:.0f} |")
    speed = {m: audio_s / wall for m, wall, audio_s, _ in results}
    for a, b in ((2, 1), (4, 2)):
        if a in speed and b in speed:
            print(f"\nthroughput {a}-worker / {b}-worker: {speed[a] / speed[b]:.2f}")
    if args.faults:
        print("\nfault run:", *events, sep="\n  ")
        print(json.dumps(figures, indent=1))
        bad = {k: v for k, v in figures.items() if k.startswith(("lost", "dup", "jobs_not"))}
        if any(bad.values()):
            sys.exit(f"FAILED: {bad}")


if __name__ == "__main__":
    main()
