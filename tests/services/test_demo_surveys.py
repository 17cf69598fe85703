"""The demo data of satisfaction surveys: surveys in every status, made through the services; the open
one has answers, a closed one with a low mean has its follow-up action item (source SURVEY) for the
service lead, every answer is a target's feedback of source SURVEY, each step is on the event log."""

from __future__ import annotations

from sqlalchemy import text

from services.rules.surveys import SURVEY_STATUSES
from tests.support.demo import seed_demo


async def query(services, sql: str) -> list:
    async with services.db.sessions() as s:
        return list((await s.execute(text(sql))).all())


async def test_demo_surveys_cover_every_state(services, clock):
    await seed_demo(services, clock, customers=8)
    statuses = {r[0] for r in await query(services, "SELECT DISTINCT status FROM surveys")}
    assert statuses == set(SURVEY_STATUSES)
    answered = await query(
        services,
        "SELECT s.status, count(f.id) FROM surveys s LEFT JOIN feedback f ON f.survey_id = s.id GROUP BY s.id",
    )
    assert any(status == "OPEN" and n > 0 for status, n in answered)
    assert all(n == 0 for status, n in answered if status == "DRAFT")
    # Every answer is a SURVEY feedback of one of its survey's targets.
    [(strays,)] = await query(
        services,
        "SELECT count(*) FROM feedback f WHERE f.survey_id IS NOT NULL AND (f.source <> 'SURVEY' OR NOT EXISTS "
        "(SELECT 1 FROM survey_targets t WHERE t.survey_id = f.survey_id AND t.customer_id = f.customer_id))",
    )
    assert strays == 0
    # One closed survey opened its action for the service lead; the other (a good mean) none.
    actions = await query(
        services,
        "SELECT s.title, count(i.id), min(u.email), min(i.source) FROM surveys s "
        "LEFT JOIN action_items i ON i.survey_id = s.id LEFT JOIN users u ON u.id = i.owner_id "
        "WHERE s.status = 'CLOSED' GROUP BY s.id ORDER BY s.title",
    )
    assert sorted(n for _, n, _, _ in actions) == [0, 1]
    assert [(email, source) for _, n, email, source in actions if n] == [("service.lead@tandem.example", "SURVEY")]
    [(events,)] = await query(services, "SELECT count(*) FROM events WHERE type LIKE 'SURVEY_%'")
    [(steps,)] = await query(services, "SELECT count(*) FROM activity WHERE action LIKE 'survey.%'")
    assert events == steps == 4 + 3 + 2  # created, opened (all but the draft), closed
