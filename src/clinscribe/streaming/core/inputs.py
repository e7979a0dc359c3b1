"""Inbound audio to 16 kHz mono float32: PCM s16le at any declared rate, or webm/opus."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Any, Protocol

import av
import av.error
import numpy as np

from clinscribe.audio.decode import SAMPLE_RATE, FloatArray
from clinscribe.storage.pieces import PieceReader

Sink = Callable[[FloatArray], None]


class AudioInput(Protocol):
    """Turns client bytes into 16 kHz samples handed to a sink."""

    def feed(self, data: bytes) -> None: ...

    def close(self) -> None: ...


class PcmInput:
    """Little-endian 16-bit mono PCM; other rates are resampled with libswresample."""

    def __init__(self, sample_rate: int, sink: Sink) -> None:
        self.rate = sample_rate
        self.sink = sink
        self._odd = b""  # a frame may split a sample in two
        self._resampler: Any = (
            None
            if sample_rate == SAMPLE_RATE
            else av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
        )
        self._pts = 0

    def feed(self, data: bytes) -> None:
        data = self._odd + data
        cut = len(data) - len(data) % 2
        self._odd = data[cut:]
        if not cut:
            return
        pcm = np.frombuffer(data[:cut], dtype="<i2")
        if self._resampler is None:
            self.sink((pcm.astype(np.float32) / 32768.0).astype(np.float32))
            return
        frame = av.AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = self.rate
        frame.pts = self._pts
        self._pts += len(pcm)
        self._emit(self._resampler.resample(frame))

    def close(self) -> None:
        if self._resampler is not None:
            self._emit(self._resampler.resample(None))

    def _emit(self, frames: list[Any]) -> None:
        for out in frames:
            self.sink(out.to_ndarray().reshape(-1).astype(np.float32, copy=False))


class _Pipe(PieceReader):
    """A blocking byte pipe: the demuxer thread reads what the socket handler writes; an
    empty chunk ends the stream."""

    def __init__(self) -> None:
        self._chunks: queue.Queue[bytes] = queue.Queue()
        super().__init__(iter(self._chunks.get, b""))

    def write_chunk(self, data: bytes) -> None:
        self._chunks.put(data)


class WebmInput:
    """A MediaRecorder webm/opus stream, demuxed and decoded as bytes arrive (own thread)."""

    def __init__(self, sink: Sink, on_error: Callable[[str], None]) -> None:
        self.sink = sink
        self.on_error = on_error
        self._pipe = _Pipe()
        self._thread = threading.Thread(target=self._run, name="stream-webm", daemon=True)
        self._thread.start()

    def feed(self, data: bytes) -> None:
        if data:
            self._pipe.write_chunk(data)

    def close(self) -> None:
        self._pipe.write_chunk(b"")
        self._thread.join(timeout=10)

    def _run(self) -> None:
        resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
        try:
            # Small probe sizes: the header arrives first and we must not wait for more audio.
            with av.open(
                self._pipe, mode="r", format="webm", options={"probesize": "4096"}
            ) as container:
                for frame in container.decode(container.streams.audio[0]):
                    for out in resampler.resample(frame):
                        self.sink(out.to_ndarray().reshape(-1).astype(np.float32, copy=False))
                for out in resampler.resample(None):
                    self.sink(out.to_ndarray().reshape(-1).astype(np.float32, copy=False))
        except (av.error.FFmpegError, IndexError, ValueError) as exc:
            self.on_error(f"the webm/opus stream could not be decoded: {type(exc).__name__}")
