"""Guards against Whisper failure modes: repetition loops and stock hallucinations.

Lost speech and looped tails at window seams are the coverage check's (`coverage.py`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from clinscribe.asr.core.schemas import Segment

# Phrases Whisper is known to invent over silence or noise (YouTube-caption training data).
# Dropped only when the segment is also weakly supported (high no-speech or low log-prob).
STOCK_HALLUCINATIONS = (
    "thank you for watching",
    "thanks for watching",
    "please subscribe",
    "subtitles by",
    "transcribed by",
    "see you in the next video",
    "like and subscribe",
)
_WORD = re.compile(r"[\w']+")


def _norm_words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def find_repeated_ngram(
    words: Sequence[str], *, max_n: int = 8, min_repeats: int = 3
) -> tuple[int, int, int] | None:
    """First n-gram repeated back to back ``min_repeats``+ times: (start, n, repeats)."""
    for n in range(1, max_n + 1):
        for start in range(0, len(words) - n * min_repeats + 1):
            gram = list(words[start : start + n])
            repeats = 1
            while words[start + repeats * n : start + (repeats + 1) * n] == gram:
                repeats += 1
            # Single words repeat in real speech ("no, no, no"); ask more of them.
            needed = min_repeats + 1 if n == 1 else min_repeats
            if repeats >= needed:
                return start, n, repeats
    return None


def collapse_repetitions(segment: Segment) -> Segment:
    """Collapse a looped n-gram ("the the the the", "I will. I will. I will.") to one copy."""
    units: list[str] = [w.word for w in segment.words] or segment.text.split()
    keys = [" ".join(_norm_words(u)) for u in units]
    found = find_repeated_ngram(keys)
    if found is None:
        return segment
    start, n, repeats = found
    drop = range(start + n, start + n * repeats)
    kept_words = [w for i, w in enumerate(segment.words) if i not in drop]
    kept_units = [u for i, u in enumerate(units) if i not in drop]
    text = "".join(w.word for w in kept_words).strip() if segment.words else " ".join(kept_units)
    collapsed = segment.model_copy(
        update={
            "text": text,
            "words": kept_words,
            "original_text": segment.original_text or segment.text,
            "flags": [*segment.flags, "repetition_removed"],
        }
    )
    return collapse_repetitions(collapsed)


def _weak(segment: Segment) -> bool:
    return (segment.no_speech_prob or 0.0) > 0.4 or (segment.avg_logprob or 0.0) < -0.8


def remove_hallucinations(segments: list[Segment]) -> tuple[list[Segment], list[str]]:
    """Drop looped/duplicated segments and weakly-supported stock phrases; collapse loops."""
    kept: list[Segment] = []
    warnings: list[str] = []
    for segment in segments:
        seg = collapse_repetitions(segment)
        if "repetition_removed" in seg.flags and "repetition_removed" not in segment.flags:
            warnings.append(f"repetition removed in segment at {seg.start:.1f}s")
        text = " ".join(_norm_words(seg.text))
        if not text:
            continue
        if _weak(seg) and any(p in text for p in STOCK_HALLUCINATIONS):
            warnings.append(f"hallucinated phrase dropped at {seg.start:.1f}s")
            continue
        previous = kept[-1] if kept else None
        # The same sentence twice in a row, the second over the first's tail or weakly heard.
        if (
            previous is not None
            and text == " ".join(_norm_words(previous.text))
            and (seg.start < previous.end + 1.0 or _weak(seg))
        ):
            warnings.append(f"duplicated segment dropped at {seg.start:.1f}s")
            continue
        kept.append(seg)
    return kept, warnings
