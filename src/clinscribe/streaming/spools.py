"""Where live sessions keep their spools: the data dir, or the S3 store beside the blobs.

With blobs in S3 a spool goes there too, so a session dropped on one node is taken over by any
other (no node-local state). An object cannot be appended to, and a PUT per audio frame (tens
a second) would cost more than the audio is worth, so the S3 spool is numbered part objects:

- audio: `<spool>/audio/<number>.<plaintext bytes>`, one part per `FLUSH_SECONDS` of frames
  (and whenever finals are logged or the session detaches), each a framed sealed file bound to
  the session, the stream and the part number;
- finals: `<spool>/finals/<number>`, one sealed object per utterance, written before the
  client is sent them, as on disk.

A crash of the node loses at most the last `FLUSH_SECONDS` of audio not yet in a part (on disk
the bound is the same for a crash of the machine); the finals logged never refer to audio that
was not stored first. An `opened` marker makes a new spool exist before its first part.
"""

from __future__ import annotations

import io
import json
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import BinaryIO

from clinscribe.asr.core.schemas import Segment
from clinscribe.audio.decode import FloatArray
from clinscribe.observability.logging import get_logger
from clinscribe.security import records
from clinscribe.security.keys import KeyRing
from clinscribe.storage.s3 import S3BlobStore
from clinscribe.storage.s3objects import S3Objects
from clinscribe.streaming.core.spool import (
    Spool,
    SpoolCorruptError,
    SpoolLike,
    pcm_of,
    samples_of,
    wav_of,
)

FLUSH_SECONDS = 1.0
FETCHERS = 8
RECORD_BYTES = 256 * 1024
MARKER = "opened"

SpoolOpener = Callable[[str, bool], SpoolLike]
log = get_logger("clinscribe.streaming")


class S3Spool:
    """A live session's audio and finals as part objects under `<name>/` of the spool area."""

    def __init__(self, objects: S3Objects, name: str, ring: KeyRing, *, create: bool) -> None:
        self.objects = objects
        self.base = f"{name.strip('/')}/"
        self.session = self.base.rstrip("/").rsplit("/", 1)[-1]
        self.ring = ring
        self._lock = threading.Lock()  # pending audio and the part list
        self._storing = threading.Lock()  # one part PUT at a time, numbered in order
        self._pending = bytearray()
        self._in_flight = 0
        self._flushed = time.monotonic()
        # Frames arrive on the event loop: a PUT (and its retries while the store is away)
        # must never block it, so timed flushes run on a thread of their own.
        self._flusher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="spool-flush")
        self._flush_queued = False
        if create:
            objects.put(self.base + MARKER, b"")
        elif objects.head(self.base + MARKER) is None:
            raise FileNotFoundError("no such spool")
        self._parts = self._audio_parts()
        self._finals = len(self._final_names())

    def _identity(self, stream: str, number: int) -> str:
        return f"spool|{self.session}|{stream}|{number}"

    def _audio_parts(self) -> list[tuple[int, int, str]]:
        found = []
        for item in self.objects.listing(self.base + "audio/"):
            number, _, size = item.name.rsplit("/", 1)[1].partition(".")
            if number.isdigit() and size.isdigit():
                found.append((int(number), int(size), item.name))
        return sorted(found)

    def _final_names(self) -> list[str]:
        return sorted(item.name for item in self.objects.listing(self.base + "finals/"))

    @property
    def samples(self) -> int:
        with self._lock:
            stored = sum(size for _, size, _ in self._parts)
            return (stored + self._in_flight + len(self._pending)) // 2

    def write(self, samples: FloatArray) -> None:
        with self._lock:
            self._pending += pcm_of(samples)
            due = time.monotonic() - self._flushed >= FLUSH_SECONDS and not self._flush_queued
            self._flush_queued = self._flush_queued or due
        if due:
            self._flusher.submit(self._timed_flush)

    def _timed_flush(self) -> None:
        try:
            self._flush()
        except Exception as exc:  # the store is away: the audio stays pending, tried again
            log.warning("spool_flush_failed", error_type=type(exc).__name__)
        finally:
            with self._lock:
                self._flush_queued = False

    def _flush(self) -> None:
        """Store the pending audio as the next part (any thread)."""
        with self._storing:
            with self._lock:
                self._flushed = time.monotonic()
                data = bytes(self._pending)
                self._pending.clear()
                self._in_flight = len(data)
                number = len(self._parts) + 1
            if not data:
                return
            name = f"{self.base}audio/{number:08d}.{len(data)}"
            try:
                out = io.BytesIO()
                appender = records.Appender(out, self.ring, self._identity("audio", number))
                for start in range(0, len(data), RECORD_BYTES):
                    appender.append(data[start : start + RECORD_BYTES])
                self.objects.put(name, out.getvalue())
            except BaseException:
                with self._lock:  # not stored: back in front of what arrived meanwhile
                    self._pending[:0] = data
                    self._in_flight = 0
                raise
            with self._lock:
                self._parts.append((number, len(data), name))
                self._in_flight = 0

    def _pcm(self) -> bytes:
        self._flush()
        with self._lock:
            parts = list(self._parts)
        if [number for number, _, _ in parts] != list(range(1, len(parts) + 1)):
            raise SpoolCorruptError("a part of a live session's audio is missing")
        # An hour is thousands of parts: fetched several at a time, a round trip each.
        with ThreadPoolExecutor(max_workers=FETCHERS) as pool:
            return b"".join(pool.map(self._part, parts))

    def _part(self, part: tuple[int, int, str]) -> bytes:
        number, _, name = part
        body = self.objects.get(name)
        if body is None:
            raise SpoolCorruptError("a part of a live session's audio is missing")
        try:
            framed = records.read_framed(
                io.BytesIO(body), self.ring, self._identity("audio", number)
            )
            return b"".join(framed)
        except records.RecordError as exc:
            raise SpoolCorruptError("a live session's spool record is damaged") from exc

    def read(self, start: int) -> FloatArray:
        return samples_of(self._pcm()[2 * start :])

    def log_finals(self, end: int, segments: list[Segment]) -> None:
        line = json.dumps({"end": end, "segments": [s.model_dump(mode="json") for s in segments]})
        self._flush()  # the audio a final covers is stored before the final is
        with self._lock:
            self._finals += 1
            number = self._finals
        sealed = records.seal(self.ring, self._identity("finals", number), line.encode())
        self.objects.put(f"{self.base}finals/{number:08d}", sealed)

    def load_finals(self) -> tuple[list[Segment], int]:
        segments: list[Segment] = []
        end = 0
        for number, name in enumerate(self._final_names(), start=1):
            sealed = self.objects.get(name)
            if sealed is None or not name.endswith(f"/{number:08d}"):
                raise SpoolCorruptError("a live session's finals are missing")
            try:
                entry = json.loads(
                    records.unseal(self.ring, self._identity("finals", number), sealed)
                )
            except records.RecordError as exc:
                raise SpoolCorruptError("a live session's spool record is damaged") from exc
            segments.extend(Segment.model_validate(s) for s in entry["segments"])
            end = int(entry["end"])
        return segments, end

    def finish(self) -> BinaryIO:
        return wav_of(self._pcm())

    def close(self) -> None:
        """Store what is pending: another node may take the session over from here."""
        self._flusher.submit(lambda: None).result()  # a timed flush under way ends first
        self._flush()

    def discard(self) -> None:
        self._flusher.shutdown(wait=True)
        with self._lock:
            self._pending.clear()
        self.objects.delete_all(self.base)


def spool_opener(data_dir: Path, ring: KeyRing, blobs: object) -> SpoolOpener:
    """Opens (`create`) or reopens a spool by its path relative to the data dir."""
    if isinstance(blobs, S3BlobStore):
        area = blobs.area("spools")
        return lambda relative, create: S3Spool(area, relative, ring, create=create)
    return lambda relative, create: Spool(data_dir / relative, ring, create=create)
