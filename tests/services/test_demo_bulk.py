"""The bulk demo (services/demo_bulk.py): 12 months written set-wise for a small N, checked for its
proportions, every status, the consistency of its numbers (as SQL over the whole data), SLA due times
by the policy rule, and KPI reports with figures."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from db.models import SlaPolicy
from services import demo, kpis, sla
from services.demo_bulk import BULK_THRESHOLD, HISTORY, use_bulk
from services.demo_events import event_horizon
from services.event_retention import DEFAULT_RETENTION_DAYS
from services.rules.action_items import ACTION_ITEM_STATUSES
from services.rules.orders import ORDER_STATUSES
from services.rules.service_jobs import SERVICE_JOB_KINDS, SERVICE_JOB_STATUSES
from services.rules.surveys import SURVEY_STATUSES
from services.rules.tickets import TICKET_KINDS, TICKET_PRIORITIES, TICKET_STATUSES

CUSTOMERS = 50

# Each query counts the rows that break one rule; every count must be 0.
VIOLATIONS = {
    "ticket resolved before created": "SELECT count(*) FROM tickets WHERE resolved_at < created_at",
    "first response after resolution": "SELECT count(*) FROM tickets WHERE first_responded_at > resolved_at",
    "first response before creation": "SELECT count(*) FROM tickets WHERE first_responded_at < created_at",
    "closed before resolved": "SELECT count(*) FROM tickets WHERE closed_at < resolved_at",
    "resolved without root cause": "SELECT count(*) FROM tickets WHERE resolved_at IS NOT NULL "
    "AND root_cause_code IS NULL",
    "open ticket with a resolution": "SELECT count(*) FROM tickets WHERE status NOT IN ('RESOLVED', 'CLOSED') "
    "AND resolved_at IS NOT NULL",
    "ticket's order of another customer": "SELECT count(*) FROM tickets t JOIN orders o ON o.id = t.order_id "
    "WHERE o.customer_id <> t.customer_id OR o.created_at > t.created_at",
    "ticket before its customer": "SELECT count(*) FROM tickets t JOIN customers c ON c.id = t.customer_id "
    "WHERE t.created_at < c.created_at",
    "order steps out of order": "SELECT count(*) FROM orders WHERE handed_off_at < created_at "
    "OR confirmed_at < handed_off_at OR completed_at < confirmed_at OR returned_at < handed_off_at "
    "OR cancelled_at < created_at OR confirmation_due_at <> handed_off_at + interval '24 hours'",
    "order status without its time": "SELECT count(*) FROM orders WHERE (status IN ('CONFIRMED', 'IN_SERVICE', "
    "'COMPLETED') AND confirmed_at IS NULL) OR (status = 'COMPLETED' AND completed_at IS NULL) "
    "OR (status <> 'DRAFT' AND handed_off_at IS NULL) OR (status = 'RETURNED' AND return_reason IS NULL)",
    "order value is not its items": "SELECT count(*) FROM orders o WHERE contract_value <> "
    "(SELECT sum(quantity * unit_price) FROM order_items i WHERE i.order_id = o.id)",
    "job of another customer or before confirmation": "SELECT count(*) FROM service_jobs j JOIN orders o "
    "ON o.id = j.order_id WHERE o.customer_id <> j.customer_id OR j.created_at < o.confirmed_at "
    "OR j.completed_at > o.completed_at",
    "job times out of order": "SELECT count(*) FROM service_jobs WHERE started_at < created_at "
    "OR completed_at < started_at OR (status = 'COMPLETED') <> (completed_at IS NOT NULL)",
    "feedback before its subject": "SELECT count(*) FROM feedback f LEFT JOIN tickets t ON t.id = f.ticket_id "
    "WHERE f.recorded_at < t.resolved_at",
    "survey answer outside its survey": "SELECT count(*) FROM feedback f JOIN surveys s ON s.id = f.survey_id "
    "WHERE f.recorded_at < s.opens_at OR f.recorded_at > s.closes_at OR NOT EXISTS (SELECT 1 FROM "
    "survey_targets g WHERE g.survey_id = s.id AND g.customer_id = f.customer_id)",
    "action item steps out of order": "SELECT count(*) FROM action_items WHERE started_at < created_at "
    "OR completed_at < started_at OR verified_at < completed_at OR cancelled_at < created_at",
    "escalated without an open escalation": "SELECT count(*) FROM tickets t WHERE status = 'ESCALATED' AND NOT "
    "EXISTS (SELECT 1 FROM escalations e WHERE e.ticket_id = t.id AND e.status = 'OPEN')",
}


async def query(services, sql: str, **params) -> list:
    async with services.db.sessions() as s:
        return list((await s.execute(text(sql), params)).all())


async def scalar(services, sql: str, **params) -> int:
    [(value,)] = await query(services, sql, **params)
    return int(value)


async def distinct(services, table: str, column: str) -> set[str]:
    return {r[0] for r in await query(services, f"SELECT DISTINCT {column} FROM {table}")}


@pytest.fixture
async def seeded(services, clock):
    logins = await demo.seed(services.db.sessions, clock, customers=CUSTOMERS, bulk=True)
    assert logins is not None and len(logins) == 9
    return services


def test_bulk_is_chosen_above_the_threshold_unless_told():
    assert not use_bulk(40, None) and use_bulk(BULK_THRESHOLD + 1, None)
    assert use_bulk(5, True) and not use_bulk(5000, False)


async def test_bulk_demo_has_every_state_in_proportion(seeded, clock):
    services = seeded
    assert await scalar(services, "SELECT count(*) FROM customers") == CUSTOMERS
    tickets = await scalar(services, "SELECT count(*) FROM tickets")
    assert tickets >= 20 * CUSTOMERS  # 5,000 customers → ≥ 100,000 tickets
    orders = await scalar(services, "SELECT count(*) FROM orders")
    assert 4 * CUSTOMERS <= orders <= 7 * CUSTOMERS
    assert await scalar(services, "SELECT count(*) FROM service_jobs") >= orders
    assert await scalar(services, "SELECT count(*) FROM feedback") >= tickets // 5
    assert await distinct(services, "orders", "status") == set(ORDER_STATUSES)
    assert await distinct(services, "tickets", "status") == set(TICKET_STATUSES)
    assert await distinct(services, "tickets", "priority") == set(TICKET_PRIORITIES)
    assert await distinct(services, "tickets", "kind") == set(TICKET_KINDS)
    assert await distinct(services, "service_jobs", "status") == set(SERVICE_JOB_STATUSES)
    assert await distinct(services, "service_jobs", "kind") == set(SERVICE_JOB_KINDS)
    assert await distinct(services, "service_jobs", "quality_result") == {"PASSED", "FAILED", None}
    assert await distinct(services, "action_items", "status") == set(ACTION_ITEM_STATUSES)
    assert await distinct(services, "surveys", "status") == set(SURVEY_STATUSES)
    assert {"TICKET", "SERVICE_JOB", "RETURN_VISIT", "SURVEY"} <= await distinct(services, "feedback", "source")
    assert await distinct(services, "feedback", "score") == {1, 2, 3, 4, 5}
    assert len(await distinct(services, "tickets", "root_cause_code")) >= 6  # the six categories and None
    assert len(await distinct(services, "customers", "region")) >= 4
    # Twelve months: the oldest ticket is near a year back; every month has tickets and confirmed orders.
    now = clock.now()
    first = await scalar(
        services, "SELECT extract(epoch FROM CAST(:now AS timestamptz) - min(created_at)) FROM tickets", now=now
    )
    assert timedelta(seconds=first) > HISTORY - timedelta(days=15)
    months = "SELECT count(DISTINCT date_trunc('month', {0}, 'UTC')) FROM {1} WHERE {0} >= CAST(:since AS timestamptz)"
    since = now - HISTORY + timedelta(days=31)
    assert await scalar(services, months.format("created_at", "tickets"), since=since) >= 11
    assert await scalar(services, months.format("confirmed_at", "orders"), since=since) >= 11


async def test_bulk_demo_is_consistent(seeded, clock):
    services = seeded
    broken = {rule: await scalar(services, sql) for rule, sql in VIOLATIONS.items()}
    assert broken == dict.fromkeys(VIOLATIONS, 0)
    now = clock.now()
    # Nothing happens after the seed's instant.
    for table, columns in {
        "tickets": ("created_at", "first_responded_at", "resolved_at", "closed_at", "updated_at"),
        "orders": ("created_at", "handed_off_at", "confirmed_at", "returned_at", "cancelled_at", "completed_at"),
        "service_jobs": ("created_at", "started_at", "completed_at", "cancelled_at"),
        "feedback": ("recorded_at",),
        "action_items": ("created_at", "started_at", "completed_at", "verified_at", "cancelled_at"),
        "activity": ("at",),
    }.items():
        latest = ", ".join(f"max({c})" for c in columns)
        sql = (
            f"SELECT count(*) FROM (SELECT greatest({latest}) AS t FROM {table}) x WHERE t > CAST(:now AS timestamptz)"
        )
        assert await scalar(services, sql, now=now) == 0, table
    # No event older than the retention horizon: the first purge removes none.
    horizon = event_horizon(now, DEFAULT_RETENTION_DAYS)
    sql = "SELECT count(*) FROM events WHERE occurred_at < CAST(:h AS timestamptz)"
    assert await scalar(services, sql, h=horizon) == 0
    assert await scalar(services, "SELECT count(*) FROM events WHERE type = 'ORDER_HANDED_OFF'") > 0


async def test_bulk_due_times_follow_the_sla_policies(seeded):
    services = seeded
    async with services.db.sessions() as s:
        policies = {p.priority: p for p in (await s.execute(text("SELECT * FROM sla_policies"))).all()}
        sample = (
            await s.execute(
                text(
                    "SELECT priority, sla_started_at, created_at, first_response_due_at, resolution_due_at "
                    "FROM tickets ORDER BY number LIMIT 200"
                )
            )
        ).all()
    assert {row.priority for row in sample} == set(TICKET_PRIORITIES)
    for row in sample:
        p = policies[row.priority]
        due = sla.due_times(row.sla_started_at, SlaPolicy(**p._asdict()))
        assert row.sla_started_at == row.created_at
        assert (row.first_response_due_at, row.resolution_due_at) == (due.first_response, due.resolution)


async def test_bulk_timelines_of_the_sample(seeded):
    services = seeded
    # Every customer's creation; the sample's tickets have their whole story, in time order.
    assert await scalar(services, "SELECT count(*) FROM activity WHERE action = 'customer.created'") == CUSTOMERS
    [(ticket_id,)] = await query(
        services,
        "SELECT entity_id FROM activity WHERE action = 'ticket.closed' ORDER BY seq LIMIT 1",
    )
    steps = await query(services, "SELECT action, at FROM activity WHERE entity_id = :id ORDER BY seq", id=ticket_id)
    assert [a for a, _ in steps] == ["ticket.opened", "ticket.acknowledged", "ticket.resolved", "ticket.closed"]
    assert [t for _, t in steps] == sorted(t for _, t in steps)


async def test_kpis_of_a_month_of_bulk_data_have_values(seeded, clock):
    services = seeded
    now = clock.now()
    async with services.db.sessions() as s:
        for department in kpis.DEPARTMENTS:
            report = await kpis.report(
                s, department=department, start=now - timedelta(days=30), end=now, user_id=None, now=now
            )
            assert all(k.value is not None for k in report.kpis), [(k.key, k.value) for k in report.kpis]
            assert all(0 <= k.value <= 5 for k in report.kpis if k.key != "new_customers" and k.value is not None)


def test_seed_demo_takes_bulk_and_no_bulk():
    from main import parser

    assert parser().parse_args(["seed-demo"]).bulk is None  # by the number of customers
    assert parser().parse_args(["seed-demo", "--bulk"]).bulk is True
    assert parser().parse_args(["seed-demo", "--customers", "5000", "--no-bulk"]).bulk is False
