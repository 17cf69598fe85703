"""The ticket's state machine (after-sale 1): ONE explicit table, and how a ticket changes under it.

Both the ticket's own steps (services/tickets.py) and its joint consultation's (services/escalations.py)
go through here: lock the ticket, `move` it by the table (refused with INVALID_TRANSITION otherwise),
`record` the change (one activity row, one event carrying what live boards filter on).
"""

from __future__ import annotations

import uuid
from typing import Any

from db.models import Ticket
from db.repositories import customers as customers_repo
from db.repositories import tickets as repo
from services.errors import check_version, not_found
from services.rules.tickets import TICKET_OPEN_STATUSES
from services.state_machine import StateMachine, steps
from services.unit_of_work import UnitOfWork

# The whole state machine: (status, action) -> status after it. Nothing else is allowed.
# Actions that keep the status (assign, comment, change_priority, note) are listed too, so the
# statuses in which they are allowed are written down here and nowhere else. `steps` writes an action
# taken in several statuses, or keeping the status.
TRANSITIONS: dict[tuple[str, str], str] = {
    ("NEW", "acknowledge"): "ACKNOWLEDGED",
    **steps("start", "ACKNOWLEDGED", "REOPENED", to="IN_PROGRESS"),
    **steps("escalate", "ACKNOWLEDGED", "IN_PROGRESS", "REOPENED", to="ESCALATED"),
    **steps("note", "ESCALATED"),
    ("ESCALATED", "close_escalation"): "IN_PROGRESS",
    **steps("resolve", "IN_PROGRESS", "ESCALATED", "REOPENED", to="RESOLVED"),  # from ESCALATED: closes it too
    ("RESOLVED", "close"): "CLOSED",
    **steps("reopen", "RESOLVED", "CLOSED", to="REOPENED"),
    **steps("assign", *TICKET_OPEN_STATUSES),
    **steps("change_priority", *TICKET_OPEN_STATUSES),
    **steps("comment", *TICKET_OPEN_STATUSES, "RESOLVED"),  # not on CLOSED tickets
}
ACTIONS = sorted({action for _, action in TRANSITIONS})

# How a refusal names an action (where its own name does not read well).
_VERBS = {
    "start": "start work on",
    "note": "add a note to",
    "close_escalation": "close the consultation of",
    "change_priority": "change the priority of",
    "comment": "comment on",
}
TICKETS = StateMachine("a ticket", "ticketId", TRANSITIONS, _VERBS, names_allowed_states=True)
next_status = TICKETS.next


async def locked_ticket(uow: UnitOfWork, ticket_id: uuid.UUID, expected_version: int | None = None) -> Ticket:
    ticket = await repo.get(uow.session, ticket_id, for_update=True)
    if ticket is None:
        raise not_found("ticket", "ticketId")
    check_version("ticket", expected_version, ticket.version)
    return ticket


def event_payload(ticket: Ticket, *, escalated: bool, customer_name: str | None = None, **extra: Any) -> dict[str, Any]:
    """What subscribers filter on (the board's TicketFilter fields) without reading the ticket: the
    customer's name too, which a board's `search` matches (as the tickets list's does)."""
    return {
        "ticketId": ticket.id,
        "number": ticket.number,
        "subject": ticket.subject,
        "customerName": customer_name,
        "createdAt": ticket.created_at,
        "rootCauseCode": ticket.root_cause_code,
        "status": ticket.status,
        "priority": ticket.priority,
        "kind": ticket.kind,
        "assigneeId": ticket.assignee_id,
        "escalated": escalated,
        # The SLA clocks, so a board filtering on slaState can judge the ticket as of the event.
        "slaStartedAt": ticket.sla_started_at,
        "firstResponseDueAt": ticket.first_response_due_at,
        "resolutionDueAt": ticket.resolution_due_at,
        "firstRespondedAt": ticket.first_responded_at,
        "resolvedAt": ticket.resolved_at,
        **extra,
    }


# Board filters look at these; their values before the change let a board see a ticket leave it.
_FILTERED_FIELDS = ("status", "priority", "assigneeId")


async def record(
    uow: UnitOfWork,
    ticket: Ticket,
    action: str,
    summary: str,
    event: str,
    *,
    changes: dict[str, Any] | None = None,
    internal: bool = False,
    escalated: bool | None = None,
    **extra: Any,
) -> None:
    """`internal`: the activity is about an INTERNAL comment or a note (hidden from API keys' timelines).
    `escalated`: whether the ticket has an escalation, when the caller knows (a ticket just opened has none)."""
    if escalated is None:
        escalated = bool(await repo.escalated_ticket_ids(uow.session, [ticket.id]))
    customer_name = await customers_repo.name_of(uow.session, ticket.customer_id)
    given = changes or {}
    previous = {k: given[k][0] for k in _FILTERED_FIELDS if isinstance(given.get(k), list)}
    if previous:
        extra.setdefault("previous", previous)
    uow.record(
        action=f"ticket.{action}",
        entity_type="Ticket",
        entity_id=ticket.id,
        summary=f"Ticket {ticket.number} {summary}",
        changes=changes,
        customer_id=ticket.customer_id,
        order_id=ticket.order_id,
        event=event,
        payload=event_payload(ticket, escalated=escalated, customer_name=customer_name, **extra),
        internal=internal,
    )


def mark_first_response(ticket: Ticket, uow: UnitOfWork) -> dict[str, Any]:
    """Stop the first-response clock if it still runs (acknowledgement or first customer reply)."""
    if ticket.first_responded_at is not None:
        return {}
    ticket.first_responded_at = uow.now
    return {"firstRespondedAt": [None, uow.now]}


def move(ticket: Ticket, action: str) -> dict[str, Any]:
    old, new = ticket.status, next_status(ticket.status, action)
    ticket.status = new
    return {"status": [old, new]} if old != new else {}
