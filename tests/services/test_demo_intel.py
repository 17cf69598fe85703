"""The demo data of market intelligence: several posts of every kind, with tags shared between posts,
some about a customer, in Chinese and English, two edited later (by the author, by the admin), all made
through the services (each post and edit is an activity and an event)."""

from __future__ import annotations

from sqlalchemy import text

from services.rules.market_intel import INTEL_KINDS
from tests.support.demo import seed_demo


async def query(services, sql: str) -> list:
    async with services.db.sessions() as s:
        return list((await s.execute(text(sql))).all())


async def test_demo_market_intel_covers_every_kind(services, clock):
    await seed_demo(services, clock, customers=8)
    per_kind = dict(await query(services, "SELECT kind, count(*) FROM market_intel GROUP BY kind"))
    assert set(per_kind) == set(INTEL_KINDS) and min(per_kind.values()) >= 2
    [(with_customer, untagged, chinese)] = await query(
        services,
        "SELECT count(*) FILTER (WHERE customer_id IS NOT NULL), count(*) FILTER (WHERE tags = '{}'), "
        "count(*) FILTER (WHERE title ~ '[一-龥]') FROM market_intel",
    )
    assert with_customer >= 3 and untagged == 0 and chinese >= 3
    # A tag shared by several posts, so the tag filter shows more than one.
    [(shared,)] = await query(
        services,
        "SELECT count(*) FROM (SELECT k FROM market_intel, unnest(tag_keys) k GROUP BY k HAVING count(*) > 1) s",
    )
    assert shared >= 1
    editors = {
        r[0]
        for r in await query(
            services,
            "SELECT u.role FROM activity a JOIN users u ON u.id = a.actor_id WHERE a.action = 'market_intel.updated'",
        )
    }
    assert editors == {"STAFF", "ADMIN"}
    [(versions,)] = await query(services, "SELECT count(*) FROM market_intel WHERE version > 1")
    assert versions == 2
    actions = dict(
        await query(
            services, "SELECT action, count(*) FROM activity WHERE action LIKE 'market_intel.%' GROUP BY action"
        )
    )
    assert actions["market_intel.posted"] == sum(per_kind.values()) and actions["market_intel.updated"] == 2
    # Every step (comments on posts too, services/demo_comments.py) is an event.
    [(events,)] = await query(services, "SELECT count(*) FROM events WHERE type LIKE 'MARKET_INTEL_%'")
    assert events == sum(actions.values())
