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
import itertools
import json
import os
import shutil
import statistics
import sys
import time
from contextlib import suppress
from functools import partial
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


def cpu_by_part(cluster: Cluster) -> dict[str, float]:
    """CPU seconds so far per part of the run, and the whole machine's busy CPU seconds.

    Every process on the machine is read once: the cluster's own nodes by pid, the rest by
    command name (the PostgreSQL server, the broker's Erlang VM, the S3 server's Node.js), and
    this load generator itself. What fits none of them is "other".
    """
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fields[:8])
    parts = {
        "machine": (user + nice + system + irq + softirq + steal) / TICK,
        "steal": steal / TICK,
    }
    by_pid = {n.proc.pid: "workers" for n in cluster.workers if n.proc is not None}
    by_pid |= {n.proc.pid: "api nodes" for n in cluster.apis if n.proc is not None}
    by_pid[os.getpid()] = "load generator"
    by_name = {"postgres": "postgresql", "beam.smp": "rabbitmq", "node": "s3 server"}
    for stat_file in Path("/proc").glob("[0-9]*/stat"):
        with suppress(OSError, ValueError, IndexError):
            head, tail = stat_file.read_text().rsplit(")", 1)
            name = head.split("(", 1)[1]
            stat = tail.split()
            part = by_pid.get(int(stat_file.parent.name)) or by_name.get(name, f"other:{name}")
            parts[part] = parts.get(part, 0.0) + (int(stat[11]) + int(stat[12])) / TICK
    return parts


def _snapshot(cluster: Cluster, into: dict[str, float]) -> None:
    into.update(cpu_by_part(cluster))


def speed(result: tuple[int, float, float, float]) -> float:
    """Audio seconds per wall second of one batch (workers, wall, audio, wait)."""
    return result[2] / result[1]


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
    # CPU seconds per part from the first upload to the last extraction, per batch in the
    # order of `results`
    cpu: list[dict[str, float]] = []
    figures: dict[str, int] = {}
    events: list[str] = []
    try:
        cluster.start()
        for m in counts:
            cluster.set_workers(m)
            items = make_items(sources, args.recordings, args.texts, args.quick)
            before = cpu_by_part(cluster)
            at_done: dict[str, float] = {}
            batch = run_batch(cluster, items, on_done=partial(_snapshot, cluster, at_done))
            wall = batch.done - batch.started
            # CPU over the measured wall time (the drafts after it left out): what the
            # workers got of the machine, against everything else on it.
            results.append(
                (m, wall, batch.audio_seconds, queue_wait_p95(cluster.database_url, items))
            )
            cpu.append({k: v - before.get(k, 0.0) for k, v in at_done.items()})
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
    names = ["workers", "api nodes", "postgresql", "rabbitmq", "s3 server", "load generator"]
    print("\nCPU seconds from the first upload to the last extraction (share of busy CPU):\n")
    print("| workers | machine busy | " + " | ".join(names) + " | other | of which stolen |")
    print("|---:|---:|" + "---:|" * (len(names) + 2))
    for (m, *_), parts in zip(results, cpu, strict=True):
        busy = parts["machine"]
        other = busy - sum(parts.get(n, 0.0) for n in names)
        cells = [f"{parts.get(n, 0.0):.0f} ({parts.get(n, 0.0) / busy:.0%})" for n in names]
        print(
            f"| {m} | {busy:.0f} | "
            + " | ".join(cells)
            + f" | {other:.0f} | {parts['steal']:.0f} |"
        )
    for (m, *_), parts in zip(results, cpu, strict=True):
        others = sorted(
            ((v, k[6:]) for k, v in parts.items() if k.startswith("other:")), reverse=True
        )
        named = ", ".join(f"{k} {v:.1f}" for v, k in others[:6] if v >= 0.1)
        print(f"\nother processes, {m} workers (CPU s): {named or 'none above 0.1 s'}")
    # Each batch against the one just before it (same cluster, minutes apart): with
    # --workers 1,2,1,2,... the machine's drift shows as the spread of these ratios.
    for a, b in ((2, 1), (4, 2)):
        ratios = [
            (cur[2] / cur[1]) / (prev[2] / prev[1])
            for prev, cur in itertools.pairwise(results)
            if (prev[0], cur[0]) == (b, a)
        ]
        if ratios:
            listed = ", ".join(f"{r:.2f}" for r in ratios)
            middle = statistics.median(ratios)
            print(f"\nthroughput {a}-worker / {b}-worker: {listed} (median {middle:.2f})")
        # A batch between two of the other count, against their mean: a steady drift of the
        # host's speed over the three cancels out, where a plain pair takes it whole.
        bracketed = [
            speed(cur) / ((speed(prev) + speed(nxt)) / 2)
            for prev, cur, nxt in zip(results, results[1:], results[2:], strict=False)
            if (prev[0], cur[0], nxt[0]) == (b, a, b)
        ]
        if bracketed:
            listed = ", ".join(f"{r:.2f}" for r in bracketed)
            middle = statistics.median(bracketed)
            print(f"  between two {b}-worker batches: {listed} (median {middle:.2f})")
    if args.faults:
        print("\nfault run:", *events, sep="\n  ")
        print(json.dumps(figures, indent=1))
        bad = {k: v for k, v in figures.items() if k.startswith(("lost", "dup", "jobs_not"))}
        if any(bad.values()):
            sys.exit(f"FAILED: {bad}")


if __name__ == "__main__":
    main()
