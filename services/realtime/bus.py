"""Cross-process wake-ups over broadcaster, made safe against its known failure modes.

broadcaster 0.3.1 (pinned) is used only to say "the log has grown"; nothing is lost when it fails,
because every process re-reads the event log after a reconnect and on a periodic poll. What this
module guards against (all measured on this stack):
- a backend connection drop kills broadcaster's listener silently (subscribers just stop): we send
  our own heartbeats through the bus and rebuild the listener, with back-off, when one does not
  come back in time;
- its postgres backend LISTENs and publishes on one connection, and two concurrent publishes fail:
  publishing uses a second Broadcast (its own connection) and one publish at a time, coalesced;
- its redis backend marks itself ready before SUBSCRIBE is registered, so with redis-py 8 its
  reader exits at once: `_OrderedRedisBackend` subscribes first, then marks ready;
- two concurrent first subscribers to a channel race: each process subscribes exactly once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable
from urllib.parse import urlparse

from broadcaster import Broadcast
from broadcaster._backends.base import BroadcastBackend
from broadcaster._base import Subscriber, Unsubscribed

log = logging.getLogger("tandem.bus")

CHANNEL = "tandem_events"


def _backend(url: str) -> BroadcastBackend:
    scheme = urlparse(url).scheme
    if scheme in ("redis", "rediss"):
        from broadcaster._backends.redis import RedisBackend

        class _OrderedRedisBackend(RedisBackend):
            async def subscribe(self, channel: str) -> None:
                await self._pubsub.subscribe(channel)
                self._ready.set()  # only now may the reader start listening

        return _OrderedRedisBackend(url)
    if scheme in ("postgres", "postgresql") or scheme.startswith("postgresql+"):
        from broadcaster._backends.postgres import PostgresBackend

        # asyncpg wants a plain libpq URL, not SQLAlchemy's driver-qualified one.
        return PostgresBackend("postgresql" + url[url.index("://") :])
    from broadcaster._backends.memory import MemoryBackend

    return MemoryBackend(url)


class EventBus:
    """Publishes "events up to id N are committed" and calls `on_wake(N)` for every such message.

    `on_wake(0)` also comes after every (re)connect: the caller then catches up from the log.
    """

    def __init__(self, url: str, on_wake: Callable[[int], None], *, heartbeat: float = 2.0, patience: float = 6.0):
        self.url = url
        self.in_process = urlparse(url).scheme == "memory"
        self._on_wake = on_wake
        self._heartbeat = heartbeat
        self._patience = patience
        self._nonce = uuid.uuid4().hex[:12]
        self._publisher: Broadcast | None = None
        self._publish_lock = asyncio.Lock()
        self._pending_id = 0
        self._last_heartbeat_seen = 0.0
        self._supervisor: asyncio.Task[None] | None = None
        self._listener: Broadcast | None = None
        self._stopping = False
        self.connected = asyncio.Event()
        self.reconnects = 0

    async def start(self) -> None:
        self._stopping = False
        self._supervisor = asyncio.create_task(self._supervise(), name="tandem-bus")

    async def stop(self) -> None:
        self._stopping = True
        if self._supervisor:
            self._supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._supervisor
        await self._drop_publisher()

    async def notify(self, last_id: int) -> None:
        """Best effort: a lost notification only delays delivery until the next poll."""
        self._pending_id = max(self._pending_id, last_id)
        if self._publish_lock.locked():
            return  # the publish in flight (or the next one) carries the newest id: coalesced
        async with self._publish_lock:
            while self._pending_id:
                last, self._pending_id = self._pending_id, 0
                await self._publish(f"ev:{last}")

    async def _publish(self, message: str) -> bool:
        if self.in_process:
            # memory:// delivers only within one Broadcast: publish on the listener's own instance.
            if self._listener is None:
                return False  # not connected yet: the catch-up on connect covers it
            await self._listener.publish(CHANNEL, message)
            return True
        try:
            if self._publisher is None:
                publisher = Broadcast(backend=_backend(self.url))
                await asyncio.wait_for(publisher.connect(), 10)
                self._publisher = publisher
            await asyncio.wait_for(self._publisher.publish(CHANNEL, message), 5)
            return True
        except Exception as exc:  # noqa: BLE001 - broadcaster does not wrap its backends' errors: any is a broken
            # connection, rebuilt on the next publish; subscribers catch up by polling the log meanwhile.
            log.warning("bus publish failed (%s: %s); relying on the poll", type(exc).__name__, exc)
            await self._drop_publisher()
            return False

    async def _drop_publisher(self) -> None:
        publisher, self._publisher = self._publisher, None
        if publisher is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(publisher.disconnect(), 2)

    async def _supervise(self) -> None:
        backoff = 0.25
        while not self._stopping:
            listener = Broadcast(backend=_backend(self.url))
            try:
                await asyncio.wait_for(listener.connect(), 10)
                async with listener.subscribe(CHANNEL) as subscriber:
                    self._listener = listener
                    reader = asyncio.create_task(self._read(subscriber))
                    try:
                        await self._confirm_and_watch(reader)
                    finally:
                        reader.cancel()
                        with contextlib.suppress(BaseException):
                            await reader
            except asyncio.CancelledError:
                raise
            # Whatever the backend raised, the listener is gone: log it and reconnect (with back-off).
            except Exception as exc:  # noqa: BLE001 - a supervisor loop must outlive any backend failure
                log.warning(
                    "event bus %s lost (%s: %s); reconnecting in %.1f s",
                    _redact(self.url),
                    type(exc).__name__,
                    exc,
                    backoff,
                )
            finally:
                self.connected.clear()
                self._listener = None
                with contextlib.suppress(BaseException):
                    await asyncio.wait_for(listener.disconnect(), 2)
            if self._stopping:
                return
            self.reconnects += 1
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 15.0)
            self._on_wake(0)  # whatever was missed while disconnected comes from the log

    async def _confirm_and_watch(self, reader: asyncio.Task[None]) -> None:
        """Heartbeats through the bus prove the listener really receives; silence means it died."""
        loop = asyncio.get_running_loop()
        self._last_heartbeat_seen = 0.0
        deadline = loop.time() + self._patience
        # Not "up" until a heartbeat made the round trip (a SUBSCRIBE may register late).
        while self._last_heartbeat_seen == 0.0:
            if loop.time() > deadline:
                raise TimeoutError("no heartbeat came back after connecting")
            await self._publish(f"hb:{self._nonce}")
            await asyncio.sleep(0.25)
            self._check(reader)
        self.connected.set()
        self._on_wake(0)
        log.info("event bus %s connected", _redact(self.url))
        while True:
            await self._publish(f"hb:{self._nonce}")
            await asyncio.sleep(self._heartbeat)
            self._check(reader)
            if loop.time() - self._last_heartbeat_seen > self._patience:
                raise TimeoutError(f"no heartbeat for {self._patience:.0f} s")

    @staticmethod
    def _check(reader: asyncio.Task[None]) -> None:
        if reader.done():
            raise RuntimeError("bus reader stopped") from (None if reader.cancelled() else reader.exception())

    async def _read(self, subscriber: Subscriber) -> None:
        loop = asyncio.get_running_loop()
        while True:
            # What `async for event in subscriber` does, spelled out: broadcaster 0.3.1 types the
            # iterator's items as optional, though the end of the subscription ends the loop instead.
            try:
                event = await subscriber.get()
            except Unsubscribed:
                return
            message = event.message
            if message.startswith("hb:"):
                if message[3:] == self._nonce:
                    self._last_heartbeat_seen = loop.time()
            elif message.startswith("ev:"):
                with contextlib.suppress(ValueError):
                    self._on_wake(int(message[3:]))


def _redact(url: str) -> str:
    parsed = urlparse(url)
    return f"{parsed.scheme}://{parsed.hostname or ''}{':' + str(parsed.port) if parsed.port else ''}"
