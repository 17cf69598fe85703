"""Shared set-up for the ticket tests: a cast of people, customers and orders, GraphQL documents,
and ways to drive tickets into any status through the services."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, text

from db.models import Activity, Escalation, EscalationParticipant, Event, Notification, Ticket, TicketComment
from schema.ids import to_global_id
from services import customers as customer_service
from services import escalations as escalation_service
from services import orders as order_service
from services import service_jobs as job_service
from services import tickets as ticket_service
from services.auth import principal_of_user
from services.customers import ContactData, NewCustomer
from services.orders import ItemData, NewOrder
from services.service_jobs import NewServiceJob
from services.tickets import NewTicket
from services.unit_of_work import unit_of_work
from tests.support.accounts import Account, fast_account
from tests.support.database import row_counts

TICKET_FIELDS = """
fragment T on Ticket {
  id number kind priority status subject description createdAt updatedAt firstRespondedAt resolvedAt closedAt
  resolutionSummary version
  customer { id name } order { id number } assignee { id name } createdBy { id name }
  sla { firstResponseDueAt resolutionDueAt firstResponseState resolutionState state }
  escalation { id status reason plan requestedBy { id } participants { id name } notes { body author { id } } }
  rootCause { code label active }
}
"""

INPUT_TYPES = {
    "openTicket": "OpenTicketInput",
    "reportServiceJobProblem": "ReportServiceJobProblemInput",
    "acknowledgeTicket": "TicketActionInput",
    "assignTicket": "AssignTicketInput",
    "startTicketWork": "TicketActionInput",
    "addTicketComment": "CommentInput",
    "changeTicketPriority": "ChangeTicketPriorityInput",
    "escalateTicket": "EscalateTicketInput",
    "addEscalationNote": "EscalationNoteInput",
    "closeEscalation": "CloseEscalationInput",
    "resolveTicket": "ResolveTicketInput",
    "closeTicket": "TicketActionInput",
    "reopenTicket": "TicketActionInput",
    "updateSlaPolicy": "UpdateSlaPolicyInput",
    "upsertRootCauseCategory": "UpsertRootCauseCategoryInput",
}
SELECTIONS = {
    "updateSlaPolicy": "slaPolicy { priority firstResponseMinutes resolutionMinutes version }",
    "upsertRootCauseCategory": "rootCauseCategory { code label active }",
}
READ_TICKET = "query($id: ID!) { node(id: $id) { ...T } }" + TICKET_FIELDS


def mutation(name: str) -> str:
    selection = SELECTIONS.get(name, "ticket { ...T }")
    doc = (
        f"mutation($i: {INPUT_TYPES[name]}!) {{ {name}(input: $i) {{ {selection} errors {{ code field message }} }} }}"
    )
    return doc + (TICKET_FIELDS if "...T" in selection else "")


async def call(gql, name: str, account, **input) -> dict:
    """The payload of mutation `name` (user errors included)."""
    return (await gql.ok(mutation(name), {"i": input}, account.token))[name]


async def ok(gql, name: str, account, **input) -> dict:
    payload = await call(gql, name, account, **input)
    assert payload["errors"] == [], payload["errors"]
    return payload


async def refused(gql, services, name: str, account, **input) -> list[dict]:
    before = await counts(services)
    payload = await call(gql, name, account, **input)
    assert payload["errors"], "expected a refusal"
    assert next(v for k, v in payload.items() if k != "errors") is None
    assert await counts(services) == before
    return payload["errors"]


def resolution(ticket_gid: str, root_cause: str, summary: str) -> dict[str, str]:
    """The input of resolveTicket: the ticket (its global id), its root cause and what was done."""
    return {"ticketId": ticket_gid, "rootCause": root_cause, "resolutionSummary": summary}


def codes(errors: list[dict]) -> list[str]:
    return [e["code"] for e in errors]


def tid(ticket_id: uuid.UUID) -> str:
    return to_global_id("Ticket", ticket_id)


def uid(account: Account) -> str:
    return account.gid


@dataclass
class Cast:
    services: Any
    marketing: Account
    marketing2: Account
    service: Account
    service2: Account
    supervisor: Account
    admin: Account
    customer_id: uuid.UUID

    def principal(self, account: Account):
        return principal_of_user(account.user)

    def token(self, account: Account) -> str:
        """A login token issued now (tests move the clock by days; tokens live 12 hours)."""
        return self.services.tokens.issue(account.user, self.services.clock.now())

    async def run(self, account: Account | None, fn, *args, **kwargs):
        """Run one service function as `account` in its own unit of work."""
        actor = principal_of_user(account.user) if account else None
        async with unit_of_work(self.services.db.sessions, actor, self.services.clock) as uow:
            return await fn(uow, *args, **kwargs)


async def cast(services) -> Cast:
    c = Cast(
        services,
        marketing=await fast_account(services, "MARKETING", name="Mia Marketing"),
        marketing2=await fast_account(services, "MARKETING", name="Max Marketing"),
        service=await fast_account(services, "SERVICE", name="Sam Service"),
        service2=await fast_account(services, "SERVICE", name="Sue Service"),
        supervisor=await fast_account(services, "MANAGEMENT", "SUPERVISOR", name="Sid Supervisor"),
        admin=await fast_account(services, "MANAGEMENT", "ADMIN", name="Ada Admin"),
        customer_id=uuid.uuid4(),
    )
    c.customer_id = await new_customer(c, "Acme Robotics")
    return c


async def new_customer(c: Cast, name: str) -> uuid.UUID:
    data = NewCustomer(
        name=name, contacts=[ContactData(name="Li Wei", phone="+86 21 5555 0101", email="li.wei@acme.example")]
    )
    customer = await c.run(c.marketing, customer_service.create_customer, data)
    return customer.id


async def new_order(c: Cast, customer_id: uuid.UUID | None = None, owner: Account | None = None):
    data = NewOrder(
        customer_id=customer_id or c.customer_id,
        items=[ItemData(product_model="X-100", quantity=2)],
        contract_value=Decimal("1000.00"),
        delivery_date="2026-04-01",
    )
    return await c.run(owner or c.marketing, order_service.create_order, data)


async def new_job(c: Cast, *, with_order: bool, technician: Account | None = None):
    """A scheduled service job, on a confirmed order of the cast's customer (or on the customer only)."""
    order_id = None
    if with_order:
        order = await new_order(c)
        await c.run(c.marketing, order_service.hand_off_order, order.id, None)
        await c.run(c.service, order_service.confirm_order, order.id, None)
        order_id = order.id
    data = NewServiceJob(
        kind="INSTALLATION",
        scheduled_start=c.services.clock.now(),
        order_id=order_id,
        customer_id=None if with_order else c.customer_id,
        technician_id=(technician or c.service).user.id,
    )
    return await c.run(c.service, job_service.schedule_service_job, data)


async def open_ticket(
    c: Cast,
    *,
    by: Account | None = None,
    priority: str = "NORMAL",
    kind: str = "COMPLAINT",
    subject: str = "Machine stops after an hour",
    customer_id: uuid.UUID | None = None,
    order_id: uuid.UUID | None = None,
) -> Ticket:
    data = NewTicket(
        customer_id=customer_id or c.customer_id,
        order_id=order_id,
        kind=kind,
        priority=priority,
        subject=subject,
        description="The customer reports the line stops.",
    )
    return await c.run(by or c.marketing, ticket_service.open_ticket, data)


# How to reach each status from NEW (each step run by the service user, the consultation with marketing).
PATHS = {
    "NEW": [],
    "ACKNOWLEDGED": ["acknowledge"],
    "IN_PROGRESS": ["acknowledge", "start"],
    "ESCALATED": ["acknowledge", "start", "escalate"],
    "RESOLVED": ["acknowledge", "start", "resolve"],
    "CLOSED": ["acknowledge", "start", "resolve", "close"],
    "REOPENED": ["acknowledge", "start", "resolve", "reopen"],
}


async def step(c: Cast, ticket_id: uuid.UUID, action: str, actor: Account | None = None) -> Ticket:
    """Perform one ticket action with valid arguments (the state machine decides whether it is allowed)."""
    who = actor or c.service
    match action:
        case "acknowledge":
            return await c.run(who, ticket_service.acknowledge, ticket_id, None)
        case "start":
            return await c.run(who, ticket_service.start_work, ticket_id, None)
        case "assign":
            return await c.run(who, ticket_service.assign, ticket_id, c.service2.user.id, None)
        case "comment":
            return await c.run(who, ticket_service.add_comment, ticket_id, "We are looking into it.", "INTERNAL")
        case "change_priority":
            return await c.run(who, ticket_service.change_priority, ticket_id, "URGENT", None)
        case "escalate":
            return await c.run(
                who, escalation_service.escalate, ticket_id, "Needs the account manager", [c.marketing.user.id], None
            )
        case "note":
            return await c.run(who, escalation_service.add_note, ticket_id, "Proposal: replace the unit.")
        case "close_escalation":
            return await c.run(who, escalation_service.close_escalation, ticket_id, "Replace the unit on Monday", None)
        case "resolve":
            return await c.run(who, ticket_service.resolve, ticket_id, "PRODUCT_DEFECT", "Unit replaced", None)
        case "close":
            return await c.run(who, ticket_service.close, ticket_id, None)
        case "reopen":
            return await c.run(who, ticket_service.reopen, ticket_id, None)
    raise AssertionError(action)


async def ticket_in(c: Cast, status: str, **open_kwargs) -> Ticket:
    ticket = await open_ticket(c, **open_kwargs)
    for action in PATHS[status]:
        ticket = await step(c, ticket.id, action)
    assert ticket.status == status
    return ticket


async def ticket_row(services, ticket_id: uuid.UUID) -> dict:
    async with services.db.sessions() as s:
        result = await s.execute(text("SELECT * FROM tickets WHERE id = :id"), {"id": ticket_id})
        return dict(zip(result.keys(), result.one(), strict=True))


TICKET_WRITES = {
    model.__tablename__: model for model in (Ticket, TicketComment, Escalation, EscalationParticipant, Activity, Event)
}


async def counts(services) -> dict[str, int]:
    """Rows of every table a ticket action writes, by table name; `events` counts the business events,
    `notifications` the personal ones (with their NOTIFICATION_CREATED events)."""
    found = await row_counts(services, {**TICKET_WRITES, "notifications": Notification})
    async with services.db.sessions() as s:
        found["events"] -= await s.scalar(
            select(func.count()).select_from(Event).where(Event.type == "NOTIFICATION_CREATED")
        )
    return found


async def events_of(services, ticket_id: uuid.UUID) -> list[Event]:
    async with services.db.sessions() as s:
        stmt = select(Event).where(Event.entity_type == "Ticket", Event.entity_id == ticket_id).order_by(Event.id)
        return list((await s.scalars(stmt)).all())


async def activity_of(services, ticket_id: uuid.UUID) -> list[Activity]:
    async with services.db.sessions() as s:
        stmt = (
            select(Activity)
            .where(Activity.entity_type == "Ticket", Activity.entity_id == ticket_id)
            .order_by(Activity.seq)
        )
        return list((await s.scalars(stmt)).all())
