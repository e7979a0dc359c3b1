"""A note's live channel: `/api/v1/notes/{note_id}/live` (WebSocket), presence and updates.

Authenticated like the live stream: a bearer header, or a one-time `?token=` from
`POST /api/v1/stream/tokens` for browsers. Server messages: `welcome` (your connection, the
note's version, who is here), `joined`, `left`, `presence` (someone started or stopped editing,
and on which version), `updated` (the note went to version N by X, with the changed sections).
Client messages (JSON text, at most `note_live_max_message_bytes`): `heartbeat`, and
`editing` with `editing` (bool) and `version` (int). Refusals are an `error` message and a
4000-range close: 4401 bad or expired token, 4404 unknown (or another tenant's) note, 4400
non-JSON or unknown message, 4413 oversized message, 4408 no message within the timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request, WebSocket, WebSocketDisconnect, status
from starlette.websockets import WebSocketState

from clinscribe.api import API_PREFIX
from clinscribe.api.deps import CurrentPrincipal, SessionDep
from clinscribe.api.errors import ERROR_RESPONSES
from clinscribe.api.routers.stream import StreamTokenRead, authenticate, registry_of
from clinscribe.collab import service as collab
from clinscribe.collab.hub import Participant, PresenceHub
from clinscribe.errors import ClinscribeError, Forbidden, NotFound
from clinscribe.observability.logging import get_logger
from clinscribe.security.principal import Principal
from clinscribe.streaming.core.protocol import StreamError

log = get_logger(__name__)
router = APIRouter(prefix=API_PREFIX, tags=["notes"], responses=ERROR_RESPONSES)


def hub_of(app: Any) -> PresenceHub:
    """The app's presence hub (made by the app factory from the settings)."""
    hub: PresenceHub = app.state.note_hub
    return hub


@router.post(
    "/notes/{note_id}/live/tokens",
    response_model=StreamTokenRead,
    status_code=status.HTTP_201_CREATED,
)
def mint_live_token(
    note_id: str, request: Request, principal: CurrentPrincipal, session: SessionDep
) -> StreamTokenRead:
    """A short-lived, single-use `?token=` for this note's live channel (anyone who may read
    the note: reviewers too, who cannot mint live-stream tokens)."""
    collab.open_channel(session=session, principal=principal, note_id=note_id)
    registry = registry_of(request.app)
    token = registry.mint(principal, session, permission="notes:read")
    return StreamTokenRead(token=token, expires_in=int(registry.limits.token_seconds))


@router.websocket("/notes/{note_id}/live")
async def note_live(websocket: WebSocket, note_id: str) -> None:
    """Presence and change notifications for one note (protocol in the module doc)."""
    settings = websocket.app.state.settings
    registry = registry_of(websocket.app)
    hub = hub_of(websocket.app)
    await websocket.accept()
    channel: collab.Channel | None = None
    connection = uuid.uuid4().hex
    try:
        principal = await authenticate(websocket, settings, registry)
        channel = await _open(websocket, principal, note_id)
        subscription = await hub.subscribe(channel.key)
        try:
            me = collab.participant(channel, principal, connection)
            here = await asyncio.to_thread(hub.join, channel.key, me)
            await asyncio.to_thread(
                hub.publish, channel.key, {"type": "joined", "participant": me.public()}
            )
            timeout = float(settings.note_presence_timeout_seconds)
            await websocket.send_json(
                {
                    "type": "welcome",
                    "connection": connection,
                    "note_id": channel.note_id,
                    "version": channel.version,
                    "status": channel.status,
                    "participants": [p.public() for p in here],
                    "heartbeat_seconds": round(timeout / 3, 1),
                    "timeout_seconds": timeout,
                }
            )
            await _serve(websocket, hub, channel.key, me, subscription, settings)
        finally:
            await subscription.close()
    except StreamError as exc:
        await _close(websocket, exc)
    except WebSocketDisconnect:
        pass
    except ClinscribeError as exc:
        await _close(websocket, StreamError.of(exc))
    except Exception:
        log.exception("note_live.failed")
        await _close(websocket, StreamError(4500, "internal_error", "internal error"))
    finally:
        if channel is not None:
            _leave(hub, channel.key, connection)


async def _open(websocket: WebSocket, principal: Principal, note_id: str) -> collab.Channel:
    try:
        return await asyncio.to_thread(
            registry_of(websocket.app).run,
            lambda session: collab.open_channel(
                session=session, principal=principal, note_id=note_id
            ),
        )
    except NotFound as exc:
        raise StreamError(4404, "not_found", "note not found") from exc
    except Forbidden as exc:
        raise StreamError(4403, "forbidden", exc.message) from exc


async def _serve(
    websocket: WebSocket,
    hub: PresenceHub,
    key: str,
    me: Participant,
    subscription: Any,
    settings: Any,
) -> None:
    forward = asyncio.create_task(_forward(websocket, subscription))
    receive = asyncio.create_task(_receive(websocket, hub, key, me, settings))
    try:
        done, _ = await asyncio.wait({forward, receive}, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            task.result()  # re-raise the reason the channel ends
    finally:
        for task in (forward, receive):
            task.cancel()
            with contextlib.suppress(BaseException):
                await task


async def _forward(websocket: WebSocket, subscription: Any) -> None:
    while True:
        await websocket.send_json(await subscription.get())


async def _receive(
    websocket: WebSocket, hub: PresenceHub, key: str, me: Participant, settings: Any
) -> None:
    timeout = float(settings.note_presence_timeout_seconds)
    limit = int(settings.note_live_max_message_bytes)
    while True:
        try:
            message = await asyncio.wait_for(websocket.receive(), timeout=timeout)
        except TimeoutError as exc:
            raise StreamError(4408, "idle_timeout", "no heartbeat within the timeout") from exc
        if message["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(message.get("code", 1000))
        data = _parse(message, limit)
        kind = data.get("type")
        if kind == "heartbeat":
            await _beat(hub, key, me, {})
            # Each heartbeat also sweeps out participants whose node stopped beating for them.
            await asyncio.to_thread(hub.participants, key)
        elif kind == "editing":
            editing, version = data.get("editing"), data.get("version")
            if not isinstance(editing, bool) or not (
                version is None or (isinstance(version, int) and version >= 1)
            ):
                raise StreamError(4400, "bad_message", "editing needs a bool and a version")
            who = await _beat(hub, key, me, {"editing": editing, "version": version})
            event = {"type": "presence", "participant": who.public()}
            await asyncio.to_thread(hub.publish, key, event)
        else:
            raise StreamError(4400, "bad_message", "unknown message type")


async def _beat(
    hub: PresenceHub, key: str, me: Participant, changes: dict[str, Any]
) -> Participant:
    """Refresh (and change) this connection's entry; an entry another node swept out after a
    late heartbeat is put back and announced again, so a live connection is never invisible."""
    for name, value in changes.items():
        setattr(me, name, value)
    who = await asyncio.to_thread(hub.touch, key, me.connection, **changes)
    if who is None:
        await asyncio.to_thread(hub.join, key, me)
        await asyncio.to_thread(hub.publish, key, {"type": "joined", "participant": me.public()})
        who = me
    return who


def _parse(message: Mapping[str, Any], limit: int) -> dict[str, Any]:
    text = message.get("text")
    if text is None:
        size = len(message.get("bytes") or b"")
        if size > limit:
            raise StreamError(4413, "message_too_large", "message exceeds the size limit")
        raise StreamError(4400, "bad_message", "messages are JSON text")
    if len(text.encode()) > limit:
        raise StreamError(4413, "message_too_large", "message exceeds the size limit")
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise StreamError(4400, "bad_message", "messages are JSON objects") from exc
    if not isinstance(data, dict):
        raise StreamError(4400, "bad_message", "messages are JSON objects")
    return data


def _leave(hub: PresenceHub, key: str, connection: str) -> None:
    # Called directly, not in a worker thread: it must also run when the connection's task is
    # being cancelled (server shutdown), where any await would be cut short.
    try:
        if hub.leave(key, connection):
            hub.publish(key, {"type": "left", "connection": connection, "reason": "closed"})
    except Exception as exc:  # the hub being down: the stale entry times out instead
        log.warning("note_live.leave_failed", error_type=type(exc).__name__)


async def _close(websocket: WebSocket, exc: StreamError) -> None:
    if websocket.client_state != WebSocketState.CONNECTED:
        return
    with contextlib.suppress(Exception):
        await websocket.send_json(exc.payload())
        await websocket.close(exc.close_code, exc.message[:120])
