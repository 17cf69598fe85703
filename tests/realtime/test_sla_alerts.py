"""The SLA watcher with two server processes: one leader, each announcement once, to both servers."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import create_async_engine

from db.models import Event
from tests.support.database import run_sql_autocommit
from tests.support.realtime import Server, Subscriber, token_for

pytestmark = pytest.mark.timeout(180)

ALERTS = "subscription { slaAlerts { cursor type state clock dueAt ticket { number } } }"
CREATE = 'mutation { createCustomer(input: {name: "Acme"}) { customer { id } errors { message } } }'
OPEN = (
    'mutation($c: ID!) { openTicket(input: {customerId: $c, kind: COMPLAINT, priority: HIGH, subject: "Leak", '
    'description: "Water on the floor"}) { ticket { id number } errors { message } } }'
)


async def test_at_risk_and_breached_are_announced_once_each_with_two_servers(db_url, users):
    bus = "postgres" + db_url[db_url.index("://") :]
    servers = [await Server(db_url, bus, TANDEM_SLA_WATCH_INTERVAL="0.3").start() for _ in range(2)]
    try:
        token = token_for((await users.create("MARKETING", "STAFF")).user)
        board = await users.api_key("board")
        subscribers = [await Subscriber(s.ws, t, ALERTS).connect() for s in servers for t in (token, board)]
        await asyncio.sleep(0.5)
        customer = (await servers[0].mutate(token, CREATE))["createCustomer"]["customer"]["id"]
        ticket = (await servers[1].mutate(token, OPEN, {"c": customer}))["openTicket"]["ticket"]
        engine = create_async_engine(db_url)
        try:
            # Compress the first-response window: 80 % of it has passed, and it ends in 3 seconds.
            await run_sql_autocommit(
                db_url,
                "UPDATE tickets SET sla_started_at = now() - interval '200 seconds', "
                "first_response_due_at = now() + interval '3 seconds', "
                "resolution_due_at = now() + interval '1 day'",
            )
            for sub in subscribers:
                at_risk, breached = [e["slaAlerts"] for e in await sub.collect(2, timeout=30)]
                assert (at_risk["type"], at_risk["state"], at_risk["clock"]) == (
                    "SLA_AT_RISK",
                    "AT_RISK",
                    "first_response",
                )
                assert (breached["type"], breached["state"]) == ("SLA_BREACHED", "BREACHED")
                assert at_risk["ticket"]["number"] == breached["ticket"]["number"] == ticket["number"]
            await asyncio.sleep(2)  # several more scans by both watchers
            async with engine.connect() as conn:
                announced = (await conn.execute(text("SELECT count(*) FROM sla_announcements"))).scalar()
                logged = (
                    await conn.execute(
                        select(func.count()).select_from(Event).where(Event.type.in_(["SLA_AT_RISK", "SLA_BREACHED"]))
                    )
                ).scalar()
            assert announced == 2 and logged == 2
        finally:
            await engine.dispose()
        for sub in subscribers:
            with pytest.raises(asyncio.TimeoutError):
                await sub.next(timeout=0.5)  # nothing announced twice
            await sub.close()
    finally:
        for s in servers:
            s.stop()
