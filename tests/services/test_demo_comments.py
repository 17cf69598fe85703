"""The demo's comments: both visibilities on every kind of commentable work item, service's technical
advice on an opportunity among them, each with its activity (internal ones hidden from API keys)."""

from __future__ import annotations

from sqlalchemy import text

from db.models.comments import SUBJECT_COLUMNS
from tests.support.demo import seed_demo


async def query(services, sql: str) -> list:
    async with services.db.sessions() as s:
        return list((await s.execute(text(sql))).all())


async def test_demo_comments_cover_every_subject_and_visibility(services, clock):
    await seed_demo(services, clock, customers=8)
    for column in SUBJECT_COLUMNS.values():
        found = await query(services, f"SELECT DISTINCT visibility FROM comments WHERE {column} IS NOT NULL")
        assert {v for (v,) in found} == {"INTERNAL", "CUSTOMER"}, column
    tickets = await query(services, "SELECT DISTINCT visibility FROM ticket_comments WHERE escalation_id IS NULL")
    assert {v for (v,) in tickets} == {"INTERNAL", "CUSTOMER"}
    advice = await query(
        services, "SELECT count(*) FROM activity WHERE summary LIKE 'Technical advice on the requirements%'"
    )
    assert advice[0][0] >= 1
    [(total,)] = await query(services, "SELECT count(*) FROM comments")
    [(recorded,)] = await query(
        services, "SELECT count(*) FROM activity WHERE action LIKE '%.commented' AND entity_type <> 'Ticket'"
    )
    [(internal,)] = await query(services, "SELECT count(*) FROM comments WHERE visibility = 'INTERNAL'")
    [(hidden,)] = await query(
        services,
        "SELECT count(*) FROM activity WHERE action LIKE '%.commented' AND entity_type <> 'Ticket' AND internal",
    )
    assert recorded == total > 0 and hidden == internal > 0
