"""Live streaming: partial/final latency, WER against offline, CPU per stream, capacity.

Starts a real server (uvicorn, one process, its own temporary data dir) on loopback and replays
the dev WAV/FLAC files to `/api/v1/stream` at real time as 100 ms PCM frames. Latency is measured
by the client: a partial against the send time of the newest audio it covers (`end`), a final
utterance (consecutive finals) against the send time of its last segment's end. WER uses the
Whisper-style normaliser of bench/asr.py against the dataset's reference text, offline meaning
the same engine on the whole file. Capacity is the most concurrent real-time streams whose p95
partial latency stays <= 1.0 s and p95 final latency <= 2.5 s.

    python bench/stream.py [--data ../shared/datasets/dev/audio] [--voice piper] [--files 12]
                           [--max-streams 4]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import jiwer
import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from asr import normalize

SECRET = "bench-secret-0123456789-0123456789-0123456789"
FRAME_MS = 100
DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "dev" / "audio"


def serve(port: int) -> None:
    """Server mode (a subprocess): the app with the stream router and bench-sized limits."""
    import uvicorn

    from clinscribe.api.app import create_app
    from clinscribe.api.routers import stream
    from clinscribe.streaming.core.limits import StreamLimits

    app = create_app(start_worker=False)
    if not any(getattr(r, "path", "") == "/api/v1/stream" for r in app.routes):
        app.include_router(stream.router)
    app.state.stream_limits = StreamLimits(max_per_node=64, max_per_tenant=64)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


@dataclass
class Run:
    """One replayed file."""

    name: str
    seconds: float
    partial: list[float] = field(default_factory=list)
    final: list[float] = field(default_factory=list)
    text: str = ""
    first_partial: float | None = None


def _cli(env: dict[str, str], *args: str) -> str:
    cmd = [sys.executable, "-m", "clinscribe.cli", *args]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout.strip()


def _pcm(path: Path) -> tuple[bytes, np.ndarray]:
    from clinscribe.audio.decode import decode_audio

    samples = decode_audio(path).samples
    pcm = (np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes()
    # A second of room tone after the last word, as a dictation ends with a pause.
    return pcm + b"\x00\x00" * 16000, samples


async def replay(url: str, token: str, encounter: str, name: str, pcm: bytes) -> Run:
    import websockets

    run = Run(name, len(pcm) / 32000)
    sent: list[tuple[float, float]] = []
    async with websockets.connect(
        url, additional_headers={"Authorization": f"Bearer {token}"}, max_size=None
    ) as ws:
        config = {"type": "config", "sample_rate": 16000, "encounter_id": encounter}
        await ws.send(json.dumps(config))
        assert json.loads(await ws.recv())["type"] == "session"
        step = 32 * FRAME_MS
        start = time.monotonic()

        def sent_at(seconds: float) -> float:
            for audio, at in sent:
                if audio >= seconds - 1e-3:
                    return at
            return sent[-1][1]

        async def send() -> None:
            for index, offset in enumerate(range(0, len(pcm), step)):
                await ws.send(pcm[offset : offset + step])
                sent.append(((offset + step) / 32000, time.monotonic()))
                delay = start + (index + 1) * FRAME_MS / 1000 - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
            await ws.send(json.dumps({"type": "stop"}))

        sender = asyncio.create_task(send())
        finals: list[str] = []
        group: list[tuple[float, dict[str, Any]]] = []

        def close_group() -> None:
            if group:
                end = max(seg["end"] for _, seg in group)
                run.final.append(group[-1][0] - sent_at(min(end, run.seconds)))
                group.clear()

        async for raw in ws:
            now = time.monotonic()
            message = json.loads(raw)
            if message["type"] == "partial":
                close_group()
                run.partial.append(now - sent_at(message["end"]))
                if run.first_partial is None:
                    run.first_partial = now - start
            elif message["type"] == "final":
                if group and now - group[-1][0] > 0.05:
                    close_group()
                group.append((now, message["segment"]))
                finals.append(message["segment"]["text"])
            elif message["type"] in ("done", "error"):
                if message["type"] == "error":
                    print(f"  {name}: error {message}", file=sys.stderr)
                break
        close_group()
        await sender
        run.text = " ".join(finals)
    return run


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _p(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


async def concurrently(
    url: str, token: str, encounter: str, files: list[tuple[str, bytes]]
) -> list[Run]:
    return list(await asyncio.gather(*(replay(url, token, encounter, n, p) for n, p in files)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--voice", default="piper", help="piper, espeak or all")
    parser.add_argument("--files", type=int, default=12)
    parser.add_argument("--max-streams", type=int, default=4)
    parser.add_argument("--port", type=int, default=8767)
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return

    manifest = [json.loads(line) for line in (args.data / "manifest.jsonl").open()]
    chosen = [m for m in manifest if args.voice in ("all", m["voice"])][: args.files]
    from clinscribe.asr.core.engine import FasterWhisperEngine

    engine = FasterWhisperEngine()
    audio = {m["audio"]: _pcm(args.data / m["audio"]) for m in chosen}
    offline = {}
    started = time.perf_counter()
    for m in chosen:
        offline[m["audio"]] = engine.transcribe(audio[m["audio"]][1]).text
    offline_seconds = time.perf_counter() - started

    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "CLINSCRIBE_DATA_DIR": tmp,
            "CLINSCRIBE_JWT_SECRET": SECRET,
            "CLINSCRIBE_API_KEY_PEPPER": SECRET,
            "CLINSCRIBE_RATE_LIMIT_PER_MINUTE": "0",
            "CLINSCRIBE_RATE_LIMIT_IP_PER_MINUTE": "0",
            "CLINSCRIBE_LOG_LEVEL": "WARNING",
        }
        _cli(env, "db", "upgrade")
        tenant = _cli(env, "admin", "create-tenant", f"bench-{uuid.uuid4().hex[:6]}")
        email = f"bench-{uuid.uuid4().hex[:6]}@example.org"
        _cli(
            env, "admin", "create-user", "--tenant", tenant, "--email", email, "--role", "clinician"
        )
        token = _cli(env, "admin", "token", "--email", email)
        server = subprocess.Popen([sys.executable, __file__, "--serve", str(args.port)], env=env)
        try:
            base = f"http://127.0.0.1:{args.port}"
            for _ in range(150):
                try:
                    if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.2)
            headers = {"Authorization": f"Bearer {token}"}
            patient = httpx.post(
                f"{base}/api/v1/patients",
                headers=headers,
                json={"mrn": uuid.uuid4().hex[:12], "given_name": "Bench", "family_name": "Mark"},
            ).json()
            encounter = httpx.post(
                f"{base}/api/v1/encounters", headers=headers, json={"patient_id": patient["id"]}
            ).json()["id"]
            url = f"ws://127.0.0.1:{args.port}/api/v1/stream"
            report(args, chosen, audio, offline, offline_seconds, url, token, encounter, server)
        finally:
            server.terminate()
            server.wait(timeout=20)


def report(
    args: argparse.Namespace,
    chosen: list[dict[str, Any]],
    audio: dict[str, tuple[bytes, np.ndarray]],
    offline: dict[str, str],
    offline_seconds: float,
    url: str,
    token: str,
    encounter: str,
    server: subprocess.Popen[bytes],
) -> None:
    total = sum(len(audio[m["audio"]][1]) for m in chosen) / 16000
    print(f"{os.cpu_count()} CPUs, tiny.en int8, {len(chosen)} files ({args.voice}), {total:.0f} s")
    print(f"offline: {total / offline_seconds:.1f}x real time\n")
    # Warm-up: model load and first decodes are not what a long-running node sees.
    asyncio.run(replay(url, token, encounter, "warm-up", audio[chosen[0]["audio"]][0][:160000]))

    runs: list[Run] = []
    cpu_before = _cpu_seconds(server.pid)
    for m in chosen:
        run = asyncio.run(replay(url, token, encounter, m["audio"], audio[m["audio"]][0]))
        runs.append(run)
        print(
            f"  {m['audio']:<18} partial p95 {_p(run.partial, 95):.2f} s  "
            f"final p95 {_p(run.final, 95):.2f} s  first partial {run.first_partial or 0:.2f} s"
        )
    cpu = _cpu_seconds(server.pid) - cpu_before
    streamed = sum(r.seconds for r in runs)
    refs = [normalize(m["reference"]) for m in chosen]
    wer_stream = jiwer.wer(refs, [normalize(r.text) for r in runs])
    wer_offline = jiwer.wer(refs, [normalize(offline[m["audio"]]) for m in chosen])
    wer_between = jiwer.wer(
        [normalize(offline[m["audio"]]) for m in chosen], [normalize(r.text) for r in runs]
    )
    partial = [x for r in runs for x in r.partial]
    final = [x for r in runs for x in r.final]
    print("\none stream at a time (real time):")
    print(
        f"  partial latency  p50 {_p(partial, 50):.2f} s  p95 {_p(partial, 95):.2f} s"
        f"  (n={len(partial)})"
    )
    print(
        f"  final latency    p50 {_p(final, 50):.2f} s  p95 {_p(final, 95):.2f} s  (n={len(final)})"
    )
    print(
        f"  WER vs reference: streamed {wer_stream:.1%}  offline {wer_offline:.1%}  "
        f"(+{(wer_stream - wer_offline) * 100:.1f} points); "
        f"streamed vs offline text {wer_between:.1%}"
    )
    print(f"  server CPU: {cpu / streamed:.2f} core-seconds per audio second (one stream)")

    print("\nconcurrent real-time streams (different files at once):")
    capacity = 1
    for n in range(2, args.max_streams + 1):
        files = [(m["audio"], audio[m["audio"]][0]) for m in chosen[:n]]
        before = _cpu_seconds(server.pid)
        wall = time.monotonic()
        batch = asyncio.run(concurrently(url, token, encounter, files))
        used = (_cpu_seconds(server.pid) - before) / (time.monotonic() - wall)
        partial = [x for r in batch for x in r.partial]
        final = [x for r in batch for x in r.final]
        ok = _p(partial, 95) <= 1.0 and _p(final, 95) <= 2.5
        capacity = n if ok and capacity == n - 1 else capacity
        print(
            f"  {n} streams: partial p50 {_p(partial, 50):.2f} / p95 {_p(partial, 95):.2f} s, "
            f"final p50 {_p(final, 50):.2f} / p95 {_p(final, 95):.2f} s, "
            f"server CPU {used:.2f} cores  {'ok' if ok else 'MISSES TARGETS'}"
        )
    print(f"\nsustained concurrent real-time streams within targets: {capacity}")


if __name__ == "__main__":
    main()
