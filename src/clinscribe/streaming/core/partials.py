"""Fast partial hypotheses: a short-context greedy decode and a local-agreement prefix."""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from clinscribe.audio.decode import SAMPLE_RATE, FloatArray

MAX_FRAMES = 3000  # Whisper's 30 s window in mel frames
TAIL_SILENCE = 0.2


class PartialDecoder:
    """Greedy decoding of the open utterance with the encoder sized to the audio.

    Whisper pads every window to 30 s; encoding only the frames we have is 5-10x cheaper on
    CPU. The text is slightly less reliable, which is acceptable for partials: finals are
    decoded by the full offline engine.
    """

    def __init__(self, model: Any, prompt: str, language: str = "en") -> None:
        from faster_whisper.tokenizer import Tokenizer  # type: ignore[import-untyped]

        self.model = model
        self.tokenizer = Tokenizer(
            model.hf_tokenizer, model.model.is_multilingual, task="transcribe", language=language
        )
        self.prompt = self.tokenizer.encode(" " + prompt.strip())

    def decode(self, clip: FloatArray) -> str:
        import ctranslate2  # type: ignore[import-untyped]

        audio = np.concatenate([clip, np.zeros(int(TAIL_SILENCE * SAMPLE_RATE), np.float32)])
        features = self.model.feature_extractor(audio)[:, -MAX_FRAMES:]
        frames = features.shape[1] - features.shape[1] % 2
        features = np.ascontiguousarray(features[None, :, :frames], dtype=np.float32)
        encoded = self.model.model.encode(
            ctranslate2.StorageView.from_array(features), to_cpu=False
        )
        prompt = self.model.get_prompt(self.tokenizer, self.prompt, without_timestamps=True)
        # A cap on tokens keeps a looping hypothesis from costing more than a few hundred ms.
        budget = int(6 * len(clip) / SAMPLE_RATE) + 12
        result = self.model.model.generate(
            encoded, [prompt], beam_size=1, max_length=min(448, len(prompt) + budget)
        )[0]
        ids = [t for t in result.sequences_ids[0] if t < self.tokenizer.eot]
        return str(self.tokenizer.decode(ids)).strip()


def _key(word: str) -> str:
    return re.sub(r"[^\w]", "", word.lower())


class LocalAgreement:
    """Words two consecutive hypotheses agree on become stable and are kept from then on."""

    def __init__(self) -> None:
        self.stable: list[str] = []
        self._previous: list[str] = []

    def update(self, text: str) -> tuple[str, str]:
        """Return (text to show, its stable prefix)."""
        words = text.split()
        agreed = 0
        for a, b in zip(self._previous, words, strict=False):
            if _key(a) != _key(b):
                break
            agreed += 1
        if agreed > len(self.stable):
            self.stable = words[:agreed]
        self._previous = words
        shown = self.stable + words[len(self.stable) :]
        return " ".join(shown), " ".join(self.stable)

    def reset(self) -> None:
        self.stable, self._previous = [], []
