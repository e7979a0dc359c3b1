"""Live sessions held by this node: audio spool, outbox, resume window, one-time tokens."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import struct
import tempfile
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Any, BinaryIO, cast

import numpy as np

from clinscribe.recordings.audio import SAMPLE_RATE, FloatArray
from clinscribe.security.principal import Principal
from clinscribe.streaming.decoder import Event, StreamDecoder
from clinscribe.streaming.inputs import AudioInput, PcmInput, WebmInput
from clinscribe.streaming.limits import StreamLimits
from clinscribe.streaming.metrics import ACTIVE_STREAMS
from clinscribe.streaming.protocol import StreamConfig, StreamError

CLOSE = {"type": "_close"}  # tells the sender task to stop once everything before it is sent


class Spool:
    """The whole session's audio as a 16 kHz 16-bit WAV on disk, not in memory."""

    def __init__(self) -> None:
        self._file: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 - owned by the spool
        self._file.write(_wav_header(0))  # rewritten with the real size by finish()
        self._bytes = 0
        self._lock = threading.Lock()

    def write(self, samples: FloatArray) -> None:
        pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2").tobytes()
        with self._lock:
            self._file.write(pcm)
            self._bytes += len(pcm)

    def finish(self) -> BinaryIO:
        """Fix the WAV header and rewind the file for storage."""
        with self._lock:
            self._file.seek(0)
            self._file.write(_wav_header(self._bytes))
            self._file.flush()
            self._file.seek(0)
        return cast(BinaryIO, self._file)

    def discard(self) -> None:
        self._file.close()


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


class Outbox:
    """Events for the client; survives a dropped connection so a resume receives them."""

    def __init__(self) -> None:
        self._items: deque[Event] = deque()
        self._ready = asyncio.Event()

    def put(self, event: Event) -> None:
        # Only the newest partial matters: a slow reader never accumulates stale ones.
        if event["type"] == "partial" and self._items and self._items[-1]["type"] == "partial":
            self._items[-1] = event
        else:
            self._items.append(event)
        self._ready.set()

    async def peek(self) -> Event:
        while not self._items:
            self._ready.clear()
            await self._ready.wait()
        return self._items[0]

    def pop(self) -> None:
        self._items.popleft()


@dataclass
class LiveSession:
    """One dictation: survives reconnects until stopped or past its resume window."""

    id: str
    principal: Principal
    encounter_id: str
    config: StreamConfig
    decoder: StreamDecoder
    spool: Spool
    outbox: Outbox
    input: AudioInput | None = None
    connected: bool = True
    finishing: bool = False
    expiry: asyncio.Task[Any] | None = None
    input_error: str | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def seconds(self) -> float:
        return self.decoder.received / SAMPLE_RATE

    def open_input(self, config: StreamConfig) -> None:
        """A new connection may change encoding or rate, and a new webm stream has a header."""
        self.close_input()
        self.config = config

        def sink(samples: FloatArray) -> None:
            self.spool.write(samples)
            self.decoder.feed(samples)

        def failed(message: str) -> None:
            self.input_error = message

        self.input = (
            WebmInput(sink, failed)
            if config.encoding == "webm_opus"
            else PcmInput(config.sample_rate, sink)
        )

    def close_input(self) -> None:
        if self.input is not None:
            self.input.close()
            self.input = None


class StreamRegistry:
    """Sessions and one-time browser tokens of this process (node-local by design)."""

    def __init__(self, limits: StreamLimits) -> None:
        self.limits = limits
        self.sessions: dict[str, LiveSession] = {}
        self._tokens: dict[str, tuple[Principal, float]] = {}

    def mint(self, principal: Principal) -> str:
        """A single-use token for the query string; only its hash is kept."""
        now = time.monotonic()
        self._tokens = {k: v for k, v in self._tokens.items() if v[1] > now}
        token = secrets.token_urlsafe(32)
        self._tokens[_digest(token)] = (principal, now + self.limits.token_seconds)
        return token

    def redeem(self, token: str) -> Principal | None:
        found = self._tokens.pop(_digest(token), None)
        if found is None or found[1] <= time.monotonic():
            return None
        return found[0]

    def open(
        self, principal: Principal, config: StreamConfig, make_decoder: Callable[..., Any]
    ) -> LiveSession:
        """A new session, within the per-tenant and per-node limits."""
        if len(self.sessions) >= self.limits.max_per_node:
            raise StreamError(4429, "too_many_sessions", "this node is at its session limit")
        tenant = sum(
            1 for s in self.sessions.values() if s.principal.tenant_id == principal.tenant_id
        )
        if tenant >= self.limits.max_per_tenant:
            raise StreamError(4429, "too_many_sessions", "the tenant is at its session limit")
        loop = asyncio.get_running_loop()
        outbox = Outbox()

        def deliver(event: Event) -> None:
            loop.call_soon_threadsafe(outbox.put, event)

        live = LiveSession(
            id=uuid.uuid4().hex,
            principal=principal,
            encounter_id=config.encounter_id,
            config=config,
            decoder=make_decoder(deliver),
            spool=Spool(),
            outbox=outbox,
        )
        live.open_input(config)
        self.sessions[live.id] = live
        ACTIVE_STREAMS.set(len(self.sessions))
        return live

    def resume(self, session_id: str, principal: Principal, config: StreamConfig) -> LiveSession:
        """Reattach a dropped session of the same user and encounter."""
        live = self.sessions.get(session_id)
        if (
            live is None
            or live.finishing
            or live.principal.tenant_id != principal.tenant_id
            or live.principal.actor_id != principal.actor_id
        ):
            raise StreamError(4404, "session_not_found", "no resumable session with that id")
        if live.encounter_id != config.encounter_id:
            raise StreamError(4400, "bad_message", "the session belongs to another encounter")
        if live.connected:
            raise StreamError(4409, "session_in_use", "the session is connected elsewhere")
        if live.expiry is not None:
            live.expiry.cancel()
            live.expiry = None
        live.connected = True
        live.open_input(config)
        return live

    def remove(self, live: LiveSession) -> None:
        self.sessions.pop(live.id, None)
        ACTIVE_STREAMS.set(len(self.sessions))


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
