"""Live streaming: first partial and per-segment final latency, WER against offline, capacity.

Runs `clinscribe serve` as a subprocess (its own temporary data dir) on loopback and replays
audio to `/api/v1/stream` at real time as 100 ms PCM frames, measuring on the client:

- first partial: arrival of the first partial against the send time of the first speech, on a
  freshly started server (restarted for each measure; streamed once /readyz says ready) and
  on a warm one;
- per-segment final latency: each sentence of the live-dictation set (bench/stream_audio.py,
  where every sentence's speech end is known) against the arrival of the final carrying its
  last word, found by aligning the finals with the reference words;
- WER of the streamed finals and of offline transcription of the same audio (the same engine
  on the whole file), with the Whisper-style normaliser of bench/asr.py.

With `--data` (a folder with a manifest.jsonl, e.g. the shared dev set) it also replays 2..N
files at once and reports how many concurrent streams stay within the targets.

    python bench/stream_audio.py --out /tmp/stream-set
    python bench/stream.py --set /tmp/stream-set [--half test] [--voice piper] [--fresh 3]
    python bench/stream.py --data ../shared/datasets/dev/audio --max-streams 3
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
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from difflib import SequenceMatcher
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


@dataclass
class Run:
    """One replayed file, as the client saw it."""

    name: str
    seconds: float
    partial: list[float] = field(default_factory=list)
    final: list[float] = field(default_factory=list)  # per utterance (consecutive finals)
    finals: list[tuple[float, str]] = field(default_factory=list)  # (arrival, text)
    sent: list[tuple[float, float]] = field(default_factory=list)  # (audio seconds, time)
    first_partial: float | None = None  # arrival time of the first partial
    broken: str = ""  # why the server dropped the connection, if it did

    @property
    def text(self) -> str:
        return " ".join(text for _, text in self.finals)

    def sent_at(self, seconds: float) -> float:
        """When the frame holding audio second `seconds` was sent."""
        for audio, at in self.sent:
            if audio >= seconds - 1e-3:
                return at
        return self.sent[-1][1]


class Server:
    """`clinscribe serve` on loopback with its own data dir, a user and an encounter."""

    def __init__(self, port: int, data_dir: str) -> None:
        self.port, self.base = port, f"http://127.0.0.1:{port}"
        self.env = {
            **os.environ,
            "CLINSCRIBE_DATA_DIR": data_dir,
            "CLINSCRIBE_JWT_SECRET": SECRET,
            "CLINSCRIBE_API_KEY_PEPPER": SECRET,
            "CLINSCRIBE_RATE_LIMIT_PER_MINUTE": "0",
            "CLINSCRIBE_RATE_LIMIT_IP_PER_MINUTE": "0",
            "CLINSCRIBE_LOG_LEVEL": "WARNING",
            "CLINSCRIBE_STREAM_MAX_PER_NODE": "64",
            "CLINSCRIBE_STREAM_MAX_PER_TENANT": "64",
        }
        self._cli("db", "upgrade")
        tenant = self._cli("admin", "create-tenant", f"bench-{uuid.uuid4().hex[:6]}")
        email = f"bench-{uuid.uuid4().hex[:6]}@example.org"
        self._cli(
            "admin", "create-user", "--tenant", tenant, "--email", email, "--role", "clinician"
        )
        self.token = self._cli("admin", "token", "--email", email)
        self.url = f"ws://127.0.0.1:{port}/api/v1/stream"
        self.encounter = ""
        self.process: subprocess.Popen[bytes] | None = None

    def _cli(self, *args: str) -> str:
        cmd = [sys.executable, "-m", "clinscribe.cli", *args]
        done = subprocess.run(cmd, env=self.env, capture_output=True, text=True, check=True)
        return done.stdout.strip()

    @contextmanager
    def running(self) -> Iterator[float]:
        """A fresh server process; yields the seconds it took to report ready."""
        started = time.monotonic()
        cmd = [sys.executable, "-m", "clinscribe.cli", "serve", "--port", str(self.port)]
        self.process = subprocess.Popen(cmd, env=self.env)
        try:
            while True:
                try:
                    if httpx.get(f"{self.base}/readyz", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if self.process.poll() is not None or time.monotonic() - started > 300:
                    raise RuntimeError("the server did not become ready")
                time.sleep(0.05)
            ready = time.monotonic() - started
            if not self.encounter:
                headers = {"Authorization": f"Bearer {self.token}"}
                patient = httpx.post(
                    f"{self.base}/api/v1/patients",
                    headers=headers,
                    json={"mrn": uuid.uuid4().hex[:12], "given_name": "Bench", "family_name": "M"},
                ).json()
                self.encounter = httpx.post(
                    f"{self.base}/api/v1/encounters",
                    headers=headers,
                    json={"patient_id": patient["id"]},
                ).json()["id"]
            yield ready
        finally:
            self.process.terminate()
            self.process.wait(timeout=30)

    def cpu_seconds(self) -> float:
        assert self.process is not None
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pcm_of(path: Path) -> tuple[bytes, np.ndarray]:
    from clinscribe.audio.decode import decode_audio

    samples = decode_audio(path).samples
    pcm = (np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes()
    # A second of room tone after the last word, as a dictation ends with a pause.
    return pcm + b"\x00\x00" * 16000, samples


async def replay(server: Server, name: str, pcm: bytes) -> Run:
    """Send `pcm` at real time and record what arrives, and when."""
    import websockets

    run = Run(name, len(pcm) / 32000)
    async with websockets.connect(
        server.url,
        additional_headers={"Authorization": f"Bearer {server.token}"},
        max_size=None,
        ping_interval=None,  # a starved machine must not end the measure by a missed ping
    ) as ws:
        config = {"type": "config", "sample_rate": 16000, "encounter_id": server.encounter}
        await ws.send(json.dumps(config))
        assert json.loads(await ws.recv())["type"] == "session"
        step = 32 * FRAME_MS
        start = time.monotonic()

        async def send() -> None:
            for index, offset in enumerate(range(0, len(pcm), step)):
                await ws.send(pcm[offset : offset + step])
                run.sent.append(((offset + step) / 32000, time.monotonic()))
                delay = start + (index + 1) * FRAME_MS / 1000 - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
            await ws.send(json.dumps({"type": "stop"}))

        sender = asyncio.create_task(send())
        group: list[tuple[float, dict[str, Any]]] = []

        def close_group() -> None:
            if group:
                end = max(seg["end"] for _, seg in group)
                run.final.append(group[-1][0] - run.sent_at(min(end, run.seconds)))
                group.clear()

        async for raw in _messages(ws, run):
            now = time.monotonic()
            message = json.loads(raw)
            if message["type"] == "partial":
                close_group()
                run.partial.append(now - run.sent_at(message["end"]))
                if run.first_partial is None and message["text"]:
                    run.first_partial = now
            elif message["type"] == "final":
                if group and now - group[-1][0] > 0.05:
                    close_group()
                group.append((now, message["segment"]))
                run.finals.append((now, message["segment"]["text"]))
            elif message["type"] in ("done", "error"):
                if message["type"] == "error":
                    print(f"  {name}: error {message}", file=sys.stderr)
                break
        close_group()
        if run.broken:
            sender.cancel()
        else:
            await sender
    return run


async def _messages(ws: Any, run: Run) -> Any:
    """The server's messages; a connection the server drops ends the run, marked broken."""
    import websockets

    try:
        async for raw in ws:
            yield raw
    except websockets.ConnectionClosedError as exc:
        run.broken = str(exc)
        print(f"  {run.name}: connection closed: {exc}", file=sys.stderr)


def segment_latencies(run: Run, item: dict[str, Any]) -> list[float | None]:
    """Per sentence: arrival of the final with its last heard word, after its speech ended.

    The finals' words are aligned with the reference words; a sentence counts as delivered
    with the final carrying the last of its words that aligned (None if none did)."""
    hyp: list[tuple[str, float]] = []
    for arrival, text in run.finals:
        hyp += [(word, arrival) for word in normalize(text).split()]
    ref: list[int] = []  # sentence index of each reference word
    ref_words: list[str] = []
    for index, sentence in enumerate(item["sentences"]):
        words = normalize(sentence).split()
        ref_words += words
        ref += [index] * len(words)
    matcher = SequenceMatcher(None, ref_words, [w for w, _ in hyp], autojunk=False)
    arrival: dict[int, float] = {}
    for tag, a1, a2, b1, b2 in matcher.get_opcodes():
        if tag in ("equal", "replace"):
            for i, j in zip(range(a1, a2), range(b1, b2), strict=False):
                arrival[ref[i]] = hyp[j][1]  # later words overwrite: the last one counts
    return [
        arrival[i] - run.sent_at(end) if i in arrival else None
        for i, (_, end) in enumerate(item["times"])
    ]


def _p(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def offline_texts(
    items: list[dict[str, Any]], audio: dict[str, tuple[bytes, np.ndarray]]
) -> dict[str, str]:
    from clinscribe.asr.core.engine import FasterWhisperEngine

    engine = FasterWhisperEngine()
    return {m["audio"]: engine.transcribe(audio[m["audio"]][1]).text for m in items}


def wer_line(items: list[dict[str, Any]], runs: list[Run], offline: dict[str, str]) -> str:
    refs = [normalize(m["reference"]) for m in items]
    streamed = jiwer.wer(refs, [normalize(r.text) for r in runs])
    plain = jiwer.wer(refs, [normalize(offline[m["audio"]]) for m in items])
    between = jiwer.wer(
        [normalize(offline[m["audio"]]) for m in items], [normalize(r.text) for r in runs]
    )
    return (
        f"WER vs reference: streamed {streamed:.1%}  offline {plain:.1%}  "
        f"({(streamed - plain) * 100:+.1f} points); streamed vs offline text {between:.1%}"
    )


def live_set(args: argparse.Namespace, server: Server) -> None:
    """Per-segment final latency and first partials on the sentence-timed dictation set."""
    manifest = [json.loads(line) for line in (args.set / "manifest.jsonl").open()]
    items = [
        m for m in manifest if args.voice in ("all", m["voice"]) and args.half in ("all", m["half"])
    ][: args.files]
    audio = {m["audio"]: pcm_of(args.set / m["audio"]) for m in items}
    offline = offline_texts(items, audio)
    total = sum(len(audio[m["audio"]][1]) for m in items) / 16000
    sentences = sum(len(m["sentences"]) for m in items)
    print(
        f"{os.cpu_count()} CPUs, {len(items)} files ({args.voice}, {args.half} half), "
        f"{total:.0f} s, {sentences} sentences; load average {os.getloadavg()[0]:.1f}"
    )

    fresh: list[float] = []
    for index in range(args.fresh):
        item = items[index % len(items)]
        with server.running() as ready:
            run = asyncio.run(replay(server, "fresh", audio[item["audio"]][0][: 32000 * 8]))
        speech = run.sent_at(item["times"][0][0])
        fresh.append((run.first_partial or float("nan")) - speech)
        print(
            f"  fresh server {index + 1}: ready after {ready:.1f} s, first partial "
            f"{fresh[-1]:.2f} s after speech started"
        )

    runs: list[Run] = []
    done: list[dict[str, Any]] = []
    broken: list[str] = []
    warm: list[float] = []
    segments: list[float] = []
    missing = 0
    with server.running():
        cpu = server.cpu_seconds()
        for item in items:
            run = asyncio.run(replay(server, item["audio"], audio[item["audio"]][0]))
            if run.broken:
                broken.append(item["audio"])
                continue
            runs.append(run)
            done.append(item)
            warm.append((run.first_partial or float("nan")) - run.sent_at(item["times"][0][0]))
            latencies = segment_latencies(run, item)
            found = [x for x in latencies if x is not None]
            missing += len(latencies) - len(found)
            segments += found
            print(
                f"  {item['audio']:<30} first partial {warm[-1]:.2f} s  per-segment final "
                f"p50 {_p(found, 50):.2f} / p95 {_p(found, 95):.2f} / max {max(found):.2f} s"
            )
        cpu = server.cpu_seconds() - cpu
    print("\none stream at a time (real time):")
    print(f"  first partial after speech starts: fresh server {_fmt(fresh)}; warm {_fmt(warm)}")
    print(
        f"  per-segment final latency  p50 {_p(segments, 50):.2f} s  p95 {_p(segments, 95):.2f} s"
        f"  max {max(segments):.2f} s  (n={len(segments)}, {missing} sentences with no word heard)"
    )
    partial = [x for r in runs for x in r.partial]
    print(f"  partial latency  p50 {_p(partial, 50):.2f} s  p95 {_p(partial, 95):.2f} s")
    print(f"  {wer_line(done, runs, offline)}")
    print(f"  server CPU: {cpu / sum(r.seconds for r in runs):.2f} core-seconds per audio second")
    if broken:
        print(f"  dropped by the server (not counted): {', '.join(broken)}")


def _fmt(values: list[float]) -> str:
    if not values:
        return "not measured"
    return f"max {max(values):.2f} s, median {_p(values, 50):.2f} s (n={len(values)})"


def capacity(args: argparse.Namespace, server: Server) -> None:
    """The older dev-set run: latency per utterance, then 2..N concurrent streams."""
    manifest = [json.loads(line) for line in (args.data / "manifest.jsonl").open()]
    chosen = [m for m in manifest if args.voice in ("all", m["voice"])][: args.files]
    audio = {m["audio"]: pcm_of(args.data / m["audio"]) for m in chosen}
    offline = offline_texts(chosen, audio)
    with server.running():
        runs = [asyncio.run(replay(server, m["audio"], audio[m["audio"]][0])) for m in chosen]
        partial = [x for r in runs for x in r.partial]
        final = [x for r in runs for x in r.final]
        print("one stream at a time (real time):")
        print(f"  partial latency  p50 {_p(partial, 50):.2f} s  p95 {_p(partial, 95):.2f} s")
        print(f"  utterance final latency  p50 {_p(final, 50):.2f} s  p95 {_p(final, 95):.2f} s")
        print(f"  {wer_line(chosen, runs, offline)}")
        print("\nconcurrent real-time streams (different files at once):")
        fits = 1
        for n in range(2, args.max_streams + 1):
            files = [(m["audio"], audio[m["audio"]][0]) for m in chosen[:n]]
            before, wall = server.cpu_seconds(), time.monotonic()

            async def together(files: list[tuple[str, bytes]] = files) -> list[Run]:
                return list(await asyncio.gather(*(replay(server, n, p) for n, p in files)))

            batch = asyncio.run(together())
            used = (server.cpu_seconds() - before) / (time.monotonic() - wall)
            partial = [x for r in batch for x in r.partial]
            final = [x for r in batch for x in r.final]
            ok = _p(partial, 95) <= 1.0 and _p(final, 95) <= 2.5
            fits = n if ok and fits == n - 1 else fits
            print(
                f"  {n} streams: partial p95 {_p(partial, 95):.2f} s, final p50 "
                f"{_p(final, 50):.2f} / p95 {_p(final, 95):.2f} s, server CPU {used:.2f} cores"
                f"  {'ok' if ok else 'MISSES TARGETS'}"
            )
        print(f"\nsustained concurrent real-time streams within targets: {fits}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--set", type=Path, help="sentence-timed set from bench/stream_audio.py")
    parser.add_argument("--half", default="test", help="tune, test or all")
    parser.add_argument("--fresh", type=int, default=3, help="fresh-server first partials")
    parser.add_argument("--data", type=Path, default=None, help="capacity run on this folder")
    parser.add_argument("--voice", default="piper", help="piper, espeak or all")
    parser.add_argument("--files", type=int, default=100)
    parser.add_argument("--max-streams", type=int, default=3)
    parser.add_argument("--port", type=int, default=8767)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        server = Server(args.port, tmp)
        if args.set:
            live_set(args, server)
        else:
            args.data = args.data or DEFAULT_DATA
            capacity(args, server)


if __name__ == "__main__":
    main()
