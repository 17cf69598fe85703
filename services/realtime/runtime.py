"""The real-time machinery of one server process: event hub, bus, and the after-commit announcer."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.models import Event
from services.realtime.bus import EventBus
from services.realtime.connections import ConnectionRegistry
from services.realtime.hub import EventHub

log = logging.getLogger("tandem.realtime")


@dataclass
class Realtime:
    hub: EventHub
    bus: EventBus

    @classmethod
    def create(
        cls,
        sessions: async_sessionmaker[AsyncSession],
        broadcast_url: str,
        *,
        poll_interval: float = 2.0,
        queue_size: int = 1000,
        connections: ConnectionRegistry | None = None,
    ) -> Realtime:
        hub = EventHub(sessions, poll_interval=poll_interval, queue_size=queue_size, connections=connections)
        return cls(hub, EventBus(broadcast_url, hub.wake))

    async def start(self) -> None:
        await self.hub.start()
        await self.bus.start()

    async def stop(self) -> None:
        await self.bus.stop()
        await self.hub.stop()

    async def announce(self, events: list[Event]) -> None:
        """After a commit: wake this process's hub now, and every other process through the bus."""
        last = max(e.id for e in events)
        self.hub.wake(last)
        await self.bus.notify(last)
