"""ASR benchmark (run by hand): plain faster-whisper vs the Clinscribe pipeline on the dev set.

    .venv/bin/python bench/asr.py [--data ../shared/datasets/dev] [--voices piper,espeak]

Figures: WER (Whisper-style normalised text), drug-name accuracy, numbers accuracy, real-time
factor, peak RSS, and the overhead of our engine over calling faster-whisper directly with the
same decoding settings. Audio and references are read in place, never copied.
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import jiwer

from clinscribe.asr.engine import FasterWhisperEngine
from clinscribe.asr.lexicon import MEDICAL_PROMPT, load_drug_lexicon
from clinscribe.asr.schemas import TranscribeOptions, Transcript
from clinscribe.recordings.audio import decode_audio

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO / ".." / "shared" / "datasets" / "dev"

_UNITS = [
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
    "nineteen",
]  # fmt: skip
_TENS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
UNITS = {w: i for i, w in enumerate(_UNITS)}
TENS = {w: 20 + 10 * i for i, w in enumerate(_TENS)}
ABBREVIATIONS = {"mg": "milligrams", "mcg": "micrograms", "ml": "milliliters", "%": " percent"}
# Lexicon words that are nutrients/labs in clinical speech, not medication mentions.
NOT_DRUG_MENTIONS = {"potassium", "iron", "sodium", "calcium", "glucose", "oxygen"}


def _numbers(tokens: list[str]) -> list[str]:
    """Spoken numbers to digits: "fifty three" 53, "one thirty two" 132, "two point four" 2.4."""
    out: list[str] = []
    value: int | None = None
    last = ""
    decimals = ""
    i = 0

    def flush() -> None:
        nonlocal value, decimals, last
        if value is not None:
            out.append(f"{value}.{decimals}" if decimals else str(value))
        value, decimals, last = None, "", ""

    while i < len(tokens):
        tok = tokens[i]
        nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
        if last == "point" and tok in UNITS and UNITS[tok] < 10:
            decimals += str(UNITS[tok])
        elif tok in UNITS:
            if value is not None and (last == "hundred" or (last == "tens" and value % 10 == 0)):
                value += UNITS[tok]
            else:
                flush()
                value = UNITS[tok]
            last = "unit"
        elif tok in TENS:
            if value is not None and last == "hundred":
                value += TENS[tok]
            elif value is not None and last == "unit" and 0 < value < 10:
                value = value * 100 + TENS[tok]  # clinical "one thirty" = 130
            else:
                flush()
                value = TENS[tok]
            last = "tens"
        elif tok == "hundred" and value is not None and value < 100:
            value *= 100
            last = "hundred"
        elif tok == "thousand" and value is not None:
            value *= 1000
            last = "hundred"
        elif tok == "point" and value is not None and nxt in UNITS:
            last = "point"
        elif tok == "and" and last == "hundred" and (nxt in UNITS or nxt in TENS):
            pass
        else:
            flush()
            out.append(tok)
        i += 1
    flush()
    return out


def normalize(text: str) -> str:
    """Whisper-style English normalisation: case, punctuation, hyphens, spelled numbers."""
    text = text.lower().replace("-", " ")
    text = re.sub(r"(?<=[a-z])(?=\d)|(?<=\d)(?=[a-z])", " ", text)
    text = re.sub(r"(?<!\d)\.|\.(?!\d)|[^\w\s.%']", " ", text)
    text = re.sub(r"'s\b", "s", text).replace("'", "")
    for short, full in ABBREVIATIONS.items():
        text = re.sub(rf"(?<=\d)\s*{re.escape(short)}\b|\b{re.escape(short)}\b", f" {full}", text)
    return " ".join(_numbers(text.split()))


@dataclass
class Score:
    """Running totals for one system on one voice."""

    refs: list[str] = field(default_factory=list)
    hyps: list[str] = field(default_factory=list)
    drugs_ok: int = 0
    drugs: int = 0
    numbers_ok: int = 0
    numbers: int = 0
    audio_seconds: float = 0.0
    wall_seconds: float = 0.0
    misses: list[str] = field(default_factory=list)

    def add(self, ref: str, hyp: str, seconds: float, wall: float, drug_names: list[str]) -> None:
        r, h = normalize(ref), normalize(hyp)
        self.refs.append(r)
        self.hyps.append(h)
        self.audio_seconds += seconds
        self.wall_seconds += wall
        want = _mentions(r, drug_names)
        got = _mentions(h, drug_names)
        self.drugs += sum(want.values())
        self.drugs_ok += sum(min(n, got[d]) for d, n in want.items())
        self.misses += [d for d, n in want.items() if got[d] < n]
        ref_numbers = Counter(t for t in r.split() if re.fullmatch(r"\d+(\.\d+)?", t))
        hyp_numbers = Counter(t for t in h.split() if re.fullmatch(r"\d+(\.\d+)?", t))
        self.numbers += sum(ref_numbers.values())
        self.numbers_ok += sum(min(n, hyp_numbers[t]) for t, n in ref_numbers.items())

    def row(self, name: str) -> str:
        wer = jiwer.wer(self.refs, self.hyps) if self.refs else float("nan")
        rtf = self.audio_seconds / self.wall_seconds if self.wall_seconds else float("nan")
        return (
            f"{name:<28} WER {wer:6.1%}   drugs {self.drugs_ok:>2}/{self.drugs:<2} "
            f"({self.drugs_ok / max(self.drugs, 1):4.0%})   numbers {self.numbers_ok:>3}/"
            f"{self.numbers:<3} ({self.numbers_ok / max(self.numbers, 1):4.0%})   "
            f"RTF {rtf:5.1f}x   {self.wall_seconds:6.1f}s"
        )


@dataclass
class RoleScore:
    """Turn-level speaker labels against the script's Doctor:/Patient: lines."""

    segments: int = 0
    labelled: int = 0
    right: int = 0

    def add(self, script: str, transcript: Transcript) -> None:
        turns = []
        for line in script.splitlines():
            who, _, said = line.partition(":")
            role = {"doctor": "clinician", "patient": "patient"}.get(who.strip().lower())
            if role:
                turns.append((role, set(normalize(said).split())))
        for segment in transcript.segments:
            self.segments += 1
            if segment.speaker is None:
                continue
            words = set(normalize(segment.text).split()) or {""}
            role, overlap = max(((r, len(words & w)) for r, w in turns), key=lambda t: t[1])
            self.labelled += 1
            self.right += role == segment.speaker and overlap >= len(words) / 2

    def summary(self) -> str:
        return (
            f"{self.labelled}/{self.segments} turns labelled, "
            f"{self.right}/{max(self.labelled, 1)} of those right, rest left null"
        )


def _mentions(text: str, names: list[str]) -> Counter[str]:
    """Drug mentions, longest names first so "insulin glargine" is not also "insulin"."""
    found: Counter[str] = Counter()
    padded = f" {text} "
    for name in names:
        needle = f" {name} "
        count = padded.count(needle)
        if count:
            found[name] += count
            padded = padded.replace(needle, " # ")
    return found


def _timed(fn: Callable[[], str]) -> tuple[str, float]:
    started = time.perf_counter()
    text = fn()
    return text, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--voices", default="piper,espeak")
    parser.add_argument("--beam-size", type=int, default=5)
    args = parser.parse_args()

    audio_dir = args.data / "audio"
    scripts = {
        row["id"]: row["text"]
        for row in map(json.loads, (args.data / "dictations_dev.jsonl").read_text().splitlines())
    }
    manifest = [
        json.loads(line) for line in (audio_dir / "manifest.jsonl").read_text().splitlines()
    ]
    engine = FasterWhisperEngine()
    started = time.perf_counter()
    engine.load()
    print(f"model + lexicon load: {time.perf_counter() - started:.1f}s ({engine.config})")
    model = engine.model
    lexicon = sorted(
        (e.name for e in load_drug_lexicon().entries if e.name not in NOT_DRUG_MENTIONS),
        key=lambda n: -len(n),
    )
    vad = {"min_silence_duration_ms": 1000, "speech_pad_ms": 300}

    def plain(path: Path) -> str:
        segments, _ = model.transcribe(str(path), language="en", beam_size=args.beam_size)
        return " ".join(s.text.strip() for s in segments)

    def direct_same_settings(path: Path) -> str:
        segments, _ = model.transcribe(
            str(path),
            language="en",
            beam_size=args.beam_size,
            initial_prompt=MEDICAL_PROMPT,
            vad_filter=True,
            vad_parameters=vad,
        )
        return " ".join(s.text.strip() for s in segments)

    last: list[Transcript] = []

    def ours(path: Path, style: str) -> str:
        mode = "conversation" if style == "dialogue" else "dictation"
        options = TranscribeOptions(beam_size=args.beam_size, mode=mode)
        last[:] = [engine.transcribe(decode_audio(path), options=options)]
        return last[0].text

    def ours_uncorrected(path: Path, style: str) -> str:
        options = TranscribeOptions(beam_size=args.beam_size, correct_vocabulary=False)
        return engine.transcribe(decode_audio(path), options=options).text

    def ours_lexicon_only(path: Path, style: str) -> str:
        options = TranscribeOptions(beam_size=args.beam_size, targeted_biasing=False)
        return engine.transcribe(decode_audio(path), options=options).text

    first = audio_dir / manifest[0]["audio"]
    plain(first), ours(first, "dictation")  # warm-up: first calls pay one-off costs

    for voice in args.voices.split(","):
        items = [m for m in manifest if m["voice"] == voice and (audio_dir / m["audio"]).exists()]
        if not items:
            print(f"\n[{voice}] no audio")
            continue
        roles = RoleScore()
        systems: dict[str, Score] = {
            "baseline (plain fw, beam 5)": Score(),
            "fw direct, our settings": Score(),
            "ours, no correction": Score(),
            "ours, lexicon pass only": Score(),
            "ours (biased + corrected)": Score(),
        }
        for item in items:
            path, ref, secs = audio_dir / item["audio"], item["reference"], item["seconds"]
            style = item["style"]
            runs: dict[str, Callable[[], str]] = {
                "baseline (plain fw, beam 5)": partial(plain, path),
                "fw direct, our settings": partial(direct_same_settings, path),
                "ours, no correction": partial(ours_uncorrected, path, style),
                "ours, lexicon pass only": partial(ours_lexicon_only, path, style),
                "ours (biased + corrected)": partial(ours, path, style),
            }
            for name, run in runs.items():
                text, wall = _timed(run)
                systems[name].add(ref, text, secs, wall, lexicon)
            if item["style"] == "dialogue":
                roles.add(scripts[item["id"]], last[0])
        best = systems["ours (biased + corrected)"]
        print(f"\n[{voice}] {len(items)} files, {best.audio_seconds:.0f}s of audio")
        print(f"  speaker roles on mono dialogues (text-based guess): {roles.summary()}")
        for name, score in systems.items():
            print("  " + score.row(name))
        direct = systems["fw direct, our settings"].wall_seconds
        mine = best.wall_seconds
        wrapper = systems["ours, no correction"].wall_seconds
        lexicon_only = systems["ours, lexicon pass only"].wall_seconds
        print(
            "  overhead vs direct faster-whisper, same settings: "
            f"wrapper+guards {(wrapper - direct) / direct:+.1%}, "
            f"+lexicon pass {(lexicon_only - direct) / direct:+.1%}, "
            f"+targeted re-decode (full pipeline) {(mine - direct) / direct:+.1%}"
        )
        print(f"  drug names still missed: {', '.join(best.misses) or 'none'}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak RSS: {peak:.0f} MiB")


if __name__ == "__main__":
    main()
