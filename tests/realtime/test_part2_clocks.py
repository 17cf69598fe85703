"""Part 2's additions to the clocks, through a real server: an SLA alert of a registration names its
opportunity (`SlaAlertEvent.opportunity`), and an open consultation shows when it owes the customer
its next visible update (`Escalation.customerUpdateDueAt`), which a customer-visible reply moves and an
internal one does not."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from schema.ids import to_global_id
from services import escalations
from services import tickets as ticket_service
from tests.support.database import run_sql_autocommit
from tests.support.presale import Team, customer, opportunity_in
from tests.support.realtime import Server, Subscriber
from tests.support.tickets import cast, ticket_in

pytestmark = pytest.mark.timeout(120)

ALERTS = "subscription { slaAlerts { cursor type state clock opportunity { title stage } ticket { number } } }"


async def test_a_registration_alert_names_its_opportunity(db_url, services, users):
    team = await Team.create(users)
    server = await Server(db_url, TANDEM_SLA_WATCH_INTERVAL="0.3").start()
    try:
        board = await users.api_key("board")
        sub = await Subscriber(server.ws, board, ALERTS).connect()
        await asyncio.sleep(0.3)
        customer_id = (await customer(services, team.seller)).id
        registered = await opportunity_in(services, team, customer_id, "REGISTERED")
        await run_sql_autocommit(
            db_url,
            "UPDATE opportunities SET registered_at = now() - interval '100 seconds', "
            f"registration_ack_due_at = now() + interval '2 seconds' WHERE id = '{registered.id}'",
        )
        at_risk, breached = [e["slaAlerts"] for e in await sub.collect(2, timeout=30)]
        assert at_risk["clock"] == breached["clock"] == "registration_ack"
        assert at_risk["opportunity"] == {"title": registered.title, "stage": "REGISTERED"}
        assert at_risk["ticket"] is None
        await sub.close()
    finally:
        server.stop()


ACTION_ALERTS = """subscription { slaAlerts { type state clock ticket { number }
  actionItem { number title owner { name } } } }"""


async def test_an_action_item_due_soon_then_overdue_is_announced_once_each(db_url, services, users):
    from datetime import UTC, datetime

    from services import action_items
    from services.action_items import NewActionItem
    from tests.support.presale import act

    team = await Team.create(users)
    server = await Server(db_url, TANDEM_SLA_WATCH_INTERVAL="0.3").start()
    try:
        sub = await Subscriber(server.ws, await users.api_key("board"), ACTION_ALERTS).connect()
        await asyncio.sleep(0.3)
        # Due in a day and two seconds: within 24 h two seconds from now. Then (as if a day had passed) its
        # due time is behind us: overdue.
        due = datetime.now(UTC) + timedelta(hours=24, seconds=2)
        data = NewActionItem(title="Recalibrate the press", source="OTHER", owner_id=team.seller.user.id, due_at=due)
        item = await act(services, team.service, action_items.create_action_item, data)
        at_risk = (await sub.next(timeout=30))["slaAlerts"]
        assert at_risk["state"] == "AT_RISK" and at_risk["clock"] == "action_item_due" and at_risk["ticket"] is None
        assert at_risk["actionItem"]["number"] == item.number
        await run_sql_autocommit(
            db_url, f"UPDATE action_items SET due_at = now() - interval '1 second' WHERE id = '{item.id}'"
        )
        breached = (await sub.next(timeout=30))["slaAlerts"]
        assert breached["state"] == "BREACHED" and breached["actionItem"]["title"] == "Recalibrate the press"
        with pytest.raises(TimeoutError):  # once each
            await sub.next(timeout=1.5)
        await sub.close()
    finally:
        server.stop()


DUE = """query($t: ID!) { node(id: $t) { ... on Ticket { escalation { status customerUpdateDueAt } } } }"""


async def test_an_open_consultation_shows_its_customer_update_clock(gql, services, clock):
    c = await cast(services)
    start = clock.now()
    ticket = await ticket_in(c, "ESCALATED", priority="LOW")
    token = c.service.token
    ticket_gid = to_global_id("Ticket", ticket.id)

    async def due() -> str | None:
        return (await gql.ok(DUE, {"t": ticket_gid}, token))["node"]["escalation"]["customerUpdateDueAt"]

    assert await due() == (start + timedelta(hours=24)).isoformat()
    clock.set(start + timedelta(hours=5))
    await c.run(c.service, ticket_service.add_comment, ticket.id, "Internal only", "INTERNAL")
    assert await due() == (start + timedelta(hours=24)).isoformat()  # an internal note does not count
    await c.run(c.service, ticket_service.add_comment, ticket.id, "Parts ordered", "CUSTOMER")
    assert await due() == (start + timedelta(hours=29)).isoformat()
    await c.run(c.service, escalations.close_escalation, ticket.id, "Replace the seal on every unit", None)
    body = await gql.ok(DUE, {"t": ticket_gid}, token)
    assert body["node"]["escalation"] == {"status": "CLOSED", "customerUpdateDueAt": None}
