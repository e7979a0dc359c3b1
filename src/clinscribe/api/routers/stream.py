"""Live transcription: the `/api/v1/stream` WebSocket and its one-time browser tokens."""

from __future__ import annotations

import asyncio
import contextlib
from functools import partial
from typing import Any, Literal
from urllib.parse import urlsplit

import structlog
from fastapi import APIRouter, Request, WebSocket, WebSocketDisconnect, status
from pydantic import BaseModel
from starlette.websockets import WebSocketState

from clinscribe.api import API_PREFIX
from clinscribe.api.deps import CurrentPrincipal, SessionDep, admit
from clinscribe.api.errors import ERROR_RESPONSES
from clinscribe.asr.engines import AsrEngineProvider
from clinscribe.clinical.errors import ConsentRequired
from clinscribe.config import Settings
from clinscribe.errors import (
    ClinscribeError,
    Forbidden,
    MfaEnrolmentRequired,
    NotFound,
    Unauthorized,
)
from clinscribe.security import crypto
from clinscribe.security.principal import Principal
from clinscribe.streaming import lifecycle, service
from clinscribe.streaming.core.decoder import StreamDecoder
from clinscribe.streaming.core.limits import StreamLimits, TokenBucket
from clinscribe.streaming.core.metrics import REJECTED
from clinscribe.streaming.core.protocol import (
    Chunk,
    StreamError,
    bad_message,
    parse_config,
    parse_message,
)
from clinscribe.streaming.lifecycle import Node
from clinscribe.streaming.sessions import CLOSE, DecoderFactory, LiveSession, StreamRegistry
from clinscribe.streaming.spools import spool_opener

log = structlog.get_logger(__name__)
router = APIRouter(prefix=f"{API_PREFIX}/stream", tags=["stream"], responses=ERROR_RESPONSES)


class StreamTokenRead(BaseModel):
    """A single-use credential for `?token=` on the WebSocket URL (browsers cannot set headers)."""

    token: str
    expires_in: int


def node_of(app: Any) -> Node:
    """The node's live sessions and what they need, created on first use; tests may preset
    `stream_limits`."""
    node: Node | None = getattr(app.state, "stream_node", None)
    if node is None:
        settings = app.state.settings
        limits = getattr(app.state, "stream_limits", None) or StreamLimits.from_settings(settings)
        ring = crypto.key_ring(settings)
        registry = StreamRegistry(
            limits,
            app.state.sessionmaker,
            settings.data_dir,
            ring,
            spool_opener(settings.data_dir, ring, app.state.blobs),
        )
        node = app.state.stream_node = Node(
            registry, settings, app.state.blobs, partial(_decoder_factory, settings)
        )
        app.state.streams = registry
    return node


def registry_of(app: Any) -> StreamRegistry:
    return node_of(app).registry


async def sweep_forever(app: Any) -> None:
    """Sweep on a timer as well: audio a dead node left behind is stored even if nobody
    connects again (tests shorten the interval through `app.state.stream_sweep_seconds`)."""
    while True:
        await asyncio.sleep(getattr(app.state, "stream_sweep_seconds", lifecycle.SWEEP_SECONDS))
        await lifecycle.sweep(node_of(app))


@router.post("/tokens", response_model=StreamTokenRead, status_code=status.HTTP_201_CREATED)
def mint_token(
    request: Request, principal: CurrentPrincipal, session: SessionDep
) -> StreamTokenRead:
    """Mint a short-lived, single-use token for opening the live stream from a browser."""
    registry = registry_of(request.app)
    token = registry.mint(principal, session)
    return StreamTokenRead(token=token, expires_in=int(registry.limits.token_seconds))


@router.websocket("")
async def stream(websocket: WebSocket) -> None:
    """Live dictation; the message protocol is in contracts.md (Live streaming)."""
    node = node_of(websocket.app)
    registry = node.registry
    await websocket.accept()
    live: LiveSession | None = None
    lifecycle.maybe_sweep(node)
    try:
        principal = await authenticate(websocket, node.settings, registry)
        config = parse_config(await _first_text(websocket, registry.limits))
        await _check_encounter(websocket.app, principal, config.encounter_id, node.settings)
        resume = websocket.query_params.get("session_id") or config.resume
        if resume:
            live = registry.resume(resume, principal, config) or await lifecycle.take_over(
                node, resume, principal, config
            )
        else:
            registry.reserve(principal)
            # The first session of a process loads the model and lexicon: off the loop.
            live = await asyncio.to_thread(
                registry.open,
                principal,
                config,
                node.decoders(config.mode),
                asyncio.get_running_loop(),
            )
        live.heartbeat = asyncio.create_task(lifecycle.heartbeat(registry, live))
        await websocket.send_json(
            {
                "type": "session",
                "session_id": live.id,
                "resumed": bool(resume),
                "received_seconds": round(live.seconds, 3),
            }
        )
        await _serve(websocket, node, live)
    except StreamError as exc:
        REJECTED.labels(exc.code).inc()
        if live is not None and exc.close_code == 4500:
            await lifecycle.discard(registry, live)
        elif live is not None:
            lifecycle.detach(node, live)
        await _close(websocket, exc)
    except WebSocketDisconnect:
        if live is not None:
            lifecycle.detach(node, live)
    except ClinscribeError as exc:  # raised deeper (a damaged spool, a missing model...)
        if exc.status_code >= 500:
            log.exception("stream.failed", code=exc.code)
        else:
            log.warning("stream.refused", error_type=type(exc).__name__, code=exc.code)
        if live is not None:
            lifecycle.detach(node, live)
        await _close(websocket, StreamError.of(exc))
    except Exception:
        log.exception("stream.failed")
        if live is not None:
            lifecycle.detach(node, live)
        await _close(websocket, StreamError(4500, "internal_error", "internal error"))


async def authenticate(
    websocket: WebSocket, settings: Settings, registry: StreamRegistry
) -> Principal:
    """The verified caller, admitted like any HTTP request (IP allowlist, API key's limit);
    a refusal closes the socket with its own code (`ip_not_allowed`, `rate_limited`)."""
    principal = await _verify(websocket, settings, registry)
    await asyncio.to_thread(
        registry.run, lambda session: admit(websocket, session, settings, principal)
    )
    return principal


async def _verify(websocket: WebSocket, settings: Settings, registry: StreamRegistry) -> Principal:
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
                registry.run,
                lambda session: service.authenticate(
                    session=session, settings=settings, credential=credential
                ),
            )
        except Unauthorized as exc:
            await _audit(websocket, "auth.rejected")
            raise StreamError(4401, "unauthorized", exc.message) from exc
        except MfaEnrolmentRequired as exc:
            raise StreamError(4403, exc.code, exc.message) from exc
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
    await asyncio.to_thread(
        registry_of(websocket.app).run,
        lambda session: service.audit_rejected(session=session, action=action),
    )


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


async def _check_encounter(
    app: Any, principal: Principal, encounter_id: str, settings: Settings
) -> None:
    try:
        await asyncio.to_thread(
            registry_of(app).run,
            lambda session: service.check_encounter(
                session=session, principal=principal, encounter_id=encounter_id, settings=settings
            ),
        )
    except ConsentRequired as exc:
        raise StreamError(4403, exc.code, exc.message) from exc
    except Forbidden as exc:
        raise StreamError(4403, "forbidden", exc.message) from exc
    except NotFound as exc:
        raise StreamError(4404, "not_found", "encounter not found") from exc


def _decoder_factory(settings: Settings, mode: str) -> DecoderFactory:
    engine = AsrEngineProvider(settings).live()
    if engine is None:
        raise StreamError(4500, "engine_unavailable", "live streaming needs the local engine")
    corrector = engine.corrector
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


async def _serve(websocket: WebSocket, node: Node, live: LiveSession) -> None:
    """Receive audio while a sender task forwards results; `stop` finishes the session."""
    sender = asyncio.create_task(_send_events(websocket, live))
    try:
        stopped = await _receive_audio(websocket, node.registry.limits, live, sender)
    except BaseException:
        # The outbox outlives the connection: unsent results go to the resumed one.
        sender.cancel()
        raise
    live.outbox.put(CLOSE)
    if not stopped:  # the session reached its length limit: store it, then say why
        await _finish(websocket, node, live, sender)
        raise StreamError(4413, "session_too_long", "the session reached its maximum length")
    await _finish(websocket, node, live, sender)
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
    websocket: WebSocket, node: Node, live: LiveSession, sender: asyncio.Task[None]
) -> None:
    """Flush the decoder, deliver its last results, store everything, and reply `done`."""
    live.finishing = True
    # Everything queued so far goes out first; a client gone by now still gets its audio and
    # transcript stored.
    with contextlib.suppress(Exception):
        await sender
    transcript_id = await lifecycle.store(node, live, partial(_send_events, websocket, live))
    await websocket.send_json({"type": "done", "transcript_id": transcript_id})


async def _close(websocket: WebSocket, exc: StreamError) -> None:
    if websocket.client_state != WebSocketState.CONNECTED:
        return
    with contextlib.suppress(Exception):
        await websocket.send_json(exc.payload())
        await websocket.close(exc.close_code, exc.message[:120])
