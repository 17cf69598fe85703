"""Who may do what with tickets, table-driven from DOMAIN.md's matrix, over HTTP.

Every after-sale mutation × every kind of caller: allowed ones succeed and change what they should;
refused ones get FORBIDDEN (a GraphQL error when the matrix says no; a FORBIDDEN user error when the
caller may post in consultations only as a participant and is not one) and leave every table as it was.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

import pytest

from schema.ids import to_global_id
from services import escalations as escalation_service
from services import tickets as ticket_service
from tests.support.accounts import KEYS, PEOPLE, PRINCIPALS, credential
from tests.support.database import all_rows, scalar
from tests.support.graphql import error_codes
from tests.support.tickets import Cast, cast, mutation, new_job, ticket_in, tid

HANDLERS = {"service staff", "admin"}  # "acknowledge, assign, escalate, resolve, close ticket": service, admin

# Written out from DOMAIN.md, not derived from services/access.py.
ALLOWED: dict[str, set[str]] = {
    "openTicket": set(PEOPLE),  # "open ticket, comment, record feedback": everyone
    "addTicketComment": set(PEOPLE),
    "reopenTicket": set(PEOPLE),
    "reportServiceJobProblem": HANDLERS,  # "service jobs": service, admin
    "acknowledgeTicket": HANDLERS,
    "assignTicket": HANDLERS,
    "startTicketWork": HANDLERS,
    "changeTicketPriority": HANDLERS,
    "escalateTicket": HANDLERS,
    "closeEscalation": HANDLERS,
    "resolveTicket": HANDLERS,
    "closeTicket": HANDLERS,
    # "post in a joint consultation": participants (here the callers are not participants) | supervisor | admin
    "addEscalationNote": {"supervisor", "admin"},
    "updateSlaPolicy": {"supervisor", "admin"},  # "sales targets, SLA policies"
    "upsertRootCauseCategory": {"admin"},  # reference data administration
}
# Refused by the consultation's own rule (a user error), not by the matrix.
PARTICIPANT_RULE = {("addEscalationNote", p) for p in ("marketing staff", "service staff", "management staff")}

Check = Callable[[dict], Awaitable[None]]


async def status_is(services, ticket_id: uuid.UUID, status: str) -> None:
    assert await scalar(services, "SELECT status FROM tickets WHERE id = :t", t=ticket_id) == status


async def prepare(c: Cast, name: str) -> tuple[dict, Check]:
    """Valid input for `name` (a ticket in the right status) and a check that it was applied."""
    s = c.services
    needs = {
        "openTicket": None,
        "reportServiceJobProblem": None,
        "updateSlaPolicy": None,
        "upsertRootCauseCategory": None,
        "acknowledgeTicket": "NEW",
        "assignTicket": "ACKNOWLEDGED",
        "startTicketWork": "ACKNOWLEDGED",
        "addTicketComment": "IN_PROGRESS",
        "changeTicketPriority": "IN_PROGRESS",
        "escalateTicket": "IN_PROGRESS",
        "addEscalationNote": "ESCALATED",
        "closeEscalation": "ESCALATED",
        "resolveTicket": "IN_PROGRESS",
        "closeTicket": "RESOLVED",
        "reopenTicket": "CLOSED",
    }[name]
    ticket = await ticket_in(c, needs) if needs else None
    gid = tid(ticket.id) if ticket else None

    def becomes(status: str) -> Check:
        async def check(payload):
            assert payload["ticket"]["status"] == status
            await status_is(s, ticket.id, status)

        return check

    match name:
        case "openTicket":
            subject = f"Opened {uuid.uuid4().hex[:6]}"

            async def opened(payload):
                assert await scalar(s, "SELECT count(*) FROM tickets WHERE subject = :x", x=subject) == 1

            return {
                "customerId": to_global_id("Customer", c.customer_id),
                "kind": "INQUIRY",
                "priority": "LOW",
                "subject": subject,
                "description": "?",
            }, opened
        case "reportServiceJobProblem":
            job = await new_job(c, with_order=False)

            async def reported(payload):
                assert (
                    await scalar(s, "SELECT kind FROM tickets WHERE service_job_id = :j", j=job.id) == "QUALITY_ISSUE"
                )

            return {
                "serviceJobId": to_global_id("ServiceJob", job.id),
                "subject": "Broken part",
                "description": "Arrived cracked",
            }, reported
        case "updateSlaPolicy":
            version = await scalar(s, "SELECT version FROM sla_policies WHERE priority = 'LOW'")

            async def updated(payload):
                assert await scalar(s, "SELECT first_response_minutes FROM sla_policies WHERE priority = 'LOW'") == 720

            return {
                "priority": "LOW",
                "firstResponseMinutes": 720,
                "resolutionMinutes": 10080,
                "expectedVersion": version,
            }, updated
        case "upsertRootCauseCategory":
            code = f"C{uuid.uuid4().hex[:6].upper()}"

            async def upserted(payload):
                assert await scalar(s, "SELECT label FROM root_cause_categories WHERE code = :c", c=code) == "New cause"

            return {"code": code, "label": "New cause", "active": True}, upserted
        case "acknowledgeTicket":
            return {"ticketId": gid}, becomes("ACKNOWLEDGED")
        case "startTicketWork":
            return {"ticketId": gid}, becomes("IN_PROGRESS")
        case "closeTicket":
            return {"ticketId": gid}, becomes("CLOSED")
        case "reopenTicket":
            return {"ticketId": gid}, becomes("REOPENED")
        case "escalateTicket":
            return {"ticketId": gid, "reason": "Complex", "participantIds": [c.marketing.gid]}, becomes("ESCALATED")
        case "closeEscalation":
            return {"ticketId": gid, "plan": "Agreed plan"}, becomes("IN_PROGRESS")
        case "resolveTicket":
            return {"ticketId": gid, "rootCause": "USAGE", "resolutionSummary": "Explained"}, becomes("RESOLVED")
        case "assignTicket":

            async def assigned(payload):
                assert (
                    await scalar(s, "SELECT assignee_id FROM tickets WHERE id = :t", t=ticket.id) == c.service2.user.id
                )

            return {"ticketId": gid, "assigneeId": c.service2.gid}, assigned
        case "changeTicketPriority":

            async def reprioritised(payload):
                assert await scalar(s, "SELECT priority FROM tickets WHERE id = :t", t=ticket.id) == "URGENT"

            return {"ticketId": gid, "priority": "URGENT"}, reprioritised
        case "addTicketComment" | "addEscalationNote":
            escalation = name == "addEscalationNote"

            async def commented(payload):
                column = "escalation_id IS NOT NULL" if escalation else "escalation_id IS NULL"
                assert (
                    await scalar(
                        s, f"SELECT count(*) FROM ticket_comments WHERE ticket_id = :t AND {column}", t=ticket.id
                    )
                    == 1
                )

            return (
                {"ticketId": gid, "body": "A note"}
                if escalation
                else {"ticketId": gid, "body": "A reply", "visibility": "CUSTOMER"}
            ), commented
    raise AssertionError(name)


SNAPSHOT = (
    "tickets",
    "ticket_comments",
    "escalations",
    "escalation_participants",
    "sla_policies",
    "root_cause_categories",
    "activity",
    "events",
    "idempotency_records",
)


async def snapshot(services) -> dict:
    return await all_rows(services, SNAPSHOT)


def test_the_table_covers_every_after_sale_mutation():
    from tests.support.tickets import INPUT_TYPES

    assert set(ALLOWED) == set(INPUT_TYPES)


@pytest.mark.parametrize("principal", PRINCIPALS)
async def test_after_sale_mutations_per_the_matrix(principal, gql, users, services):
    c = await cast(services)
    token = await credential(c.services, users, principal)
    wrong = []
    for name in ALLOWED:
        variables, applied = await prepare(c, name)
        before = await snapshot(services)
        body = await gql(mutation(name), {"i": variables}, token)
        if principal in ALLOWED[name]:
            if body.get("errors") or body["data"][name]["errors"]:
                wrong.append(f"{name}: expected allowed, got {body}")
                continue
            await applied(body["data"][name])
        elif (name, principal) in PARTICIPANT_RULE:
            errors = (body.get("data") or {}).get(name, {}).get("errors")
            if body.get("errors") or [e["code"] for e in errors or []] != ["FORBIDDEN"]:
                wrong.append(f"{name}: expected a FORBIDDEN user error, got {body}")
            elif await snapshot(services) != before:
                wrong.append(f"{name}: refused but changed data")
        else:
            if error_codes(body) != ["FORBIDDEN"] or body["data"] is not None:
                wrong.append(f"{name}: expected FORBIDDEN, got {body}")
            elif await snapshot(services) != before:
                wrong.append(f"{name}: refused but changed data")
    assert wrong == []


BOARD_READ = """query($id: ID!) { node(id: $id) { ... on Ticket {
  number customer { name contacts { name PHONE_OR_EMAIL } }
  comments(first: 50) { totalCount edges { node { body visibility } } }
  escalation { participants { name } notes { body } } } } }"""


@pytest.mark.parametrize("principal", KEYS)
async def test_api_keys_read_tickets_without_internal_comments_or_contact_details(principal, gql, users, services):
    c = await cast(services)
    ticket = await ticket_in(c, "ESCALATED")
    for visibility in ("CUSTOMER", "INTERNAL"):
        await c.run(c.service, ticket_service.add_comment, ticket.id, f"{visibility.lower()} words", visibility)
    await c.run(c.marketing, escalation_service.add_note, ticket.id, "secret plan")
    key = await users.api_key(principal.split()[0])
    data = await gql.ok(BOARD_READ.replace("PHONE_OR_EMAIL", ""), {"id": tid(ticket.id)}, key)
    node = data["node"]
    assert node["comments"]["totalCount"] == 1
    assert [e["node"] for e in node["comments"]["edges"]] == [{"body": "customer words", "visibility": "CUSTOMER"}]
    assert node["escalation"]["notes"] == [] and len(node["escalation"]["participants"]) == 2
    assert node["customer"]["contacts"] == [{"name": "Li Wei"}]
    for field in ("phone", "email"):
        body = await gql(BOARD_READ.replace("PHONE_OR_EMAIL", field), {"id": tid(ticket.id)}, key)
        assert error_codes(body) == ["FORBIDDEN"], field
        assert "Li Wei" not in str(body.get("errors")) and "5555" not in str(body) and "acme.example" not in str(body)
    body = await gql(
        "query($id: ID!) { node(id: $id) { ... on Ticket { createdBy { email } } } }", {"id": tid(ticket.id)}, key
    )
    assert error_codes(body) == ["FORBIDDEN"]
    # People see everything.
    data = await gql.ok(BOARD_READ.replace("PHONE_OR_EMAIL", "phone email"), {"id": tid(ticket.id)}, c.marketing.token)
    assert data["node"]["comments"]["totalCount"] == 2 and len(data["node"]["escalation"]["notes"]) == 1
    assert data["node"]["customer"]["contacts"][0]["phone"] == "+86 21 5555 0101"
