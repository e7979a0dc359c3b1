"""A live session on disk: audio as it arrives and the finals sent, so a restart loses neither."""

from __future__ import annotations

import io
import json
import os
import shutil
import struct
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, BinaryIO

import numpy as np

from clinscribe.asr.core.schemas import Segment
from clinscribe.audio.decode import SAMPLE_RATE, FloatArray
from clinscribe.errors import ClinscribeError
from clinscribe.security.keys import DecryptionError, KeyRing

HEADER_BYTES = 44
# Written to the OS on every frame (a crashed process loses nothing); forced to the disk this
# often, which bounds what a crash of the machine itself can lose.
FSYNC_SECONDS = 1.0
_LENGTH = struct.Struct(">I")


class SpoolCorruptError(ClinscribeError):
    """A spool record other than a torn last one fails to decrypt."""

    status_code = 500
    code = "spool_corrupt"


class Spool:
    """The session's 16 kHz 16-bit audio, appended frame by frame as encrypted records.

    Live audio and its finals are PHI like any stored recording, so they never touch the disk
    in the clear: each frame is one AES-GCM record (length-prefixed) whose associated data names
    the session directory, the stream (audio or finals) and the record's index, so records
    cannot be reordered or moved between sessions. A record torn by a crash is dropped.
    """

    def __init__(self, directory: Path, ring: KeyRing, *, create: bool = True) -> None:
        self.directory = directory
        self.ring = ring
        self._lock = threading.Lock()
        path = directory / "audio.sealed"
        self._records = 0
        self._bytes = 0
        self._finals = 0
        if create:
            directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            self._file: IO[bytes] = path.open("w+b")
        else:
            self._file = path.open("r+b")
            good = 0
            for end, pcm in self._scan():
                good = end
                self._records += 1
                self._bytes += len(pcm)
            self._file.truncate(good)  # a record torn by a crash is dropped
            self._file.seek(good)
            self._keep_whole_finals()
        self._synced = time.monotonic()

    def _aad(self, stream: str, index: int) -> str:
        return f"spool|{self.directory.name}|{stream}|{index}"

    def _scan(self) -> Iterator[tuple[int, bytes]]:
        """(offset after the record, plaintext) for each whole record, from the start."""
        self._file.seek(0)
        offset, index = 0, 0
        while True:
            head = self._file.read(_LENGTH.size)
            if len(head) < _LENGTH.size:
                return
            (length,) = _LENGTH.unpack(head)
            sealed = self._file.read(length)
            if len(sealed) < length:
                return
            try:
                pcm = self.ring.decrypt(sealed.decode("ascii"), self._aad("audio", index))
            except (DecryptionError, UnicodeDecodeError) as exc:
                if self._file.read(1):  # damage in the middle, not a torn tail
                    raise SpoolCorruptError("a live session's audio record is damaged") from exc
                return
            offset += _LENGTH.size + length
            index += 1
            yield offset, pcm

    @property
    def samples(self) -> int:
        return self._bytes // 2

    def write(self, samples: FloatArray) -> None:
        pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2").tobytes()
        with self._lock:
            sealed = self.ring.encrypt(pcm, self._aad("audio", self._records)).encode("ascii")
            self._file.write(_LENGTH.pack(len(sealed)) + sealed)
            self._file.flush()
            self._records += 1
            self._bytes += len(pcm)
            if time.monotonic() - self._synced >= FSYNC_SECONDS:
                os.fsync(self._file.fileno())
                self._synced = time.monotonic()

    def _pcm(self) -> bytes:
        with self._lock:
            pcm = b"".join(chunk for _, chunk in self._scan())
            self._file.seek(0, os.SEEK_END)
        return pcm

    def read(self, start: int) -> FloatArray:
        """Samples from `start` to the end, as float32 (to decode again after a restart)."""
        pcm = self._pcm()[2 * start :]
        data = np.frombuffer(pcm[: len(pcm) - len(pcm) % 2], dtype="<i2")
        return (data.astype(np.float32) / 32768.0).astype(np.float32)

    def log_finals(self, end: int, segments: list[Segment]) -> None:
        """Record an utterance's finals and where it ended, before the client is sent them."""
        line = json.dumps({"end": end, "segments": [s.model_dump(mode="json") for s in segments]})
        sealed = self.ring.encrypt(line.encode(), self._aad("finals", self._finals))
        with (self.directory / "finals.sealed").open("a", encoding="ascii") as log:
            log.write(sealed + "\n")
            log.flush()
            os.fsync(log.fileno())
        self._finals += 1

    def _finals_lines(self) -> list[tuple[str, bytes]]:
        """(sealed line, plaintext) of the logged finals, up to a line torn by a crash."""
        path = self.directory / "finals.sealed"
        lines: list[tuple[str, bytes]] = []
        if not path.is_file():
            return lines
        for index, line in enumerate(path.read_text("ascii").splitlines()):
            try:
                lines.append((line, self.ring.decrypt(line, self._aad("finals", index))))
            except DecryptionError:
                break
        return lines

    def _keep_whole_finals(self) -> None:
        # Appending after a torn line would glue the next final onto it and lose both.
        lines = self._finals_lines()
        path = self.directory / "finals.sealed"
        if path.is_file():
            path.write_text("".join(line + "\n" for line, _ in lines), "ascii")
        self._finals = len(lines)

    def load_finals(self) -> tuple[list[Segment], int]:
        """Finals logged so far and the sample where the last logged utterance ended."""
        segments: list[Segment] = []
        end = 0
        for _, plain in self._finals_lines():  # a torn last utterance is decoded again
            entry = json.loads(plain)
            segments.extend(Segment.model_validate(s) for s in entry["segments"])
            end = int(entry["end"])
        return segments, end

    def finish(self) -> BinaryIO:
        """The whole recording as a WAV, for storage (decrypted into memory, never to disk)."""
        pcm = self._pcm()
        return io.BytesIO(_wav_header(len(pcm)) + pcm)

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
