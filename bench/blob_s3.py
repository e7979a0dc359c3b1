"""Blob store speed: local files vs the S3-compatible store, measured in one run.

For each store: put throughput (sealing included) of `--count` blobs of `--mb` MiB, whole-blob
get throughput (decrypting), and the latency of ranged reads at random offsets (what playback
seeking and PyAV probing do: one seek + a 64 KiB read through the blob's seekable reader).
The S3 side talks to a real server over loopback (scripts/s3-server.sh starts one on :8333).

    python bench/blob_s3.py [--mb 16] [--count 4] [--ranges 200] [--endpoint http://127.0.0.1:8333]
"""

from __future__ import annotations

import argparse
import io
import os
import random
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from clinscribe.security.keys import KeyRing
from clinscribe.storage.blobs import LocalBlobStore
from clinscribe.storage.s3 import S3BlobStore, S3Location, S3Options

READ = 64 * 1024


def measure(store: Any, name: str, mb: int, count: int, ranges: int) -> dict[str, Any]:
    data = os.urandom(mb * 1024 * 1024)
    keys = [f"bench/{uuid.uuid4().hex}" for _ in range(count)]
    started = time.perf_counter()
    for key in keys:
        store.put(key, io.BytesIO(data), max_bytes=len(data))
    put_s = time.perf_counter() - started
    started = time.perf_counter()
    for key in keys:
        with store.open(key) as reader:
            while reader.read(1024 * 1024):
                pass
    get_s = time.perf_counter() - started
    rng = random.Random(7)
    latencies = []
    for _ in range(ranges):
        key = rng.choice(keys)
        offset = rng.randrange(0, len(data) - READ)
        began = time.perf_counter()
        with store.open(key) as reader:  # a playback request opens the blob each time
            reader.seek(offset)
            assert reader.read(READ) == data[offset : offset + READ]
        latencies.append((time.perf_counter() - began) * 1000)
    for key in keys:
        store.delete(key)
    total_mb = mb * count
    latencies.sort()
    return {
        "store": name,
        "put_mb_s": total_mb / put_s,
        "get_mb_s": total_mb / get_s,
        "range_p50_ms": statistics.median(latencies),
        "range_p95_ms": latencies[int(len(latencies) * 0.95) - 1],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=16)
    parser.add_argument("--count", type=int, default=4)
    parser.add_argument("--ranges", type=int, default=200)
    parser.add_argument("--endpoint", default="http://127.0.0.1:8333")
    parser.add_argument("--access-key", default="S3RVER")
    parser.add_argument("--secret-key", default="S3RVER")
    args = parser.parse_args()

    ring = KeyRing({"bench": os.urandom(32)}, "bench")
    options = S3Options(
        endpoint_url=args.endpoint, access_key=args.access_key, secret_key=args.secret_key
    )
    remote = S3BlobStore(S3Location("bench", ""), ring, options)
    bucket = f"bench-{uuid.uuid4().hex[:8]}"
    remote.client.create_bucket(Bucket=bucket)
    remote = S3BlobStore(S3Location(bucket, "blobs/"), ring, options)
    with tempfile.TemporaryDirectory() as folder:
        local = LocalBlobStore(Path(folder), ring)
        rows = [
            measure(local, "local", args.mb, args.count, args.ranges),
            measure(remote, "s3", args.mb, args.count, args.ranges),
        ]
    remote.client.delete_bucket(Bucket=bucket)
    print(f"{args.count} blobs of {args.mb} MiB, {args.ranges} ranged reads of 64 KiB")
    print("| store | put MB/s | get MB/s | ranged read p50 ms | p95 ms |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for row in rows:
        print(
            f"| {row['store']} | {row['put_mb_s']:.0f} | {row['get_mb_s']:.0f} "
            f"| {row['range_p50_ms']:.2f} | {row['range_p95_ms']:.2f} |"
        )


if __name__ == "__main__":
    main()
