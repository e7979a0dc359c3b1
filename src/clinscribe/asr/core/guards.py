"""Guards against Whisper failure modes: repetition loops, stock hallucinations, lost speech."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from clinscribe.asr.core.schemas import Segment, Word

Interval = tuple[float, float]

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


def covered_intervals(segments: Sequence[Segment]) -> list[Interval]:
    """Time spans the transcript accounts for: words when timed, whole segments otherwise."""
    spans: list[Interval] = []
    for s in segments:
        spans.extend((w.start, w.end) for w in s.words) if s.words else spans.append(
            (s.start, s.end)
        )
    return merge_intervals(spans, gap=0.0)


def merge_intervals(spans: Sequence[Interval], *, gap: float) -> list[Interval]:
    """Sort and merge intervals closer than ``gap`` seconds."""
    merged: list[Interval] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1] + gap:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def uncovered_speech(
    speech: Sequence[Interval], segments: Sequence[Segment], *, min_gap: float = 1.0
) -> list[Interval]:
    """Parts of VAD speech regions, ``min_gap`` s or longer, that no word/segment covers."""
    covered = merge_intervals(covered_intervals(segments), gap=0.3)
    holes: list[Interval] = []
    for start, end in speech:
        cursor = start
        for c_start, c_end in covered:
            if c_end <= cursor or c_start >= end:
                continue
            if c_start - cursor >= min_gap:
                holes.append((cursor, c_start))
            cursor = max(cursor, c_end)
        if end - cursor >= min_gap:
            holes.append((cursor, end))
    return holes


Redecoder = Callable[[float, float], list[Segment]]


def fill_coverage_gaps(
    segments: list[Segment],
    speech: Sequence[Interval],
    redecode: Redecoder,
    *,
    min_gap: float = 1.0,
    pad: float = 0.25,
) -> tuple[list[Segment], list[str]]:
    """Re-decode speech the transcript skipped and splice what is found back in, in order."""
    holes = uncovered_speech(speech, segments, min_gap=min_gap)
    warnings: list[str] = []
    added: list[Segment] = []
    for start, end in holes:
        clipped = [
            _inside(s, start - pad, end + pad) for s in redecode(max(0.0, start - pad), end + pad)
        ]
        found = [s for s in clipped if s is not None and _norm_words(s.text)]
        if found:
            added.extend(s.model_copy(update={"flags": [*s.flags, "recovered"]}) for s in found)
            warnings.append(f"recovered speech skipped by the decoder at {start:.1f}s")
        else:
            warnings.append(f"speech at {start:.1f}-{end:.1f}s produced no text")
    if not added:
        return segments, warnings
    merged = sorted([*segments, *added], key=lambda s: (s.start, s.end))
    return [s.model_copy(update={"id": i}) for i, s in enumerate(merged)], warnings


def _inside(segment: Segment, start: float, end: float) -> Segment | None:
    """Keep only the words of a re-decoded segment that fall in the hole being filled."""
    if not segment.words:
        return segment if segment.start < end and segment.end > start else None
    words: list[Word] = [w for w in segment.words if start <= (w.start + w.end) / 2 <= end]
    return segment.part(words) if words else None
