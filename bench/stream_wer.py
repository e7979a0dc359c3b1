"""Streamed-final WER without a server or real-time pacing: a quick read on decoding policy.

Feeds each file's audio to the live stream decoder (VAD, utterances, audio context, the same
correction as the server) as fast as it will take it, and compares the finals with offline
transcription of the same audio by the same engine, both scored against the reference with
the Whisper-style normaliser of bench/asr.py. Latency needs real time: see bench/stream.py.

    .venv/bin/python bench/stream_wer.py [--data ../shared/datasets/dev/audio] [--voices piper]
                                         [--half test] [--show]

``--data`` takes any folder with a manifest.jsonl (bench/asr.py --make-heldout writes one).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import jiwer
import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from asr import normalize
from clinscribe.asr.core.engine import FasterWhisperEngine
from clinscribe.audio.decode import SAMPLE_RATE, FloatArray, decode_audio
from clinscribe.streaming.core.decoder import StreamDecoder
from clinscribe.streaming.core.metrics import CONTEXT_FALLBACKS

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "dev" / "audio"


def streamed(engine: FasterWhisperEngine, samples: FloatArray) -> str:
    decoder = StreamDecoder(
        engine,
        mode="dictation",
        beam_size=5,
        on_event=lambda event: None,
        corrector=engine.corrector,
    )
    step = SAMPLE_RATE // 10
    for offset in range(0, len(samples), step):
        decoder.feed(samples[offset : offset + step])
    decoder.finish()
    return decoder.transcript().text


def differences(offline: str, stream: str) -> list[str]:
    said, heard = offline.split(), stream.split()
    out = jiwer.process_words(offline, stream)
    return [
        f"    {a.type}: {' '.join(said[a.ref_start_idx : a.ref_end_idx])!r} -> "
        f"{' '.join(heard[a.hyp_start_idx : a.hyp_end_idx])!r}"
        for a in out.alignments[0]
        if a.type != "equal"
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--voices", default="piper")
    parser.add_argument("--half", default="all", help="tune or test, where the set has halves")
    parser.add_argument(
        "--show", action="store_true", help="print where streamed and offline differ"
    )
    args = parser.parse_args()
    voices = args.voices.split(",")
    manifest = [json.loads(line) for line in (args.data / "manifest.jsonl").open()]
    engine = FasterWhisperEngine()
    for voice in voices:
        items = [m for m in manifest if m["voice"] == voice and args.half in ("all", m.get("half"))]
        refs, offline, stream = [], [], []
        fallbacks = CONTEXT_FALLBACKS._value.get()
        started = time.perf_counter()
        for m in items:
            samples = decode_audio(args.data / m["audio"]).samples
            # A second of room tone after the last word, as a dictation ends with a pause.
            samples = np.concatenate([samples, np.zeros(SAMPLE_RATE, dtype=np.float32)])
            refs.append(normalize(m["reference"]))
            offline.append(normalize(engine.transcribe(samples).text))
            stream.append(normalize(streamed(engine, samples)))
            if args.show and stream[-1] != offline[-1]:
                print(f"  {m['audio']}")
                print("\n".join(differences(offline[-1], stream[-1])))
        print(
            f"{voice}: {len(items)} files  WER offline {jiwer.wer(refs, offline):.2%}  "
            f"streamed {jiwer.wer(refs, stream):.2%}  "
            f"({(jiwer.wer(refs, stream) - jiwer.wer(refs, offline)) * 100:+.1f} points)  "
            f"streamed vs offline {jiwer.wer(offline, stream):.2%}  "
            f"context fallbacks {CONTEXT_FALLBACKS._value.get() - fallbacks:.0f}  "
            f"{time.perf_counter() - started:.0f} s"
        )


if __name__ == "__main__":
    main()
