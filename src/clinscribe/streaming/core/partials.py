"""Stable prefixes of partial hypotheses: words two consecutive hypotheses agree on."""

from __future__ import annotations

import re


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
