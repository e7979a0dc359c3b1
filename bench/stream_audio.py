"""Synthesise the live-dictation set of bench/data/stream sentence by sentence.

Each script is spoken one sentence at a time (the Piper joe voice, or espeak-ng), trimmed to
its speech, and joined with a pause drawn from the script id and the sentence index (0.25 to
0.9 s, as a person dictating pauses between sentences), after 0.6 s of quiet before the first
word. So the time every sentence's speech starts and ends is known exactly, which per-segment
final latency is measured against (bench/stream.py).

The set is split once into a tuning and a test half by a hash of the script id.

    python bench/stream_audio.py --out /tmp/stream-set [--voices piper,espeak]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
import wave
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.unit.asr.asr_media import piper_wav, read_wav, resample  # noqa: E402

SCRIPTS = Path(__file__).parent / "data" / "stream" / "scripts.jsonl"
RATE = 16000
LEAD = 0.6
PAUSES = (0.25, 0.9)
QUIET = 0.01  # amplitude below which a 10 ms frame is silence, for trimming


def _digest(script_id: str) -> str:
    return hashlib.sha256(script_id.encode()).hexdigest()


def halves(ids: list[str]) -> dict[str, str]:
    """Each script's half: ranked by a hash of its id, the lower half is for tuning."""
    ranked = sorted(ids, key=_digest)
    return {i: "tune" if rank < len(ids) // 2 else "test" for rank, i in enumerate(ranked)}


def pause(script_id: str, index: int) -> float:
    digest = hashlib.sha256(f"{script_id}:{index}".encode()).digest()
    low, high = PAUSES
    return round(low + (high - low) * digest[0] / 255, 3)


def _trim(samples: np.ndarray) -> np.ndarray:
    frame = RATE // 100
    loud = [
        i for i in range(0, len(samples), frame) if np.abs(samples[i : i + frame]).max() > QUIET
    ]
    if not loud:
        return samples[:0]
    return samples[max(0, loud[0] - frame) : loud[-1] + 2 * frame]


def speak(text: str, voice: str, tmp: Path) -> np.ndarray:
    path = tmp / "sentence.wav"
    if voice == "piper":
        piper_wav(text, path)
    else:
        subprocess.run(["espeak-ng", "-v", "en-us", "-w", str(path), text], check=True)
    samples, rate = read_wav(path)
    return _trim(resample(samples, rate))


def synthesise(
    script: dict[str, object], voice: str, out: Path, tmp: Path, part: str
) -> dict[str, object]:
    sentences = [str(s) for s in script["sentences"]]  # type: ignore[attr-defined]
    parts = [np.zeros(int(LEAD * RATE), np.float32)]
    times = []
    cursor = LEAD
    for index, text in enumerate(sentences):
        audio = speak(text, voice, tmp)
        times.append([round(cursor, 3), round(cursor + len(audio) / RATE, 3)])
        cursor += len(audio) / RATE
        gap = pause(str(script["id"]), index) if index < len(sentences) - 1 else 0.0
        parts += [audio, np.zeros(int(gap * RATE), np.float32)]
        cursor += int(gap * RATE) / RATE
    samples = np.concatenate(parts)
    name = f"{script['id']}_{voice}.wav"
    with wave.open(str(out / name), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(RATE)
        wav.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    return {
        "id": script["id"],
        "audio": name,
        "voice": voice,
        "half": part,
        "reference": " ".join(sentences),
        "sentences": sentences,
        "times": times,
        "seconds": round(len(samples) / RATE, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--voices", default="piper,espeak")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    scripts = [json.loads(line) for line in SCRIPTS.open()]
    parts = halves([s["id"] for s in scripts])
    with tempfile.TemporaryDirectory() as tmp, (args.out / "manifest.jsonl").open("w") as manifest:
        for voice in args.voices.split(","):
            for script in scripts:
                item = synthesise(script, voice, args.out, Path(tmp), parts[script["id"]])
                manifest.write(json.dumps(item) + "\n")
                print(f"{item['audio']:<32} {item['half']:<4} {item['seconds']:6.1f} s")


if __name__ == "__main__":
    main()
