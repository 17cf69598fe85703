"""Joint consultations (會診) over HTTP: who must be at the table, who may post, closing with a plan."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError

from db.models import Escalation
from tests.support import tickets
from tests.support.accounts import fast_account
from tests.support.tickets import call, cast, codes, ok, refused, resolution, step, ticket_in, tid

ESCALATION = """query($id: ID!) { node(id: $id) { ... on Ticket { status version escalation {
  id status reason plan requestedBy { id } closedBy { id } participants { id name }
  notes { body visibility author { id } } } } } }"""


async def escalate(gql, c, ticket_gid: str, reason: str, participant_ids: list[str]) -> dict:
    """The ticket, escalated by the service user."""
    payload = await ok(
        gql, "escalateTicket", c.service, ticketId=ticket_gid, reason=reason, participantIds=participant_ids
    )
    return payload["ticket"]


async def escalation_of(gql, token, ticket_id) -> dict:
    return (await gql.ok(ESCALATION, {"id": tid(ticket_id)}, token))["node"]


async def test_a_consultation_needs_an_active_marketing_participant(gql, services):
    c = await cast(services)
    ticket = await ticket_in(c, "IN_PROGRESS")
    input = {"ticketId": tid(ticket.id), "reason": "Customer threatens to cancel"}
    errors = await refused(gql, services, "escalateTicket", c.service, **input, participantIds=[c.service2.gid])
    assert errors == [
        {
            "code": "VALIDATION",
            "field": ["participantIds"],
            "message": "a joint consultation needs at least one active member of the marketing department",
        }
    ]
    errors = await refused(gql, services, "escalateTicket", c.service, **input, participantIds=[])
    assert codes(errors) == ["VALIDATION"]
    gone = await fast_account(services, "MARKETING", active=False)
    errors = await refused(gql, services, "escalateTicket", c.service, **input, participantIds=[gone.gid])
    assert {e["message"] for e in errors} >= {"every participant must be an active user"}
    errors = await refused(
        gql, services, "escalateTicket", c.service, **input | {"reason": " "}, participantIds=[c.marketing.gid]
    )
    assert errors[0]["field"] == ["reason"]
    assert (await escalation_of(gql, c.service.token, ticket.id))["status"] == "IN_PROGRESS"


async def test_escalate_note_and_close_with_a_plan(gql, services, clock):
    c = await cast(services)
    ticket = await ticket_in(c, "IN_PROGRESS")
    gid = tid(ticket.id)
    t = await escalate(gql, c, gid, "Repeated failures", [c.marketing.gid, c.service2.gid, c.marketing.gid])
    assert t["status"] == "ESCALATED"
    esc = t["escalation"]
    assert (esc["status"], esc["reason"], esc["plan"], esc["requestedBy"]["id"]) == (
        "OPEN",
        "Repeated failures",
        None,
        c.service.gid,
    )
    # The requester takes part too; participants are listed by name, each once.
    assert [p["name"] for p in esc["participants"]] == ["Mia Marketing", "Sam Service", "Sue Service"]
    (escalated,) = [e for e in await tickets.events_of(services, ticket.id) if e.type == "TICKET_ESCALATED"]
    assert escalated.payload["escalationId"] and escalated.payload["status"] == "ESCALATED"
    assert sorted(escalated.payload["participantIds"]) == sorted(
        str(a.user.id) for a in (c.marketing, c.service, c.service2)
    )
    assert escalated.payload["escalated"] is True

    # A second consultation cannot be opened while one is open.
    errors = await refused(
        gql, services, "escalateTicket", c.service, ticketId=gid, reason="again", participantIds=[c.marketing.gid]
    )
    assert codes(errors) == ["INVALID_TRANSITION"]

    # Participants post; a non-participant is refused (even from service); supervisors and admins may post.
    await ok(gql, "addEscalationNote", c.marketing, ticketId=gid, body="Offer a replacement unit")
    outsider = await fast_account(services, "SERVICE")
    errors = await refused(gql, services, "addEscalationNote", outsider, ticketId=gid, body="My two cents")
    assert errors == [
        {"code": "FORBIDDEN", "field": None, "message": "only participants of the joint consultation may post in it"}
    ]
    errors = await refused(gql, services, "addEscalationNote", c.marketing2, ticketId=gid, body="Me too")
    assert codes(errors) == ["FORBIDDEN"]
    await ok(gql, "addEscalationNote", c.supervisor, ticketId=gid, body="Approved: replace it")
    await ok(gql, "addEscalationNote", c.admin, ticketId=gid, body="Noted")
    errors = (await call(gql, "addEscalationNote", c.service2, ticketId=gid, body="  "))["errors"]
    assert errors[0]["field"] == ["body"]
    esc = (await escalation_of(gql, c.service.token, ticket.id))["escalation"]
    assert [(n["body"], n["visibility"], n["author"]["id"]) for n in esc["notes"]] == [
        ("Offer a replacement unit", "INTERNAL", c.marketing.gid),
        ("Approved: replace it", "INTERNAL", c.supervisor.gid),
        ("Noted", "INTERNAL", c.admin.gid),
    ]
    notes = [e for e in await tickets.events_of(services, ticket.id) if e.type == "ESCALATION_UPDATED"]
    assert len(notes) == 3 and all(n.payload["escalationId"] == escalated.payload["escalationId"] for n in notes)
    # Consultation notes are not ticket comments.
    comments = await gql.ok(
        "query($id: ID!) { node(id: $id) { ... on Ticket { comments { totalCount } } } }", {"id": gid}, c.service.token
    )
    assert comments["node"]["comments"]["totalCount"] == 0

    # Closing needs the agreed plan; the ticket goes back to work.
    errors = await refused(gql, services, "closeEscalation", c.service, ticketId=gid, plan="")
    assert errors[0]["field"] == ["plan"]
    clock.advance(hours=3)
    t = (await ok(gql, "closeEscalation", c.service2, ticketId=gid, plan="Replace the unit on Monday"))["ticket"]
    assert t["status"] == "IN_PROGRESS"
    assert (t["escalation"]["status"], t["escalation"]["plan"]) == ("CLOSED", "Replace the unit on Monday")
    closed = [e for e in await tickets.events_of(services, ticket.id) if e.type == "ESCALATION_CLOSED"]
    assert len(closed) == 1 and sorted(closed[0].payload["participantIds"]) == sorted(
        escalated.payload["participantIds"]
    )
    errors = await refused(gql, services, "addEscalationNote", c.marketing, ticketId=gid, body="late")
    assert codes(errors) == ["INVALID_TRANSITION"]
    actions = [a.action for a in await tickets.activity_of(services, ticket.id)]
    assert actions[-5:] == [
        "ticket.escalated",
        "ticket.escalation_note",
        "ticket.escalation_note",
        "ticket.escalation_note",
        "ticket.escalation_closed",
    ]

    # A later consultation: `Ticket.escalation` is the open one; closed ones stay in the history.
    t = await escalate(gql, c, gid, "Replacement failed too", [c.marketing2.gid])
    assert (t["escalation"]["status"], t["escalation"]["reason"]) == ("OPEN", "Replacement failed too")
    assert t["escalation"]["notes"] == []
    data = await gql.ok("{ escalations(first: 10) { totalCount edges { node { status } } } }", token=c.service.token)
    assert [e["node"]["status"] for e in data["escalations"]["edges"]] == ["OPEN", "CLOSED"]


async def test_resolving_in_the_consultation_closes_it(gql, services):
    c = await cast(services)
    ticket = await ticket_in(c, "ESCALATED")
    before = await tickets.counts(services)
    resolved = resolution(tid(ticket.id), "PRODUCT_DEFECT", "Firmware fixed by the factory")
    t = (await ok(gql, "resolveTicket", c.service, **resolved))["ticket"]
    assert t["status"] == "RESOLVED"
    assert (t["escalation"]["status"], t["escalation"]["plan"]) == ("CLOSED", "Firmware fixed by the factory")
    assert (await tickets.counts(services))["events"] == before["events"] + 1  # exactly one event: TICKET_RESOLVED
    resolved = (await tickets.events_of(services, ticket.id))[-1]
    assert resolved.type == "TICKET_RESOLVED" and resolved.payload["escalationId"]
    assert resolved.payload["participantIds"]


async def test_board_key_sees_the_consultation_but_not_its_notes(gql, services, users):
    c = await cast(services)
    ticket = await ticket_in(c, "ESCALATED")
    await step(c, ticket.id, "note", actor=c.marketing)
    board = await users.api_key("board")
    esc = (await escalation_of(gql, board, ticket.id))["escalation"]
    assert esc["status"] == "OPEN" and len(esc["participants"]) == 2
    assert esc["notes"] == []
    assert len((await escalation_of(gql, c.marketing.token, ticket.id))["escalation"]["notes"]) == 1


async def test_the_database_allows_one_open_consultation_per_ticket(services):
    c = await cast(services)
    ticket = await ticket_in(c, "ESCALATED")
    async with services.db.sessions() as s:
        s.add(
            Escalation(
                ticket_id=ticket.id,
                reason="duplicate",
                requested_by_id=c.service.user.id,
                requested_at=services.clock.now(),
                status="OPEN",
            )
        )
        with pytest.raises(IntegrityError, match="uq_escalations_open_ticket"):
            await s.flush()


async def test_note_by_a_participant_from_marketing_needs_no_handling_right(gql, services):
    """Marketing staff cannot handle tickets, yet as participants they post in the consultation."""
    c = await cast(services)
    ticket = await ticket_in(c, "ESCALATED")
    body = await gql(tickets.mutation("acknowledgeTicket"), {"i": {"ticketId": tid(ticket.id)}}, c.marketing.token)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    await ok(gql, "addEscalationNote", c.marketing, ticketId=tid(ticket.id), body="I know this customer well")
