"""The demo tickets cover what a demo should show: every status, both kinds of comments, consultations
open and closed, SLAs met, at risk and breached, over the last 90 days, created through the services."""

from __future__ import annotations

import random
from collections import Counter
from datetime import timedelta

from sqlalchemy import select

from db.models import Escalation, Event, Ticket, TicketComment
from db.models.tickets import TICKET_STATUSES
from services import sla
from services.demo_tickets import seed_tickets
from tests.support.tickets import cast, new_customer, new_order


async def test_demo_tickets_cover_the_workflow(services, clock):
    c = await cast(services)
    customers = [c.customer_id, await new_customer(c, "Bluewater Foods")]
    orders = [await new_order(c, customer_id=customers[1])]
    users = [a.user for a in (c.marketing, c.marketing2, c.service, c.service2, c.supervisor, c.admin)]
    ids = await seed_tickets(services.db.sessions, clock, users, customers, orders, random.Random(7))
    now = clock.now()
    async with services.db.sessions() as s:
        rows = list((await s.scalars(select(Ticket).where(Ticket.id.in_(ids)))).all())
        comments = list((await s.scalars(select(TicketComment))).all())
        escalations = list((await s.scalars(select(Escalation))).all())
        events = list((await s.scalars(select(Event).where(Event.entity_type == "Ticket").order_by(Event.id))).all())
    assert len(rows) == len(ids) >= 40
    assert set(Counter(t.status for t in rows)) == set(TICKET_STATUSES)
    assert {x.visibility for x in comments if x.escalation_id is None} == {"CUSTOMER", "INTERNAL"}
    assert any(x.escalation_id for x in comments)
    assert {e.status for e in escalations} == {"OPEN", "CLOSED"}
    states = Counter(sla.ticket_state(t, now) for t in rows)
    assert {sla.SlaState.BREACHED, sla.SlaState.AT_RISK, sla.SlaState.MET, sla.SlaState.ON_TRACK} <= set(states)
    assert min(t.created_at for t in rows) < now - timedelta(days=80)
    assert max(t.created_at for t in rows) <= now
    assert all(t.order_id is None or t.customer_id == customers[1] for t in rows)
    occurred = [e.occurred_at for e in events]
    assert occurred == sorted(occurred) and occurred[-1] <= now  # the log reads chronologically
    assert len({e.payload["ticketId"] for e in events if e.type == "TICKET_OPENED"}) == len(ids)
