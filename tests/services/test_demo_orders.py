"""The demo data of the in-sale part: every order and job status, both quality results, feedback, all
made through the services (activity and events exist) and spread over the last 90 days in time order."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import text

from services.demo_orders import seed_orders
from services.demo_world import DemoWorld
from services.rules.orders import ORDER_STATUSES
from services.rules.service_jobs import SERVICE_JOB_STATUSES as JOB_STATUSES
from tests.support.demo import seed_demo


async def query(services, sql: str) -> list:
    async with services.db.sessions() as s:
        return list((await s.execute(text(sql))).all())


async def test_demo_covers_every_state_over_the_last_90_days(services, clock):
    await seed_demo(services, clock, customers=8)
    statuses = {r[0]: r[1] for r in await query(services, "SELECT status, count(*) FROM orders GROUP BY status")}
    assert set(statuses) == set(ORDER_STATUSES)
    job_statuses = {r[0] for r in await query(services, "SELECT DISTINCT status FROM service_jobs")}
    assert job_statuses == set(JOB_STATUSES)
    assert {
        r[0]
        for r in await query(services, "SELECT DISTINCT quality_result FROM service_jobs WHERE status = 'COMPLETED'")
    } == {"PASSED", "FAILED"}
    # Returned and handed off again (still waiting), and returned then confirmed.
    rehanded = await query(
        services, "SELECT count(*) FROM orders WHERE status = 'HANDED_OFF' AND returned_at IS NOT NULL"
    )
    assert rehanded[0][0] >= 1
    assert (
        await query(services, "SELECT count(*) FROM orders WHERE status = 'COMPLETED' AND returned_at IS NOT NULL")
    )[0][0] >= 1
    assert (await query(services, "SELECT count(*) FROM service_jobs WHERE order_id IS NULL"))[0][0] >= 1
    feedback = await query(services, "SELECT min(score), max(score), count(*), count(order_id) FROM feedback")
    assert feedback[0][0] <= 2 and feedback[0][1] == 5 and feedback[0][3] >= 1
    # Real activity and events, in time order, within the last 90 days.
    at = [
        r[0]
        for r in await query(
            services, "SELECT at FROM activity WHERE entity_type IN ('Order', 'ServiceJob') ORDER BY seq"
        )
    ]
    assert at == sorted(at) and at[0] >= clock.now() - timedelta(days=90) and at[-1] <= clock.now()
    events = await query(services, "SELECT type, count(*) FROM events GROUP BY type")
    assert {
        "ORDER_CREATED",
        "ORDER_HANDED_OFF",
        "ORDER_RETURNED",
        "ORDER_CONFIRMED",
        "ORDER_CANCELLED",
        "ORDER_COMPLETED",
        "SERVICE_JOB_COMPLETED",
        "FEEDBACK_RECORDED",
    } <= {e[0] for e in events}
    created = await query(services, "SELECT min(created_at), max(created_at) FROM orders")
    assert created[0][1] - created[0][0] > timedelta(days=60)


async def test_no_customers_no_orders(services, clock):
    assert await seed_orders(DemoWorld(services.db.sessions, clock, {}, [], random.Random(1))) == []
