"""Live sessions held by this node: audio spool, outbox, resume window; records in the database."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy.orm import Session, sessionmaker

from clinscribe.audio.decode import SAMPLE_RATE, FloatArray
from clinscribe.db.base import utcnow
from clinscribe.db.session import unit_of_work
from clinscribe.errors import Unauthorized
from clinscribe.security.crypto import KeyRing
from clinscribe.security.principal import Principal
from clinscribe.streaming import service
from clinscribe.streaming.core.decoder import Event, StreamDecoder, final_event
from clinscribe.streaming.core.inputs import AudioInput, PcmInput, WebmInput
from clinscribe.streaming.core.limits import StreamLimits
from clinscribe.streaming.core.metrics import ACTIVE_STREAMS
from clinscribe.streaming.core.protocol import StreamConfig, StreamError
from clinscribe.streaming.core.spool import Spool, SpoolLike

CLOSE = {"type": "_close"}  # tells the sender task to stop once everything before it is sent
# While connected a session's record is refreshed this often; a record missing several
# heartbeats belongs to a node that died, and a reconnect may take the session over.
HEARTBEAT_SECONDS = 2.0
STALE_HEARTBEATS = 3
T = TypeVar("T")


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
    """One dictation: survives reconnects (and restarts) until stopped or past its window."""

    id: str
    principal: Principal
    encounter_id: str
    config: StreamConfig
    decoder: StreamDecoder
    spool: SpoolLike
    outbox: Outbox
    input: AudioInput | None = None
    connected: bool = True
    finishing: bool = False
    lost: bool = False  # another node took the session over
    bytes_received: int = 0
    expiry: asyncio.Task[Any] | None = None
    heartbeat: asyncio.Task[Any] | None = None
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

    def feed(self, data: bytes) -> None:
        assert self.input is not None
        self.bytes_received += len(data)
        self.input.feed(data)

    def close_input(self) -> None:
        if self.input is not None:
            self.input.close()
            self.input = None


DecoderFactory = Callable[..., StreamDecoder]


class StreamRegistry:
    """This process's live sessions; tokens and session records live in the database."""

    def __init__(
        self,
        limits: StreamLimits,
        makers: sessionmaker[Session],
        data_dir: Path,
        ring: KeyRing,
        open_spool: Callable[[str, bool], SpoolLike] | None = None,
    ) -> None:
        self.limits = limits
        self.makers = makers
        self.data_dir = data_dir
        self.ring = ring
        # Spools under the data dir unless given elsewhere (the S3 store: any node resumes).
        self.open_spool = open_spool or (
            lambda relative, create: Spool(data_dir / relative, ring, create=create)
        )
        # Unique per process: a restarted server is a new node, so it may take over sessions
        # the old process held once their heartbeats stop.
        self.node = f"{socket.gethostname()}/{os.getpid()}/{uuid.uuid4().hex[:8]}"
        self.sessions: dict[str, LiveSession] = {}
        self._opening = 0
        self.last_sweep = 0.0
        self.sweeps: set[asyncio.Task[None]] = set()  # kept referenced until done

    # --- database work (blocking: call in a worker thread) ----------------------------------

    def run(self, work: Callable[[Session], T]) -> T:
        """`work` as one unit of work in a session of its own: committed once when it returns,
        rolled back if it raises. The stream services never commit; this is their owner."""
        with unit_of_work(self.makers) as session:
            return work(session)

    def mint(
        self,
        principal: Principal,
        session: Session | None = None,
        permission: str = "encounters:write",
    ) -> str:
        """A single-use token for the query string; only its hash is stored.

        In the caller's session (committed by its owner), or in a unit of work of its own.
        """
        if session is None:
            return self.run(lambda own: self.mint(principal, own, permission))
        return service.mint_token(
            session=session,
            principal=principal,
            seconds=self.limits.token_seconds,
            permission=permission,
        )

    def redeem(self, token: str) -> Principal:
        """The token's principal, once, on any node (raises Unauthorized, audited)."""
        # Committed either way: the token is spent, or its refusal is on the audit log.
        outcome = self.run(lambda session: service.redeem_token(session=session, token=token))
        if isinstance(outcome, service.TokenRefused):
            raise Unauthorized(f"stream token {outcome.reason}")
        return outcome

    # --- sessions ---------------------------------------------------------------------------

    def reserve(self, principal: Principal) -> None:
        """Count a session about to open against the per-tenant and per-node limits."""
        if len(self.sessions) + self._opening >= self.limits.max_per_node:
            raise StreamError(4429, "too_many_sessions", "this node is at its session limit")
        tenant = sum(
            1 for s in self.sessions.values() if s.principal.tenant_id == principal.tenant_id
        )
        if tenant >= self.limits.max_per_tenant:
            raise StreamError(4429, "too_many_sessions", "the tenant is at its session limit")
        self._opening += 1

    def open(
        self,
        principal: Principal,
        config: StreamConfig,
        make_decoder: DecoderFactory,
        loop: asyncio.AbstractEventLoop,
    ) -> LiveSession:
        """A new session after `reserve` (blocking: creates its spool and its record)."""
        try:
            session_id = uuid.uuid4().hex
            relative = f"streams/{session_id}"
            spool = self.open_spool(relative, True)
            outbox = Outbox()
            decoder = make_decoder(_deliver(loop, outbox), journal=spool.log_finals)
            self.run(
                lambda session: service.create_session(
                    session=session,
                    session_id=session_id,
                    principal=principal,
                    encounter_id=config.encounter_id,
                    mode=config.mode,
                    encoding=config.encoding,
                    sample_rate=config.sample_rate,
                    spool_path=relative,
                    node=self.node,
                    resume_until=self.resume_until(),
                )
            )
            live = LiveSession(
                session_id, principal, config.encounter_id, config, decoder, spool, outbox
            )
            live.open_input(config)
            self.sessions[live.id] = live
            ACTIVE_STREAMS.set(len(self.sessions))
            return live
        finally:
            self._opening -= 1

    def resume(
        self, session_id: str, principal: Principal, config: StreamConfig
    ) -> LiveSession | None:
        """Reattach a dropped session held by this process (None: not held here)."""
        live = self.sessions.get(session_id)
        if live is None:
            return None
        if (
            live.finishing
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

    def restore(
        self,
        record: service.SessionRecord,
        principal: Principal,
        config: StreamConfig | None,
        make_decoder: DecoderFactory,
        loop: asyncio.AbstractEventLoop,
    ) -> LiveSession:
        """Take over a session from its spool (blocking): finals logged so far are kept and
        the audio after the last of them is decoded again."""
        try:
            spool = self.open_spool(record.spool_path, False)
        except FileNotFoundError as exc:
            raise StreamError(
                4404, "session_not_found", "the session's audio is not on this node"
            ) from exc
        segments, origin = spool.load_finals()
        outbox = Outbox()
        deliver = _deliver(loop, outbox)
        if config is not None:
            # The old node may have logged finals it never sent: a client taking the session
            # over gets them all again, with their ids, ahead of anything new.
            for segment in segments:
                deliver(final_event(segment))
        decoder = make_decoder(deliver, journal=spool.log_finals, origin=origin, segments=segments)
        decoder.feed(spool.read(origin))
        mode = "conversation" if record.mode == "conversation" else "dictation"
        stored = config or StreamConfig(type="config", encounter_id=record.encounter_id, mode=mode)
        live = LiveSession(
            record.id, principal, record.encounter_id, stored, decoder, spool, outbox
        )
        live.bytes_received = record.bytes_received
        if config is not None:
            live.open_input(config)
        else:
            live.connected = False
        self.sessions[live.id] = live
        ACTIVE_STREAMS.set(len(self.sessions))
        return live

    def resume_until(self) -> datetime:
        return utcnow() + timedelta(seconds=self.limits.resume_seconds)

    def stale_before(self) -> datetime:
        """A live record whose heartbeat is older than this has lost its node."""
        return utcnow() - timedelta(seconds=STALE_HEARTBEATS * HEARTBEAT_SECONDS)

    def remove(self, live: LiveSession) -> None:
        self.sessions.pop(live.id, None)
        ACTIVE_STREAMS.set(len(self.sessions))


def _deliver(loop: asyncio.AbstractEventLoop, outbox: Outbox) -> Callable[[Event], None]:
    def deliver(event: Event) -> None:
        # The server may stop while a detached session still decodes its backlog: nobody is
        # left to send to, and its finals are already in the journal for a resume.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(outbox.put, event)

    return deliver
