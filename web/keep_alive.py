"""The legacy graphql-ws protocol's keep-alive (`{"type":"ka"}`) for every socket of the process, from
one task.

strawberry's legacy handler runs a keep-alive task per connection — with one task for the socket's own
reads, two per socket, 20,000 tasks for 10,000 wall boards. Here each acknowledged socket is sent `ka`
at once (clients such as subscriptions-transport-ws wait for the first one to start their timeout) and
then once per interval by a single ticker, through the socket's outbox (web/outbox.py): a client that
stopped reading is dealt with by the same rule as for its events.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections.abc import Callable

log = logging.getLogger("tandem.ws")

KEEP_ALIVE_FRAME = b'{"type":"ka"}'


class KeepAlive:
    """Sockets registered here get `ka` every `interval` seconds until they are discarded or gone.
    `push` for each socket is a synchronous writer of one frame (its outbox's `push`)."""

    def __init__(self, interval: float):
        self.interval = interval
        self._pushers: weakref.WeakKeyDictionary[object, Callable[[bytes], None]] = weakref.WeakKeyDictionary()
        self._task: asyncio.Task[None] | None = None

    def __len__(self) -> int:
        return len(self._pushers)

    def add(self, owner: object, push: Callable[[bytes], None]) -> None:
        push(KEEP_ALIVE_FRAME)
        self._pushers[owner] = push
        loop = asyncio.get_running_loop()
        if self._task is None or self._task.done() or self._task.get_loop() is not loop:
            self._task = loop.create_task(self._tick(), name="tandem-keep-alive")

    def discard(self, owner: object) -> None:
        self._pushers.pop(owner, None)

    async def _tick(self) -> None:
        while self._pushers:
            await asyncio.sleep(self.interval)
            for push in list(self._pushers.values()):
                try:
                    push(KEEP_ALIVE_FRAME)
                except Exception:  # one broken socket must not stop the others' keep-alive
                    log.exception("keep-alive frame not written")
        self._task = None

    async def aclose(self) -> None:
        self._pushers.clear()
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(BaseException):
                await task
