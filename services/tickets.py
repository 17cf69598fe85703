"""Tickets (after-sale 1): every change to a ticket outside its consultation.

The state machine is services/ticket_transitions.py. Every accepted change writes one activity row (on
the customer's and, when linked, the order's timeline) and exactly one event; a refused one raises a
DomainError and writes nothing. Joint consultations (escalate, notes, close) live in
services/escalations.py.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from db.models import Ticket, TicketComment
from db.repositories import accounts as accounts_repo
from db.repositories import customers as customers_repo
from db.repositories import tickets as repo
from services import notifications, sla
from services.errors import DomainError, ErrorCode, invalid, not_found
from services.linked_records import check_order_of, require_customer
from services.rules.notifications import NotificationKind
from services.rules.tickets import COMMENT_VISIBILITIES, TICKET_KINDS, TICKET_PRIORITIES
from services.ticket_transitions import locked_ticket, mark_first_response, move, record
from services.unit_of_work import UnitOfWork
from services.validation import Validator

# ----------------------------------------------------------------------------- opening


@dataclass
class NewTicket:
    customer_id: uuid.UUID
    kind: str
    priority: str
    subject: str
    description: str
    order_id: uuid.UUID | None = None


async def open_ticket(
    uow: UnitOfWork,
    data: NewTicket,
    *,
    service_job_id: uuid.UUID | None = None,
    notify_user_ids: list[uuid.UUID] | None = None,
    via: str = "",
) -> Ticket:
    v = Validator()
    subject = v.text(data.subject, "subject", "subject", required=True, max_len=200)
    description = v.text(data.description, "description", "description", required=True, max_len=20_000)
    v.require(data.kind in TICKET_KINDS, "unknown ticket kind", "kind")
    v.require(data.priority in TICKET_PRIORITIES, "unknown priority", "priority")
    v.raise_if_any()
    if uow.actor_id is None:
        raise DomainError(ErrorCode.FORBIDDEN, "tickets are opened by a person")
    await require_customer(uow, data.customer_id)
    await check_order_of(uow, data.customer_id, data.order_id)
    policy = await repo.sla_targets(uow.session, data.priority)
    assert policy is not None, "every priority has an SLA policy (seeded by migration 0003)"
    due = sla.due_times(uow.now, policy)
    ticket = Ticket(
        id=uuid.uuid4(),
        customer_id=data.customer_id,
        order_id=data.order_id,
        service_job_id=service_job_id,
        kind=data.kind,
        priority=data.priority,
        status="NEW",
        subject=subject,
        description=description,
        created_by_id=uow.actor_id,
        sla_started_at=uow.now,
        first_response_due_at=due.first_response,
        resolution_due_at=due.resolution,
    )
    await repo.add(uow.session, ticket, uow.now)
    extra: dict[str, Any] = {}
    if notify_user_ids is not None:
        extra["notifyUserIds"] = sorted(str(u) for u in notify_user_ids)
    if service_job_id is not None:
        extra["serviceJobId"] = service_job_id
    changes = {
        "kind": ticket.kind,
        "priority": ticket.priority,
        "firstResponseDueAt": due.first_response,
        "resolutionDueAt": due.resolution,
        **extra,
    }
    await record(
        uow, ticket, "opened", f"opened{via}: {subject}", "TICKET_OPENED", changes=changes, escalated=False, **extra
    )
    if notify_user_ids:  # a problem raised on someone's order (report_service_job_problem)
        await notifications.notify(
            uow,
            notify_user_ids,
            NotificationKind.PROBLEM_REPORTED,
            f"Problem reported{via}: {subject} (ticket {ticket.number})",
            "Ticket",
            ticket.id,
        )
    return ticket


async def report_service_job_problem(
    uow: UnitOfWork, job_id: uuid.UUID, *, subject: str, description: str, priority: str
) -> Ticket:
    """A technician raises a problem back to marketing (in-sale 2): a QUALITY_ISSUE ticket on the job's
    order and customer, announced to the order's marketing owner (the customer's, without an order)."""
    job = await repo.service_job(uow.session, job_id)
    if job is None:
        raise not_found("service job", "serviceJobId")
    owner_id = None
    if job.order_id is not None:
        order = await repo.order(uow.session, job.order_id)
        owner_id = order.owner_id if order else None
    else:
        customer = await customers_repo.get(uow.session, job.customer_id)
        owner_id = customer.owner_id if customer else None
    data = NewTicket(
        customer_id=job.customer_id,
        order_id=job.order_id,
        kind="QUALITY_ISSUE",
        priority=priority,
        subject=subject,
        description=description,
    )
    return await open_ticket(
        uow,
        data,
        service_job_id=job.id,
        notify_user_ids=[owner_id] if owner_id else [],
        via=f" from service job {job.number}",
    )


# ----------------------------------------------------------------------------- handling


async def acknowledge(uow: UnitOfWork, ticket_id: uuid.UUID, expected_version: int | None) -> Ticket:
    ticket = await locked_ticket(uow, ticket_id, expected_version)
    changes = move(ticket, "acknowledge") | mark_first_response(ticket, uow)
    await repo.save(uow.session, ticket, uow.now)
    await record(uow, ticket, "acknowledged", "acknowledged", "TICKET_UPDATED", changes=changes)
    return ticket


async def assign(uow: UnitOfWork, ticket_id: uuid.UUID, assignee_id: uuid.UUID, expected_version: int | None) -> Ticket:
    ticket = await locked_ticket(uow, ticket_id, expected_version)
    move(ticket, "assign")
    assignee = await accounts_repo.user_by_id(uow.session, assignee_id)
    if assignee is None or not assignee.active or assignee.department != "SERVICE":
        raise invalid("tickets are assigned to an active member of the service department", "assigneeId")
    if ticket.assignee_id == assignee.id:
        return ticket  # nothing changes, nothing to record
    changes = {"assigneeId": [ticket.assignee_id, assignee.id]}
    ticket.assignee_id = assignee.id
    await repo.save(uow.session, ticket, uow.now)
    await record(uow, ticket, "assigned", f"assigned to {assignee.name}", "TICKET_UPDATED", changes=changes)
    await notifications.notify(
        uow,
        [assignee.id],
        NotificationKind.ASSIGNED,
        f"Ticket {ticket.number} assigned to you: {ticket.subject}",
        "Ticket",
        ticket.id,
    )
    return ticket


async def start_work(uow: UnitOfWork, ticket_id: uuid.UUID, expected_version: int | None) -> Ticket:
    ticket = await locked_ticket(uow, ticket_id, expected_version)
    changes = move(ticket, "start")
    await repo.save(uow.session, ticket, uow.now)
    await record(uow, ticket, "started", "in progress", "TICKET_UPDATED", changes=changes)
    return ticket


async def add_comment(uow: UnitOfWork, ticket_id: uuid.UUID, body: str, visibility: str) -> Ticket:
    ticket = await locked_ticket(uow, ticket_id)
    move(ticket, "comment")
    v = Validator()
    text = v.text(body, "comment", "body", required=True, max_len=20_000)
    v.require(visibility in COMMENT_VISIBILITIES, "unknown visibility", "visibility")
    v.raise_if_any()
    comment = TicketComment(
        id=uuid.uuid4(),
        ticket_id=ticket.id,
        author_id=uow.actor_id,
        body=text,
        visibility=visibility,
        created_at=uow.now,
    )
    repo.add_comment(uow.session, comment)
    changes: dict[str, Any] = {"commentId": comment.id, "visibility": visibility}
    if visibility == "CUSTOMER":
        changes |= mark_first_response(ticket, uow)
    await repo.save(uow.session, ticket, uow.now)
    # The body stays out of the trail and the event: timelines are readable by API keys, who see the
    # entry for a customer-visible reply but not the one for an internal comment.
    label = "customer-visible reply" if visibility == "CUSTOMER" else "internal comment"
    await record(
        uow,
        ticket,
        "commented",
        f"{label} added",
        "TICKET_UPDATED",
        changes=changes,
        internal=visibility == "INTERNAL",
        commentId=comment.id,
        visibility=visibility,
    )
    return ticket


async def change_priority(uow: UnitOfWork, ticket_id: uuid.UUID, priority: str, expected_version: int | None) -> Ticket:
    """Re-targets both due times from the ticket's original SLA start under the new priority's policy."""
    ticket = await locked_ticket(uow, ticket_id, expected_version)
    move(ticket, "change_priority")
    if priority not in TICKET_PRIORITIES:
        raise invalid("unknown priority", "priority")
    if priority == ticket.priority:
        return ticket
    policy = await repo.sla_targets(uow.session, priority)
    assert policy is not None
    due = sla.due_times(ticket.sla_started_at, policy)
    previous = ticket.priority
    changes: dict[str, Any] = {
        "priority": [ticket.priority, priority],
        "firstResponseDueAt": [ticket.first_response_due_at, due.first_response],
        "resolutionDueAt": [ticket.resolution_due_at, due.resolution],
    }
    ticket.priority = priority
    ticket.first_response_due_at, ticket.resolution_due_at = due.first_response, due.resolution
    await repo.save(uow.session, ticket, uow.now)
    await record(
        uow,
        ticket,
        "priority_changed",
        f"priority {previous} → {priority}",
        "TICKET_UPDATED",
        changes=changes,
    )
    return ticket


# ----------------------------------------------------------------------------- resolution


async def resolve(
    uow: UnitOfWork, ticket_id: uuid.UUID, root_cause: str, summary: str, expected_version: int | None
) -> Ticket:
    ticket = await locked_ticket(uow, ticket_id, expected_version)
    was = ticket.status
    changes = move(ticket, "resolve")
    v = Validator()
    text = v.text(summary, "resolution summary", "resolutionSummary", required=True, max_len=20_000)
    category = await repo.root_cause(uow.session, (root_cause or "").strip())
    v.require(category is not None and category.active, "rootCause must be an active root-cause category", "rootCause")
    v.raise_if_any()
    assert category is not None  # required above
    ticket.root_cause_code, ticket.resolution_summary, ticket.resolved_at = category.code, text, uow.now
    changes |= {"rootCause": category.code, "resolvedAt": uow.now}
    extra: dict[str, Any] = {}
    if was == "ESCALATED":  # resolving in the consultation closes it, with the resolution as its outcome
        escalation = await repo.open_escalation(uow.session, ticket.id, for_update=True)
        assert escalation is not None, "an ESCALATED ticket has an open consultation"
        escalation.status, escalation.closed_at, escalation.closed_by_id = "CLOSED", uow.now, uow.actor_id
        escalation.plan = escalation.plan or text
        await repo.save_escalation(uow.session, escalation)
        extra = {
            "escalationId": escalation.id,
            "participantIds": sorted(str(u) for u in await repo.participant_ids(uow.session, escalation.id)),
        }
        changes["escalationClosed"] = escalation.id
    await repo.save(uow.session, ticket, uow.now)
    await record(uow, ticket, "resolved", f"resolved ({category.label})", "TICKET_RESOLVED", changes=changes, **extra)
    return ticket


async def close(uow: UnitOfWork, ticket_id: uuid.UUID, expected_version: int | None) -> Ticket:
    ticket = await locked_ticket(uow, ticket_id, expected_version)
    changes = move(ticket, "close")
    ticket.closed_at = uow.now
    await repo.save(uow.session, ticket, uow.now)
    await record(uow, ticket, "closed", "closed", "TICKET_CLOSED", changes=changes)
    return ticket


async def reopen(uow: UnitOfWork, ticket_id: uuid.UUID, expected_version: int | None) -> Ticket:
    """The resolution is withdrawn (kept in the trail): the resolution clock runs again towards its
    original due time, and the ticket must be resolved again, with a root cause again."""
    ticket = await locked_ticket(uow, ticket_id, expected_version)
    changes = move(ticket, "reopen") | {
        "resolvedAt": [ticket.resolved_at, None],
        "closedAt": [ticket.closed_at, None],
        "rootCause": [ticket.root_cause_code, None],
        "resolutionSummary": [ticket.resolution_summary, None],
    }
    ticket.resolved_at = ticket.closed_at = ticket.root_cause_code = ticket.resolution_summary = None
    await repo.save(uow.session, ticket, uow.now)
    await record(uow, ticket, "reopened", "reopened", "TICKET_UPDATED", changes=changes)
    return ticket
