"""A live session on disk: audio as it arrives and the finals sent, so a restart loses neither."""

from __future__ import annotations

import io
import json
import os
import shutil
import struct
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Protocol

import numpy as np

from clinscribe.asr.core.schemas import Segment
from clinscribe.audio.decode import SAMPLE_RATE, FloatArray
from clinscribe.errors import ClinscribeError
from clinscribe.security.keys import DecryptionError, KeyRing
from clinscribe.security.records import FRAMED, Appender, RecordError, read_framed

HEADER_BYTES = 44
# Written to the OS on every frame (a crashed process loses nothing); forced to the disk this
# often, which bounds what a crash of the machine itself can lose.
FSYNC_SECONDS = 1.0
AUDIO = "audio.sealed"
FINALS = "finals.sealed"
_LEGACY_LENGTH = struct.Struct(">I")


class SpoolCorruptError(ClinscribeError):
    """A spool record other than a torn last one fails to decrypt."""

    status_code = 500
    code = "spool_corrupt"


@contextmanager
def _as_corrupt() -> Iterator[None]:
    try:
        yield
    except RecordError as exc:
        raise SpoolCorruptError("a live session's spool record is damaged") from exc


class SpoolLike(Protocol):
    """What a live session needs of its spool, wherever it is kept (local disk, S3)."""

    @property
    def samples(self) -> int: ...

    def write(self, samples: FloatArray) -> None: ...

    def read(self, start: int) -> FloatArray: ...

    def log_finals(self, end: int, segments: list[Segment]) -> None: ...

    def load_finals(self) -> tuple[list[Segment], int]: ...

    def finish(self) -> BinaryIO: ...

    def close(self) -> None: ...

    def discard(self) -> None: ...


def pcm_of(samples: FloatArray) -> bytes:
    """16-bit little-endian PCM, as spools keep audio."""
    return bytes((np.clip(samples, -1.0, 1.0) * 32767).astype("<i2").tobytes())


def samples_of(pcm: bytes) -> FloatArray:
    """The float32 samples of 16-bit PCM (an odd last byte dropped)."""
    data = np.frombuffer(pcm[: len(pcm) - len(pcm) % 2], dtype="<i2")
    return (data.astype(np.float32) / 32768.0).astype(np.float32)


def wav_of(pcm: bytes) -> BinaryIO:
    """The whole recording as a WAV in memory (never on disk)."""
    return io.BytesIO(_wav_header(len(pcm)) + pcm)


class Spool:
    """The session's 16 kHz 16-bit audio, appended frame by frame, and the finals logged.

    Live audio and its finals are PHI like any stored recording, so they never touch the disk
    in the clear: each is a sealed record file in the framed layout (`security.records`), one
    record per audio frame or per utterance's finals, bound to the session directory and the
    stream (audio or finals), so records cannot be reordered or moved between sessions. A
    record torn by a crash is dropped when the spool is reopened.
    """

    def __init__(self, directory: Path, ring: KeyRing, *, create: bool = True) -> None:
        self.directory = directory
        self.ring = ring
        self._lock = threading.Lock()
        self._finals_lock = threading.Lock()  # finals are fsynced: audio frames need not wait
        if create:
            directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            self._file: BinaryIO = (directory / AUDIO).open("w+b")
            self._log: BinaryIO = (directory / FINALS).open("w+b")
        else:
            self._file = self._reopen(AUDIO, _legacy_audio)
            try:
                self._log = self._reopen(FINALS, _legacy_finals)
            except BaseException:
                self._file.close()
                raise
        try:
            with _as_corrupt():
                self._audio = Appender(self._file, ring, self._identity("audio"), verify_all=True)
                self._finals = Appender(self._log, ring, self._identity("finals"), verify_all=True)
        except BaseException:
            self._close_files()
            raise
        self._synced = time.monotonic()

    def _identity(self, stream: str) -> str:
        return f"spool|{self.directory.name}|{stream}"

    def _reopen(self, name: str, legacy: _Legacy) -> BinaryIO:
        path = self.directory / name
        if name == FINALS and not path.exists():
            return path.open("w+b")  # a session that never logged a final
        handle = path.open("r+b")
        head = handle.read(len(FRAMED))
        if head and not FRAMED.startswith(head):
            handle.close()
            self._upgrade(path, name.removesuffix(".sealed"), legacy)
            handle = path.open("r+b")
        return handle

    def _upgrade(self, path: Path, stream: str, legacy: _Legacy) -> None:
        """Rewrite a spool file of the layout before sealed record files in the current one."""
        spare = path.with_name(f"{path.name}.upgrade")
        records = legacy(path.read_bytes(), self.ring, f"spool|{self.directory.name}|{stream}")
        try:
            with spare.open("w+b") as out:
                appender = Appender(out, self.ring, self._identity(stream))
                for plain in records:
                    appender.append(plain)
                out.flush()
                os.fsync(out.fileno())
            spare.replace(path)  # atomic: a crash now leaves the old file, upgraded next time
        except BaseException:
            spare.unlink(missing_ok=True)
            raise

    @property
    def samples(self) -> int:
        return self._audio.size // 2

    def write(self, samples: FloatArray) -> None:
        pcm = pcm_of(samples)
        with self._lock:
            self._audio.append(pcm)
            self._file.flush()
            if time.monotonic() - self._synced >= FSYNC_SECONDS:
                os.fsync(self._file.fileno())
                self._synced = time.monotonic()

    def _pcm(self) -> bytes:
        with self._lock, _as_corrupt():
            return b"".join(read_framed(self._file, self.ring, self._identity("audio")))

    def read(self, start: int) -> FloatArray:
        """Samples from `start` to the end, as float32 (to decode again after a restart)."""
        return samples_of(self._pcm()[2 * start :])

    def log_finals(self, end: int, segments: list[Segment]) -> None:
        """Record an utterance's finals and where it ended, before the client is sent them."""
        line = json.dumps({"end": end, "segments": [s.model_dump(mode="json") for s in segments]})
        with self._finals_lock:
            self._finals.append(line.encode())
            self._log.flush()
            os.fsync(self._log.fileno())

    def load_finals(self) -> tuple[list[Segment], int]:
        """Finals logged so far and the sample where the last logged utterance ended."""
        with self._finals_lock, _as_corrupt():
            entries = list(read_framed(self._log, self.ring, self._identity("finals")))
        segments: list[Segment] = []
        end = 0
        for plain in entries:  # a torn last utterance was dropped: it is decoded again
            entry = json.loads(plain)
            segments.extend(Segment.model_validate(s) for s in entry["segments"])
            end = int(entry["end"])
        return segments, end

    def finish(self) -> BinaryIO:
        """The whole recording as a WAV, for storage (decrypted into memory, never to disk)."""
        return wav_of(self._pcm())

    def close(self) -> None:
        """Close the files, keeping them on disk (the session may be resumed elsewhere)."""
        self._close_files()

    def discard(self) -> None:
        """Delete the session's files: its audio is stored elsewhere, or was refused."""
        self._close_files()
        shutil.rmtree(self.directory, ignore_errors=True)

    def _close_files(self) -> None:
        self._file.close()
        self._log.close()


# Spools written before sealed record files held `enc1:` key-ring values, length-prefixed
# (audio) or one per line (finals). A session detached across that upgrade is still taken over
# or stored: its files are rewritten in the current layout when it is reopened. A spool lives
# for its resume window, or until the sweep stores it, so these go once no such spool remains.
_Legacy = Callable[[bytes, KeyRing, str], Iterator[bytes]]


def _legacy_audio(raw: bytes, ring: KeyRing, aad: str) -> Iterator[bytes]:
    offset, index = 0, 0
    while offset + _LEGACY_LENGTH.size <= len(raw):
        (length,) = _LEGACY_LENGTH.unpack_from(raw, offset)
        body = offset + _LEGACY_LENGTH.size
        if body + length > len(raw):
            return  # torn by a crash
        try:
            yield ring.decrypt(raw[body : body + length].decode("ascii"), f"{aad}|{index}")
        except (DecryptionError, ValueError) as exc:  # the ring raises ValueError when short
            if body + length < len(raw):  # damage in the middle, not a torn tail
                raise SpoolCorruptError("a live session's audio record is damaged") from exc
            return
        offset, index = body + length, index + 1


def _legacy_finals(raw: bytes, ring: KeyRing, aad: str) -> Iterator[bytes]:
    for index, line in enumerate(raw.decode("ascii", errors="replace").splitlines()):
        try:
            yield ring.decrypt(line, f"{aad}|{index}")
        except (DecryptionError, ValueError):
            return  # a line torn by a crash, and nothing after it is trusted


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
