"""A live session on disk: audio as it arrives and the finals sent, so a restart loses neither."""

from __future__ import annotations

import json
import os
import shutil
import struct
import threading
import time
from pathlib import Path
from typing import IO, BinaryIO, cast

import numpy as np

from clinscribe.asr.schemas import Segment
from clinscribe.recordings.audio import SAMPLE_RATE, FloatArray

HEADER_BYTES = 44
# Written to the OS on every frame (a crashed process loses nothing); forced to the disk this
# often, which bounds what a crash of the machine itself can lose.
FSYNC_SECONDS = 1.0


class Spool:
    """The session's 16 kHz 16-bit audio as a WAV file, appended frame by frame."""

    def __init__(self, directory: Path, *, create: bool = True) -> None:
        self.directory = directory
        self._lock = threading.Lock()
        path = directory / "audio.wav"
        if create:
            directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            self._file: IO[bytes] = path.open("w+b")
            self._file.write(_wav_header(0))  # rewritten with the real size by finish()
        else:
            self._file = path.open("r+b")
            # A process killed mid-write may leave half a sample behind.
            size = max(HEADER_BYTES, path.stat().st_size)
            size -= (size - HEADER_BYTES) % 2
            self._file.truncate(size)
            self._file.seek(size)
        self._bytes = self._file.tell() - HEADER_BYTES
        self._synced = time.monotonic()

    @property
    def samples(self) -> int:
        return self._bytes // 2

    def write(self, samples: FloatArray) -> None:
        pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2").tobytes()
        with self._lock:
            self._file.write(pcm)
            self._file.flush()
            self._bytes += len(pcm)
            if time.monotonic() - self._synced >= FSYNC_SECONDS:
                os.fsync(self._file.fileno())
                self._synced = time.monotonic()

    def read(self, start: int) -> FloatArray:
        """Samples from `start` to the end, as float32 (to decode again after a restart)."""
        with self._lock:
            self._file.seek(HEADER_BYTES + 2 * start)
            pcm = self._file.read()
            self._file.seek(0, os.SEEK_END)
        data = np.frombuffer(pcm[: len(pcm) - len(pcm) % 2], dtype="<i2")
        return (data.astype(np.float32) / 32768.0).astype(np.float32)

    def log_finals(self, end: int, segments: list[Segment]) -> None:
        """Record an utterance's finals and where it ended, before the client is sent them."""
        line = json.dumps({"end": end, "segments": [s.model_dump(mode="json") for s in segments]})
        with (self.directory / "finals.jsonl").open("a", encoding="utf-8") as log:
            log.write(line + "\n")
            log.flush()
            os.fsync(log.fileno())

    def load_finals(self) -> tuple[list[Segment], int]:
        """Finals logged so far and the sample where the last logged utterance ended."""
        path = self.directory / "finals.jsonl"
        segments: list[Segment] = []
        end = 0
        if not path.is_file():
            return segments, end
        for line in path.read_text("utf-8").splitlines():
            try:
                entry = json.loads(line)
            except ValueError:  # a torn last line from a crash: that utterance is decoded again
                break
            segments.extend(Segment.model_validate(s) for s in entry["segments"])
            end = int(entry["end"])
        return segments, end

    def finish(self) -> BinaryIO:
        """Fix the WAV header and rewind the file for storage."""
        with self._lock:
            self._file.seek(0)
            self._file.write(_wav_header(self._bytes))
            self._file.flush()
            self._file.seek(0)
        return cast(BinaryIO, self._file)

    def close(self) -> None:
        """Close the file, keeping it on disk (the session may be resumed elsewhere)."""
        self._file.close()

    def discard(self) -> None:
        """Delete the session's files: its audio is stored elsewhere, or was refused."""
        self._file.close()
        shutil.rmtree(self.directory, ignore_errors=True)


def _wav_header(data_bytes: int) -> bytes:
    rate, width = SAMPLE_RATE, 2
    return (
        b"RIFF"
        + struct.pack("<I", 36 + data_bytes)
        + b"WAVEfmt "
        + struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * width, width, 16)
        + b"data"
        + struct.pack("<I", data_bytes)
    )
