"""Live transcription: the `/api/v1/stream` WebSocket and its one-time browser tokens."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any, Literal
from urllib.parse import urlsplit

import structlog
from fastapi import APIRouter, Request, WebSocket, WebSocketDisconnect, status
from pydantic import BaseModel
from starlette.websockets import WebSocketState

from clinscribe.api import API_PREFIX
from clinscribe.api.deps import CurrentPrincipal, SessionDep
from clinscribe.api.errors import ERROR_RESPONSES
from clinscribe.asr.engine import FasterWhisperEngine
from clinscribe.config import Settings
from clinscribe.errors import Forbidden, NotFound, Unauthorized
from clinscribe.jobs.engines import asr_engine
from clinscribe.security import crypto
from clinscribe.security.principal import Principal
from clinscribe.streaming import service
from clinscribe.streaming.decoder import StreamDecoder, drug_corrector
from clinscribe.streaming.limits import StreamLimits, TokenBucket
from clinscribe.streaming.metrics import DROPPED, REJECTED
from clinscribe.streaming.protocol import (
    Chunk,
    StreamConfig,
    StreamError,
    bad_message,
    parse_config,
    parse_message,
)
from clinscribe.streaming.sessions import (
    CLOSE,
    HEARTBEAT_SECONDS,
    STALE_HEARTBEATS,
    LiveSession,
    StreamRegistry,
)

log = structlog.get_logger(__name__)
router = APIRouter(prefix=f"{API_PREFIX}/stream", tags=["stream"], responses=ERROR_RESPONSES)


class StreamTokenRead(BaseModel):
    """A single-use credential for `?token=` on the WebSocket URL (browsers cannot set headers)."""

    token: str
    expires_in: int


def registry_of(app: Any) -> StreamRegistry:
    """The node's live sessions, created on first use; tests may preset `stream_limits`."""
    registry: StreamRegistry | None = getattr(app.state, "streams", None)
    if registry is None:
        limits = getattr(app.state, "stream_limits", None) or StreamLimits.from_settings(
            app.state.settings
        )
        registry = app.state.streams = StreamRegistry(
            limits,
            app.state.sessionmaker,
            app.state.settings.data_dir,
            crypto.key_ring(app.state.settings),
        )
    return registry


@router.post("/tokens", response_model=StreamTokenRead, status_code=status.HTTP_201_CREATED)
def mint_token(
    request: Request, principal: CurrentPrincipal, session: SessionDep
) -> StreamTokenRead:
    """Mint a short-lived, single-use token for opening the live stream from a browser."""
    principal.require("encounters:write")  # streaming needs it; don't hand out useless tokens
    registry = registry_of(request.app)
    token = registry.mint(principal, session)
    return StreamTokenRead(token=token, expires_in=int(registry.limits.token_seconds))


@router.websocket("")
async def stream(websocket: WebSocket) -> None:
    """Live dictation; the message protocol is in contracts.md (Live streaming)."""
    app = websocket.app
    registry = registry_of(app)
    await websocket.accept()
    live: LiveSession | None = None
    _maybe_sweep(app, registry)
    try:
        principal = await _authenticate(websocket, app.state.settings, registry)
        config = parse_config(await _first_text(websocket, registry.limits))
        await _check_encounter(app, principal, config.encounter_id)
        resume = websocket.query_params.get("session_id") or config.resume
        if resume:
            live = registry.resume(resume, principal, config) or await _take_over(
                app, registry, resume, principal, config
            )
        else:
            registry.reserve(principal)
            # The first session of a process loads the model and lexicon: off the loop.
            live = await asyncio.to_thread(
                registry.open,
                principal,
                config,
                _decoder_factory(app.state.settings, config.mode),
                asyncio.get_running_loop(),
            )
        live.heartbeat = asyncio.create_task(_heartbeat(registry, live))
        await websocket.send_json(
            {
                "type": "session",
                "session_id": live.id,
                "resumed": bool(resume),
                "received_seconds": round(live.seconds, 3),
            }
        )
        await _serve(websocket, registry, live)
    except StreamError as exc:
        REJECTED.labels(exc.code).inc()
        if live is not None and exc.close_code == 4500:
            await _discard(registry, live)
        elif live is not None:
            _detach(registry, live, app)
        await _close(websocket, exc)
    except WebSocketDisconnect:
        if live is not None:
            _detach(registry, live, app)
    except Exception:
        log.exception("stream.failed")
        if live is not None:
            _detach(registry, live, app)
        await _close(websocket, StreamError(4500, "internal_error", "internal error"))


async def _authenticate(
    websocket: WebSocket, settings: Settings, registry: StreamRegistry
) -> Principal:
    header = websocket.headers.get("authorization")
    credential = websocket.headers.get("x-api-key")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            await _audit(websocket, "auth.rejected")
            raise StreamError(4401, "unauthorized", "Authorization header must be 'Bearer <token>'")
        credential = value.strip()
    if credential:
        try:
            return await asyncio.to_thread(
                service.authenticate, websocket.app.state.sessionmaker, settings, credential
            )
        except Unauthorized as exc:
            await _audit(websocket, "auth.rejected")
            raise StreamError(4401, "unauthorized", exc.message) from exc
    token = websocket.query_params.get("token")
    if not token:
        await _audit(websocket, "auth.rejected")
        raise StreamError(4401, "unauthorized", "authentication required")
    # Query tokens are for browsers, which always send Origin; a page on another site must
    # not be able to use a token it has stolen or replayed.
    if not _origin_allowed(websocket, settings):
        await _audit(websocket, "stream.origin_rejected")
        raise StreamError(4403, "origin_not_allowed", "this Origin may not open live streams")
    try:
        return await asyncio.to_thread(registry.redeem, token)  # audits a refusal itself
    except Unauthorized as exc:
        raise StreamError(
            4401, "unauthorized", "the stream token is invalid, used or expired"
        ) from exc


async def _audit(websocket: WebSocket, action: str) -> None:
    """Rejected credentials are audited like the REST API's, in their own transaction."""
    await asyncio.to_thread(service.audit_rejected, websocket.app.state.sessionmaker, action)


def _origin_allowed(websocket: WebSocket, settings: Settings) -> bool:
    origin = websocket.headers.get("origin")
    if not origin:
        return False
    if origin in settings.cors_origins:
        return True
    return urlsplit(origin).netloc.lower() == websocket.headers.get("host", "").lower()


async def _first_text(websocket: WebSocket, limits: StreamLimits) -> str:
    message = await _receive(websocket, limits)
    text = message.get("text")
    if text is None:
        raise bad_message("send a config message before any audio")
    return str(text)


async def _receive(websocket: WebSocket, limits: StreamLimits) -> dict[str, Any]:
    try:
        message = dict(await asyncio.wait_for(websocket.receive(), timeout=limits.idle_seconds))
    except TimeoutError as exc:
        raise StreamError(4408, "idle_timeout", "no message within the idle timeout") from exc
    if message["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(message.get("code", 1000))
    return message


async def _check_encounter(app: Any, principal: Principal, encounter_id: str) -> None:
    try:
        await asyncio.to_thread(
            service.check_encounter, app.state.sessionmaker, principal, encounter_id
        )
    except Forbidden as exc:
        raise StreamError(4403, "forbidden", exc.message) from exc
    except NotFound as exc:
        raise StreamError(4404, "not_found", "encounter not found") from exc


def _decoder_factory(settings: Settings, mode: str) -> Any:
    # Live decoding has its own model instance and thread count: a final waits on one decode,
    # while offline jobs are better served by one thread each.
    threads = settings.stream_cpu_threads or settings.asr_cpu_threads
    engine = asr_engine(settings.model_copy(update={"asr_cpu_threads": threads}))
    if not isinstance(engine, FasterWhisperEngine):
        raise StreamError(4500, "engine_unavailable", "live streaming needs the local engine")
    corrector = drug_corrector(engine.config.model)
    beam = settings.asr_beam_size

    live_mode: Literal["dictation", "conversation"] = (
        "conversation" if mode == "conversation" else "dictation"
    )

    def make(deliver: Any, **resume: Any) -> StreamDecoder:
        return StreamDecoder(
            engine,
            mode=live_mode,
            beam_size=beam,
            on_event=deliver,
            corrector=corrector,
            **resume,
        )

    return make


async def _serve(websocket: WebSocket, registry: StreamRegistry, live: LiveSession) -> None:
    """Receive audio while a sender task forwards results; `stop` finishes the session."""
    sender = asyncio.create_task(_send_events(websocket, live))
    try:
        stopped = await _receive_audio(websocket, registry.limits, live, sender)
    except BaseException:
        # The outbox outlives the connection: unsent results go to the resumed one.
        sender.cancel()
        raise
    live.outbox.put(CLOSE)
    if not stopped:  # the session reached its length limit: store it, then say why
        await _finish(websocket, registry, live, sender)
        raise StreamError(4413, "session_too_long", "the session reached its maximum length")
    await _finish(websocket, registry, live, sender)
    await websocket.close(1000)


async def _receive_audio(
    websocket: WebSocket, limits: StreamLimits, live: LiveSession, sender: asyncio.Task[None]
) -> bool:
    """True when the client stopped, False when the session hit its maximum length."""
    bucket = TokenBucket(limits.max_bytes_per_second, limits.max_bytes_per_second * 5)
    while True:
        # Backpressure: a decoder that falls behind stops us reading, so the client's sends
        # block in TCP instead of audio piling up in memory.
        while live.decoder.backlog_seconds() > limits.max_backlog_seconds:
            _raise_if_failed(live, sender)
            await asyncio.sleep(0.05)
        _raise_if_failed(live, sender)
        message = await _receive(websocket, limits)
        if message.get("bytes") is not None:
            item: Any = Chunk(message["bytes"])
        else:
            text = str(message.get("text", ""))
            if len(text) > limits.max_frame_bytes * 4 // 3 + 1024:
                raise StreamError(4413, "frame_too_large", "message exceeds the frame limit")
            item = parse_message(text)
        if not isinstance(item, Chunk):
            return True
        if len(item.data) > limits.max_frame_bytes:
            raise StreamError(4413, "frame_too_large", "audio frame exceeds the frame limit")
        if not bucket.take(len(item.data)):
            raise StreamError(4413, "rate_exceeded", "audio arrives faster than allowed")
        live.feed(item.data)
        if live.seconds > limits.max_seconds:
            return False
        if item.final:
            return True


def _raise_if_failed(live: LiveSession, sender: asyncio.Task[None]) -> None:
    if live.lost:
        raise StreamError(4409, "session_in_use", "the session was taken over by another node")
    if live.input_error:
        raise StreamError(4400, "bad_audio", live.input_error)
    if live.decoder.failed:
        raise StreamError(4500, "internal_error", "live decoding failed")
    if sender.done() and sender.exception() is not None:
        raise WebSocketDisconnect(1006)


async def _send_events(websocket: WebSocket, live: LiveSession) -> None:
    while True:
        event = await live.outbox.peek()
        if event is CLOSE:
            live.outbox.pop()
            return
        if event["type"] != "failed":
            await websocket.send_json(event)
        live.outbox.pop()  # popped only once sent: a resume re-sends what was not


async def _finish(
    websocket: WebSocket, registry: StreamRegistry, live: LiveSession, sender: asyncio.Task[None]
) -> None:
    """Flush the decoder, deliver its last results, store everything, and reply `done`."""
    live.finishing = True
    # Everything queued so far goes out first; a client gone by now still gets its audio and
    # transcript stored.
    with contextlib.suppress(Exception):
        await sender
    transcript_id = await _store(websocket.app, registry, live, websocket)
    await websocket.send_json({"type": "done", "transcript_id": transcript_id})


async def _store(
    app: Any, registry: StreamRegistry, live: LiveSession, websocket: WebSocket | None
) -> str:
    _stop_heartbeat(live)
    try:
        await asyncio.to_thread(live.close_input)
        await asyncio.to_thread(live.decoder.finish)
        if websocket is not None:
            live.outbox.put(CLOSE)
            with contextlib.suppress(Exception):
                await _send_events(websocket, live)
        transcript_id = await asyncio.to_thread(
            service.store,
            app.state.sessionmaker,
            settings=app.state.settings,
            blobs=app.state.blobs,
            principal=live.principal,
            encounter_id=live.encounter_id,
            wav=live.spool.finish(),
            transcript=live.decoder.transcript(),
            mode=live.config.mode,
        )
    except BaseException:
        # The spool stays on disk and the record past its window: a later sweep stores it.
        live.spool.close()
        raise
    finally:
        registry.remove(live)
    await _record(registry, live, "stored", transcript_id=transcript_id)
    live.spool.discard()
    return transcript_id


async def _record(registry: StreamRegistry, live: LiveSession, status: str, **fields: Any) -> bool:
    """Write the session's status and counts to its record; False if another node holds it."""
    ours: bool = await asyncio.to_thread(
        service.touch,
        registry.makers,
        live.id,
        registry.node,
        status=status,
        samples_received=live.decoder.received,
        bytes_received=live.bytes_received,
        **fields,
    )
    return ours


async def _heartbeat(registry: StreamRegistry, live: LiveSession) -> None:
    """While connected: counts, a fresh resume window, and proof that this node is alive."""
    while True:
        await asyncio.sleep(HEARTBEAT_SECONDS)
        ours = await _record(registry, live, "live", resume_until=registry.resume_until())
        if not ours:
            live.lost = True
            return


def _stop_heartbeat(live: LiveSession) -> None:
    if live.heartbeat is not None:
        live.heartbeat.cancel()
        live.heartbeat = None


async def _take_over(
    app: Any,
    registry: StreamRegistry,
    session_id: str,
    principal: Principal,
    config: StreamConfig,
) -> LiveSession:
    """Resume a session this process does not hold: dropped on another node, or held by a
    process that died (its heartbeats stop; we wait for its record to go stale)."""
    deadline = time.monotonic() + (STALE_HEARTBEATS + 1) * HEARTBEAT_SECONDS
    while True:
        record = await asyncio.to_thread(
            service.claim,
            registry.makers,
            session_id=session_id,
            principal=principal,
            node=registry.node,
            resume_until=registry.resume_until(),
            stale_before=registry.stale_before(),
        )
        if record is not None:
            break
        held = await asyncio.to_thread(
            service.held_elsewhere, registry.makers, session_id, principal
        )
        if not held:
            raise StreamError(4404, "session_not_found", "no resumable session with that id")
        if time.monotonic() > deadline:
            raise StreamError(4409, "session_in_use", "the session is connected elsewhere")
        await asyncio.sleep(HEARTBEAT_SECONDS / 2)
    if record.encounter_id != config.encounter_id:
        # Hand it back as it was: detached, for its owner to resume properly.
        await asyncio.to_thread(
            service.touch, registry.makers, session_id, registry.node, status="detached"
        )
        raise StreamError(4400, "bad_message", "the session belongs to another encounter")
    return await asyncio.to_thread(
        registry.restore,
        record,
        principal,
        config,
        _decoder_factory(app.state.settings, record.mode),
        asyncio.get_running_loop(),
    )


def _detach(registry: StreamRegistry, live: LiveSession, app: Any) -> None:
    """Keep a dropped session for its resume window; past it, store what it has."""
    if live.finishing or live.id not in registry.sessions:
        return
    live.connected = False
    _stop_heartbeat(live)
    live.close_input()
    DROPPED.labels("resumable").inc()
    loop = asyncio.get_running_loop()

    async def expire() -> None:
        ours = await _record(registry, live, "detached", resume_until=registry.resume_until())
        if ours:
            await asyncio.sleep(registry.limits.resume_seconds)
        if live.connected or live.finishing:
            return
        live.finishing = True
        # Claim it back before storing: another node may have resumed it meanwhile.
        ours = await asyncio.to_thread(
            service.touch, registry.makers, live.id, registry.node, status="live"
        )
        if not ours:
            live.decoder.abandon()
            live.spool.close()
            registry.remove(live)
            return
        DROPPED.labels("expired").inc()
        # Audio already received is clinical data: keep it on the encounter, not in limbo.
        with contextlib.suppress(Exception):
            await _store(app, registry, live, None)

    live.expiry = loop.create_task(expire())


async def _discard(registry: StreamRegistry, live: LiveSession) -> None:
    live.finishing = True
    _stop_heartbeat(live)
    live.decoder.abandon()
    await asyncio.to_thread(live.close_input)
    await asyncio.to_thread(
        service.touch, registry.makers, live.id, registry.node, status="discarded"
    )
    live.spool.discard()
    registry.remove(live)


SWEEP_SECONDS = 60.0


def _maybe_sweep(app: Any, registry: StreamRegistry) -> None:
    """Now and then, store sessions whose node died and whose resume window has passed."""
    if time.monotonic() - registry.last_sweep < SWEEP_SECONDS:
        return
    registry.last_sweep = time.monotonic()
    task = asyncio.get_running_loop().create_task(_sweep(app, registry))
    registry.sweeps.add(task)
    task.add_done_callback(registry.sweeps.discard)


async def sweep_forever(app: Any) -> None:
    """Sweep on a timer as well: audio a dead node left behind is stored even if nobody
    connects again (tests shorten the interval through `app.state.stream_sweep_seconds`)."""
    while True:
        await asyncio.sleep(getattr(app.state, "stream_sweep_seconds", SWEEP_SECONDS))
        registry = registry_of(app)
        registry.last_sweep = time.monotonic()
        await _sweep(app, registry)


async def _sweep(app: Any, registry: StreamRegistry) -> None:
    try:
        ids = await asyncio.to_thread(
            service.orphans, registry.makers, stale_before=registry.stale_before()
        )
        for session_id in ids:
            record = await asyncio.to_thread(
                service.take_orphan,
                registry.makers,
                session_id,
                registry.node,
                registry.stale_before(),
            )
            if record is None:
                continue
            principal = await asyncio.to_thread(service.principal_of, registry.makers, record)
            live = await asyncio.to_thread(
                registry.restore,
                record,
                principal,
                None,
                _decoder_factory(app.state.settings, record.mode),
                asyncio.get_running_loop(),
            )
            live.finishing = True
            DROPPED.labels("expired").inc()
            await _store(app, registry, live, None)
    except Exception:
        log.exception("stream.sweep_failed")


async def _close(websocket: WebSocket, exc: StreamError) -> None:
    if websocket.client_state != WebSocketState.CONNECTED:
        return
    with contextlib.suppress(Exception):
        await websocket.send_json(exc.payload())
        await websocket.close(exc.close_code, exc.message[:120])
