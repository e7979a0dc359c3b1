"""Who is on a note, and the events its live channel fans out: in this process, or in Redis.

The embedded profile keeps presence and events in memory; the scaled one (`rate_limit_backend`
= redis, like the rate limits and the sign-in lockout) keeps presence in a Redis hash per note
and sends events over Redis pub/sub, so participants connected to different API nodes see
each other. Entries carry their last heartbeat; a reader drops entries older than the timeout
(a node that died cannot say goodbye) and announces them as left.

Keys are `<tenant id>:<note id>`; entries hold a user id, display name and role, never PHI.
Presence calls block (Redis round trips): the WebSocket calls them in a worker thread.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

Clock = Callable[[], float]
Event = dict[str, Any]


@dataclass
class Participant:
    """One connection on a note's channel (a user may hold several: tabs, devices)."""

    connection: str
    user_id: str
    name: str
    role: str
    editing: bool = False
    version: int | None = None
    seen: float = field(default=0.0)

    def public(self) -> dict[str, Any]:
        """What other participants are told (the heartbeat time stays inside)."""
        out = asdict(self)
        del out["seen"]
        return out


class Subscription(Protocol):
    async def get(self) -> Event: ...
    async def close(self) -> None: ...


class PresenceHub(Protocol):
    def join(self, key: str, who: Participant) -> list[Participant]: ...
    def touch(self, key: str, connection: str, **changes: Any) -> Participant | None: ...
    def leave(self, key: str, connection: str) -> bool: ...
    def participants(self, key: str) -> list[Participant]: ...
    def publish(self, key: str, event: Event) -> None: ...
    async def subscribe(self, key: str) -> Subscription: ...


class _QueueSubscription:
    def __init__(self, hub: MemoryHub, key: str) -> None:
        self.loop = asyncio.get_running_loop()
        self.queue: asyncio.Queue[Event] = asyncio.Queue(maxsize=256)
        self._hub, self._key = hub, key

    def put(self, event: Event) -> None:
        # A listener that stopped reading loses events rather than growing without bound.
        if not self.queue.full():
            self.queue.put_nowait(event)

    async def get(self) -> Event:
        return await self.queue.get()

    async def close(self) -> None:
        self._hub.drop(self._key, self)


class MemoryHub:
    """Presence and events in this process (the embedded profile: one API process)."""

    def __init__(self, timeout: float, *, clock: Clock = time.time) -> None:
        self.timeout = timeout
        self._clock = clock
        self._lock = threading.Lock()
        self._present: dict[str, dict[str, Participant]] = {}
        self._listeners: dict[str, list[_QueueSubscription]] = {}

    def join(self, key: str, who: Participant) -> list[Participant]:
        who.seen = self._clock()
        with self._lock:
            self._present.setdefault(key, {})[who.connection] = who
        return self.participants(key)

    def touch(self, key: str, connection: str, **changes: Any) -> Participant | None:
        with self._lock:
            who = self._present.get(key, {}).get(connection)
            if who is None:
                return None
            for name, value in changes.items():
                setattr(who, name, value)
            who.seen = self._clock()
            return Participant(**asdict(who))

    def leave(self, key: str, connection: str) -> bool:
        with self._lock:
            gone = self._present.get(key, {}).pop(connection, None)
            if key in self._present and not self._present[key]:
                del self._present[key]
        return gone is not None

    def participants(self, key: str) -> list[Participant]:
        cutoff = self._clock() - self.timeout
        with self._lock:
            here = self._present.get(key, {})
            stale = [c for c, p in here.items() if p.seen < cutoff]
            for connection in stale:
                del here[connection]
            alive = [Participant(**asdict(p)) for p in here.values()]
        for connection in stale:
            self.publish(key, {"type": "left", "connection": connection, "reason": "timeout"})
        return alive

    def publish(self, key: str, event: Event) -> None:
        """Thread-safe: REST handlers publish from worker threads."""
        with self._lock:
            listeners = list(self._listeners.get(key, ()))
        for listener in listeners:
            listener.loop.call_soon_threadsafe(listener.put, event)

    async def subscribe(self, key: str) -> Subscription:
        sub = _QueueSubscription(self, key)
        with self._lock:
            self._listeners.setdefault(key, []).append(sub)
        return sub

    def drop(self, key: str, sub: _QueueSubscription) -> None:
        with self._lock:
            subs = self._listeners.get(key, [])
            if sub in subs:
                subs.remove(sub)
            if not subs:
                self._listeners.pop(key, None)


class _RedisSubscription:
    def __init__(self, pubsub: Any, client: Any) -> None:
        self._pubsub, self._client = pubsub, client

    async def get(self) -> Event:
        while True:
            message = await self._pubsub.get_message(ignore_subscribe_messages=True, timeout=5.0)
            if message is not None and message.get("type") == "message":
                event: Event = json.loads(message["data"])
                return event

    async def close(self) -> None:
        await self._pubsub.aclose()
        await self._client.aclose()


class RedisHub:
    """Presence in a Redis hash per note, events over pub/sub: shared by every API node."""

    def __init__(self, url: str, timeout: float, *, clock: Clock = time.time) -> None:
        import redis

        self.url = url
        self.timeout = timeout
        self._clock = clock
        self._redis = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)

    @staticmethod
    def _hash(key: str) -> str:
        return f"clinscribe:presence:{key}"

    @staticmethod
    def _channel(key: str) -> str:
        return f"clinscribe:note-events:{key}"

    def _store(self, key: str, who: Participant) -> None:
        pipe = self._redis.pipeline()
        pipe.hset(self._hash(key), who.connection, json.dumps(asdict(who)))
        # The whole hash goes once nobody has beaten for a while (every entry is stale).
        pipe.expire(self._hash(key), int(self.timeout * 2) + 5)
        pipe.execute()

    def join(self, key: str, who: Participant) -> list[Participant]:
        who.seen = self._clock()
        self._store(key, who)
        return self.participants(key)

    def touch(self, key: str, connection: str, **changes: Any) -> Participant | None:
        raw = self._redis.hget(self._hash(key), connection)
        if raw is None:
            return None
        who = Participant(**json.loads(raw))
        for name, value in changes.items():
            setattr(who, name, value)
        who.seen = self._clock()
        self._store(key, who)
        return who

    def leave(self, key: str, connection: str) -> bool:
        return bool(self._redis.hdel(self._hash(key), connection))

    def participants(self, key: str) -> list[Participant]:
        cutoff = self._clock() - self.timeout
        alive = []
        for connection, raw in self._redis.hgetall(self._hash(key)).items():
            who = Participant(**json.loads(raw))
            if who.seen >= cutoff:
                alive.append(who)
            # Whoever removes a stale entry announces it, exactly once across nodes.
            elif self._redis.hdel(self._hash(key), connection):
                self.publish(
                    key, {"type": "left", "connection": who.connection, "reason": "timeout"}
                )
        return alive

    def publish(self, key: str, event: Event) -> None:
        self._redis.publish(self._channel(key), json.dumps(event))

    async def subscribe(self, key: str) -> Subscription:
        import redis.asyncio as aredis

        client = aredis.Redis.from_url(self.url, socket_connect_timeout=2)
        pubsub = client.pubsub()
        await pubsub.subscribe(self._channel(key))
        return _RedisSubscription(pubsub, client)


def hub_for(backend: str, redis_url: str, timeout: float) -> PresenceHub:
    """The hub the settings pick (`rate_limit_backend`): memory or Redis."""
    if backend == "redis":
        return RedisHub(redis_url, timeout)
    return MemoryHub(timeout)
