"""Window seams: words Whisper drops where one 30 s decoding window ends and the next begins.

At a seam Whisper may time its last segment up to the seam although it stopped writing words
earlier, and start the next window a few words late ("... slightly raised." then "both great
toes", the "monofilament sensation is reduced over" between them gone). Both texts look
complete for their spans and their (estimated) word times cover the hole, so the coverage
check cannot see it. Here a short clip centred on each seam is decoded again on its own, and
the words it hears between where the text before the seam ends and where the text after it
starts are spliced in (flagged ``recovered``). Words the re-decode hears differently are left
alone: only missing words are added, never any rewritten.

Pure functions: the caller decodes the clips (`seam_clips` says which) and passes the words.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from difflib import SequenceMatcher

import numpy as np

from clinscribe.asr.core.coverage import RECOVERED_FLAG, Interval
from clinscribe.asr.core.schemas import Segment, Word
from clinscribe.audio.decode import SAMPLE_RATE, FloatArray

# Decodes a clip (no prompt, aligned words); segments timed from the clip's start.
ClipDecoder = Callable[[FloatArray], list[Segment]]

HALF = 3.5  # seconds of audio either side of a seam that are decoded again
PAUSE = 0.6  # silence between glued seam clips, so each starts a new segment
EDGE = 0.4  # words this close to a clip's ends may be cut off: never spliced in
MIN_RUN = 2  # missing words in a row worth splicing in (one is too often a variant)
TAIL = 6  # words of the text either side of a seam looked for in the re-decode
_WORD = re.compile(r"[\w']+")


def _key(word: str) -> str:
    return "".join(_WORD.findall(word.lower()))


def seam_clips(
    seams: Sequence[float], speech: Sequence[Interval], duration: float
) -> list[tuple[float, Interval]]:
    """(seam, clip) for each seam with speech near it; the clip is centred on the seam."""
    clips: list[tuple[float, Interval]] = []
    for seam in sorted(seams):
        near = any(a < seam + 1.5 and b > seam - 1.5 for a, b in speech)
        start, end = max(0.0, seam - HALF), min(duration, seam + HALF)
        if near and end - start > 1.0:
            clips.append((seam, (start, end)))
    return clips


def recover_at_seams(
    samples: FloatArray,
    segments: list[Segment],
    clips: list[tuple[float, Interval]],
    decode: ClipDecoder,
) -> tuple[list[Segment], list[str]]:
    """Decode the seam ``clips`` again (glued into one decode: one encoder pass) and splice
    in the runs of words the segments lack there; returns the segments and the warnings."""
    if not clips:
        return segments, []
    pause = np.zeros(int(PAUSE * SAMPLE_RATE), dtype=np.float32)
    pieces: list[FloatArray] = []
    offsets: list[float] = []
    for _, (a, b) in clips:
        offsets.append(sum(len(p) for p in pieces) / SAMPLE_RATE)
        pieces += [samples[int(a * SAMPLE_RATE) : int(b * SAMPLE_RATE)], pause]
    words = [w for s in decode(np.concatenate(pieces)) for w in s.words]
    added: list[Segment] = []
    for (seam, (a, b)), offset in zip(clips, offsets, strict=True):
        mine = [
            w.model_copy(update={"start": w.start - offset + a, "end": w.end - offset + a})
            for w in words
            if offset <= (w.start + w.end) / 2 < offset + (b - a)
        ]
        found = missing_run(segments, seam, (a, b), mine, len(samples) / SAMPLE_RATE)
        added += [found] if found is not None else []
    if not added:
        return segments, []
    ordered = sorted([*segments, *added], key=lambda s: (s.start, s.end))
    warnings = [f"recovered speech skipped at a window seam at {s.start:.1f}s" for s in added]
    return [s.model_copy(update={"id": i}) for i, s in enumerate(ordered)], warnings


def missing_run(
    segments: Sequence[Segment],
    seam: float,
    clip: Interval,
    heard: Sequence[Word],
    duration: float = float("inf"),
) -> Segment | None:
    """The words ``heard`` in ``clip`` (recording times) between the end of the text before
    ``seam`` and the start of the text after it, as a recovered segment, when there are
    MIN_RUN or more. The text after the seam must be found in what was heard (else nothing
    is claimed); the end of the text before it may lie before the clip. ``duration`` is the
    recording's: a clip's end there is not a cut."""
    start, end = clip
    # Only where the clip cuts into the recording may a word be cut off.
    first = start + EDGE if start > 0 else start
    last = end - EDGE if end < duration else end
    inner = [w for w in heard if w.start >= first and w.end <= last]
    keys = [_key(w.word) for w in inner]
    spoken = [s for s in segments if s.text.strip() and s.words]
    after = [_key(w.word) for s in spoken if s.start >= seam - 0.1 for w in s.words][:TAIL]
    before = [_key(w.word) for s in spoken if s.start < seam - 0.1 for w in s.words][-TAIL:]
    resume = _first(keys, after)
    if resume is None:
        return None
    stop = _last(keys[:resume], before)
    words = [w for w in inner[stop:resume] if _key(w.word)]
    if len(words) < MIN_RUN:
        return None
    return Segment(
        id=0,
        start=words[0].start,
        end=words[-1].end,
        text="".join(w.word for w in words).strip(),
        words=words,
        flags=[RECOVERED_FLAG],
    )


def _alike(a: str, b: str) -> bool:
    return a == b or (len(a) > 3 and SequenceMatcher(None, a, b).ratio() >= 0.75)


def _first(keys: list[str], after: list[str]) -> int | None:
    """Where the text after the seam starts in ``keys`` (its first, second or third word)."""
    for k, word in enumerate(after[:3]):
        for j, key in enumerate(keys):
            if j >= k and _alike(key, word):
                return j - k
    return None


def _last(keys: list[str], before: list[str]) -> int:
    """Just past where the text before the seam ends in ``keys`` (0 if it is not there)."""
    for k, word in enumerate(reversed(before[-3:])):
        for j in range(len(keys) - 1, -1, -1):
            if _alike(keys[j], word):
                return min(len(keys), j + 1 + k)
    return 0
