"""The demo's events stay inside the event log's retention window.

`seed-demo` plays 90 days of history through the real services on a ManualClock, so activity rows,
timelines and every business timestamp (created, handed off, due, resolved …) carry their true past
instants. The event log, though, keeps only the retention period (TANDEM_EVENT_RETENTION_DAYS, 30 days
by default): events at those instants would mostly be purged by the first `serve` (and a replay from
an early cursor refused with CURSOR_EXPIRED). So the demo stamps each event no earlier than the
*event horizon*, 90 % of the retention period before the seed's "now" (27 days by default: a `serve`
up to 3 days after `seed-demo` purges nothing). Events after the horizon keep the true instant of
their action (the one of its activity row); older ones carry the horizon, in their original order, as
if the log had been started then.

Note: the order-handoff KPIs (collaboration scores) read handoffs from the event log, so for periods
before the horizon they see the demo's old handoffs answered at the horizon.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.clock import Clock
from services.principal import Principal
from services.unit_of_work import UnitOfWork, unit_of_work

EVENT_WINDOW_SHARE = 0.9  # of the retention period; the rest is the margin before a first purge


def event_horizon(now: datetime, retention_days: int) -> datetime:
    """The earliest instant a demo event may carry when seeded at `now`."""
    return now - timedelta(days=retention_days) * EVENT_WINDOW_SHARE


@asynccontextmanager
async def demo_unit_of_work(
    sessions: async_sessionmaker[AsyncSession], actor: Principal | None, clock: Clock, horizon: datetime | None
) -> AsyncIterator[UnitOfWork]:
    """`unit_of_work`, with the action's events stamped no earlier than `horizon` (None: as they are).
    Everything else of the action (its rows, its activity) keeps the clock's instant."""
    async with unit_of_work(sessions, actor, clock) as uow:
        yield uow
        if horizon is not None:
            # The action's events are buffered until the block ends and appended just before COMMIT.
            for event in uow._events:
                if event.occurred_at is not None and event.occurred_at < horizon:
                    event.occurred_at = horizon
