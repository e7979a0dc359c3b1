"""Coverage check: no detected speech leaves the transcript without a trace.

Whisper can jump its timestamps inside a 30 s window or loop on the text before a window seam;
either way speech disappears from the transcript and nothing downstream can tell. Here, speech
the voice-activity detector heard is compared with the (aligned) words decoded over it:

- a stretch of speech longer than ``min_gap`` seconds that no word covers is re-decoded in its
  own window (with a little audio either side for context) and what is heard there is spliced
  back in, flagged ``recovered``;
- what still yields no words becomes an explicit gap: a segment with no text flagged
  ``speech_gap`` whose start and end are the time range, plus a warning on the transcript, so
  the reviewer and the note drafter see that something was said there;
- a repeated tail at a window seam (the words just before a seam decoded again after it) is
  removed, and the speech under it goes through the same check.

Words lost at a window seam under text whose (estimated) times cover the hole are found
before this check, by decoding a clip around each seam again (`seams.py`).

Pure functions: the caller supplies the speech intervals and a re-decoding callback.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence

from clinscribe.asr.core.schemas import Segment, Word

Interval = tuple[float, float]
Redecoder = Callable[[float, float], list[Segment]]

GAP_FLAG = "speech_gap"
RECOVERED_FLAG = "recovered"
LOOP_FLAG = "loop_removed"
MIN_RATE = 8.0  # characters per second of speech
_WORD = re.compile(r"[\w']+")


def _key(text: str) -> str:
    return " ".join(_WORD.findall(text.lower()))


def merge_intervals(spans: Sequence[Interval], *, gap: float) -> list[Interval]:
    """Sort and merge intervals closer than ``gap`` seconds."""
    merged: list[Interval] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1] + gap:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def covered_intervals(segments: Sequence[Segment]) -> list[Interval]:
    """Time spans the transcript accounts for: its words, and its marked gaps."""
    spans: list[Interval] = []
    for s in segments:
        if s.words:
            spans.extend((w.start, w.end) for w in s.words)
        elif GAP_FLAG in s.flags or s.text.strip():
            spans.append((s.start, s.end))
    return merge_intervals(spans, gap=0.0)


def uncovered_speech(
    speech: Sequence[Interval],
    segments: Sequence[Segment],
    *,
    min_gap: float = 0.5,
    slack: float = 0.15,
) -> list[Interval]:
    """Parts of speech intervals, longer than ``min_gap`` s, that no word or gap covers.

    Aligned word edges are only accurate to a frame or two and the detector pads its regions,
    so each covered span is widened by ``slack`` on both sides before holes are measured.
    """
    covered = merge_intervals(
        [(a - slack, b + slack) for a, b in covered_intervals(segments)], gap=0.0
    )
    holes: list[Interval] = []
    for start, end in speech:
        cursor = start
        for c_start, c_end in covered:
            if c_end <= cursor or c_start >= end:
                continue
            if c_start - cursor > min_gap:
                holes.append((round(cursor, 3), round(c_start, 3)))
            cursor = max(cursor, c_end)
        if end - cursor > min_gap:
            holes.append((round(cursor, 3), round(end, 3)))
    return holes


def _speech_within(speech: Sequence[Interval], start: float, end: float) -> float:
    return sum(max(0.0, min(b, end) - max(a, start)) for a, b in speech)


def sparse_segments(
    segments: Sequence[Segment], speech: Sequence[Interval], *, slack: float = 0.8
) -> dict[int, float]:
    """Segments with more speech under them than their text accounts for: index -> seconds
    of speech unaccounted for.

    Aligning every word costs an encoder pass per 30 s window; a segment whose text is short
    for the speech its time span holds is where Whisper may have jumped over words (a window
    seam, a timestamp jump), and only those need real word times. The recording's own
    speaking rate (the median characters per second of speech over its segments) sets what a
    segment's text accounts for; a deficit over ``slack`` s and a tenth of its speech counts.
    """
    rates = []
    spans = []
    for s in segments:
        heard = _speech_within(speech, s.start, s.end)
        chars = len(s.text.strip())
        spans.append((heard, chars))
        if heard > 0.5 and chars:
            rates.append(chars / heard)
    if not rates:
        return {}
    # Nobody speaks under 8 characters a second for long: the floor catches a recording
    # whose only segment (so its own median) is the one that skipped.
    rate = max(sorted(rates)[len(rates) // 2], MIN_RATE)
    deficits = {i: heard - chars / rate for i, (heard, chars) in enumerate(spans)}
    return {i: round(d, 3) for i, d in deficits.items() if d > max(slack, 0.1 * spans[i][0])}


def gap_segment(start: float, end: float) -> Segment:
    """The explicit trace of speech that produced no text: no words, flagged, timed."""
    return Segment(id=0, start=round(start, 3), end=round(end, 3), text="", flags=[GAP_FLAG])


def gap_ranges(segments: Sequence[Segment]) -> list[Interval]:
    """The time ranges of the gaps a transcript marks."""
    return [(s.start, s.end) for s in segments if GAP_FLAG in s.flags]


def gap_warning(start: float, end: float) -> str:
    return f"speech not recognised at {start:.1f}-{end:.1f}s (marked as a gap)"


def _renumber(segments: list[Segment]) -> list[Segment]:
    ordered = sorted(segments, key=lambda s: (s.start, s.end))
    return [s.model_copy(update={"id": i}) for i, s in enumerate(ordered)]


def _inside(segment: Segment, start: float, end: float, taken: list[Interval]) -> Segment | None:
    """The words of a re-decoded segment centred in the hole and not already transcribed."""
    words: list[Word] = [
        w
        for w in segment.words
        if start <= (w.start + w.end) / 2 <= end
        and not any(a <= (w.start + w.end) / 2 <= b for a, b in taken)
    ]
    if not segment.words:
        return segment if start <= (segment.start + segment.end) / 2 <= end else None
    return segment.part(words) if words else None


def check_coverage(
    segments: list[Segment],
    speech: Sequence[Interval],
    redecode: Redecoder,
    *,
    min_gap: float = 0.5,
    context: float = 1.0,
) -> tuple[list[Segment], list[Interval], list[str]]:
    """Re-decode uncovered speech; return the segments with what was recovered spliced in,
    the ranges that still yield nothing (to be marked as gaps) and the warnings."""
    holes = uncovered_speech(speech, segments, min_gap=min_gap)
    warnings: list[str] = []
    added: list[Segment] = []
    taken = covered_intervals(segments)
    for start, end in holes:
        found = [
            s
            for s in (
                _inside(r, start - 0.2, end + 0.2, taken)
                for r in redecode(max(0.0, start - context), end + context)
            )
            if s is not None and _key(s.text) and not _repeats_before(s, segments)
        ]
        if found:
            added.extend(s.model_copy(update={"flags": [*s.flags, RECOVERED_FLAG]}) for s in found)
            warnings.append(f"recovered speech skipped by the decoder at {start:.1f}s")
    merged = _renumber([*_unplaced_dropped(segments, added), *added]) if added else segments
    # Whatever the re-decode left uncovered (all of a hole, or part of it) is a gap.
    gaps = uncovered_speech(speech, merged, min_gap=min_gap)
    warnings.extend(gap_warning(a, b) for a, b in gaps)
    return merged, gaps, warnings


def _unplaced_dropped(segments: list[Segment], added: list[Segment]) -> list[Segment]:
    """Drop words the alignment could not place (squeezed to no duration) that the re-decode
    heard again in a hole: the re-decoded copy has real times, the squeezed one is a duplicate."""
    again = Counter(_key(w.word) for s in added for w in s.words)
    out = []
    for seg in segments:
        keep = []
        for w in seg.words:
            if w.end - w.start < 0.03 and again[_key(w.word)] > 0:
                again[_key(w.word)] -= 1
            else:
                keep.append(w)
        if len(keep) == len(seg.words):
            out.append(seg)
        elif keep:
            out.append(seg.part(keep))
    return out


def with_gaps(segments: list[Segment], gaps: Sequence[Interval]) -> list[Segment]:
    """The segments with a gap segment for each range, in time order and renumbered."""
    if not gaps:
        return segments
    return _renumber([*segments, *(gap_segment(a, b) for a, b in gaps)])


def _repeats_before(segment: Segment, segments: Sequence[Segment]) -> bool:
    """A recovered piece that only repeats the words just before it is the loop again."""
    before = [s for s in segments if s.end <= segment.start + 0.5 and s.text]
    if not before:
        return False
    words = _key(segment.text).split()
    tail = _key(" ".join(s.text for s in before[-2:])).split()
    return len(words) >= 2 and tail[-len(words) :] == words


def _outside(words: Sequence[Word], speech: Sequence[Interval]) -> float:
    """Share of the words' duration that lies outside every speech interval."""
    total = sum(max(w.end - w.start, 0.0) for w in words)
    if total <= 0.0:
        return 1.0
    inside = sum(max(0.0, min(w.end, b) - max(w.start, a)) for w in words for a, b in speech)
    return max(0.0, 1.0 - inside / total)


def remove_looped_tails(
    segments: list[Segment], speech: Sequence[Interval]
) -> tuple[list[Segment], list[str]]:
    """Drop words after a seam that repeat the words just before it ("in 3 times. 3 months."
    decoded twice), where the copy has no speech of its own under it.

    A segment that is nothing but a copy of the tail before it is removed whatever its timing:
    if real speech lies under it, the coverage check re-decodes it in its own window, where
    the text before the seam cannot prompt the loop again.
    """
    out: list[Segment] = []
    warnings: list[str] = []
    for seg in segments:
        prior = [w for s in out for w in s.words]
        keys = [_key(w.word) for w in seg.words]
        tail = [_key(w.word) for w in prior]
        cut = _copied_prefix(keys, tail)
        if cut and (
            cut == len(keys)
            or _outside(seg.words[:cut], speech) > 0.5
            or seg.words[0].start < prior[-1].end - 0.05
        ):
            warnings.append(f"repeated tail removed at {seg.start:.1f}s")
            if cut == len(keys):
                continue
            seg = seg.part(seg.words[cut:])
            seg = seg.model_copy(update={"flags": [*seg.flags, LOOP_FLAG]})
        seg, found = _drop_end_repeat(seg, speech)
        warnings.extend(found)
        out.append(seg)
    return out, warnings


def _copied_prefix(keys: list[str], tail: list[str]) -> int:
    """Length of the longest prefix of ``keys`` (2+ words) that repeats the end of ``tail``."""
    for m in range(min(len(keys), len(tail), 12), 1, -1):
        if keys[:m] == tail[-m:] and any(len(k) > 2 for k in keys[:m]):
            return m
    return 0


def _drop_end_repeat(seg: Segment, speech: Sequence[Interval]) -> tuple[Segment, list[str]]:
    """A segment ending in the same 2+ words twice, the second copy over no speech of its own."""
    keys = [_key(w.word) for w in seg.words]
    for m in range(min(len(keys) // 2, 8), 1, -1):
        first, second = keys[-2 * m : -m], keys[-m:]
        copy = seg.words[-m:]
        if (
            first == second
            and any(len(k) > 2 for k in second)
            and (_outside(copy, speech) > 0.5 or copy[0].start < seg.words[-m - 1].end - 0.05)
        ):
            kept = seg.part(seg.words[:-m])
            flagged = kept.model_copy(update={"flags": [*kept.flags, LOOP_FLAG]})
            return flagged, [f"repeated tail removed at {copy[0].start:.1f}s"]
    return seg, []
