"""The demo data of the pre-sale part: every opportunity stage, solution revisions, won opportunities
linked to their customers' orders, monthly sales targets, all made through the services in time order."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import text

from services import kpis
from services.demo_presale import seed_presale
from services.demo_world import DemoWorld
from services.rules.opportunities import OPPORTUNITY_STAGES as STAGES
from tests.support.demo import seed_demo


async def query(services, sql: str) -> list:
    async with services.db.sessions() as s:
        return list((await s.execute(text(sql))).all())


async def test_demo_covers_every_stage_and_three_months_of_targets(services, clock):
    await seed_demo(services, clock, customers=8)
    assert {r[0] for r in await query(services, "SELECT DISTINCT stage FROM opportunities")} == set(STAGES)
    assert (await query(services, "SELECT max(revision) FROM solutions"))[0][0] >= 2
    assert {r[0] for r in await query(services, "SELECT DISTINCT decision FROM solutions")} == {
        None,
        "APPROVED",
        "CHANGES_REQUESTED",
    }
    won = await query(
        services,
        "SELECT o.customer_id = r.customer_id, r.opportunity_id = o.id FROM opportunities o "
        "JOIN orders r ON r.id = o.order_id WHERE o.stage = 'WON'",
    )
    assert won and all(same_customer and linked for same_customer, linked in won)
    # A review still waiting past its due time (the SLA watcher's work).
    assert (
        await query(
            services,
            f"SELECT count(*) FROM solutions WHERE reviewed_at IS NULL AND review_due_at < '{clock.now().isoformat()}'",
        )
    )[0][0] >= 1
    months = await query(
        services,
        "SELECT period_start, count(*), count(user_id) FROM sales_targets GROUP BY period_start ORDER BY period_start",
    )
    assert [(n, per_person) for _, n, per_person in months] == [(4, 3)] * 3
    assert months[-1][0] == clock.now().date().replace(day=1)
    occurred = [
        r[0]
        for r in await query(services, "SELECT occurred_at FROM events WHERE entity_type = 'Opportunity' ORDER BY id")
    ]
    assert occurred == sorted(occurred) and occurred[0] >= clock.now() - timedelta(days=100)
    assert occurred[-1] <= clock.now()
    async with services.db.sessions() as session:
        report = await kpis.report(
            session,
            department="MARKETING",
            start=clock.now() - timedelta(days=60),
            end=clock.now(),
            user_id=None,
            now=clock.now(),
        )
    assert report["sales_target_completion"].value is not None and report["collaboration_marketing"].denominator > 0


async def test_no_customers_no_opportunities(services, clock):
    assert await seed_presale(DemoWorld(services.db.sessions, clock, {}, [], random.Random(1))) == []
