"""Joint consultations (會診, after-sale 1): complex tickets escalated to service, marketing and
technical staff together, with notes from the participants and an agreed plan at the end.

The ticket's state machine (services/ticket_transitions.py) decides when each step is allowed; this module
adds the consultation's own rules.
"""

from __future__ import annotations

import uuid
from typing import Any

from db.models import Escalation, Ticket, TicketComment
from db.repositories import accounts as accounts_repo
from db.repositories import tickets as repo
from services import notifications
from services.access import Action, allowed
from services.errors import DomainError, ErrorCode, invalid
from services.rules.notifications import NotificationKind
from services.ticket_transitions import locked_ticket, move, record
from services.unit_of_work import UnitOfWork
from services.validation import Validator


def _escalation_payload(escalation: Escalation, participant_ids: list[uuid.UUID]) -> dict[str, Any]:
    return {"escalationId": escalation.id, "participantIds": sorted(str(u) for u in participant_ids)}


async def escalate(
    uow: UnitOfWork, ticket_id: uuid.UUID, reason: str, participant_ids: list[uuid.UUID], expected_version: int | None
) -> Ticket:
    """Open a consultation. Marketing must be at the table: at least one active MARKETING participant.
    The requester takes part too."""
    ticket = await locked_ticket(uow, ticket_id, expected_version)
    changes = move(ticket, "escalate")
    v = Validator()
    text = v.text(reason, "reason", "reason", required=True, max_len=5_000)
    wanted = list(dict.fromkeys(participant_ids))
    people = {u.id: u for u in await accounts_repo.users_by_ids(uow.session, wanted)}
    v.require(
        all(u in people and people[u].active for u in wanted),
        "every participant must be an active user",
        "participantIds",
    )
    v.require(
        any(p.active and p.department == "MARKETING" for p in people.values()),
        "a joint consultation needs at least one active member of the marketing department",
        "participantIds",
    )
    v.raise_if_any()
    if uow.actor_id is not None and uow.actor_id not in wanted:
        wanted.append(uow.actor_id)
    escalation = Escalation(
        id=uuid.uuid4(),
        ticket_id=ticket.id,
        reason=text,
        requested_by_id=uow.actor_id,
        requested_at=uow.now,
        status="OPEN",
    )
    await repo.add_escalation(uow.session, escalation, wanted)
    await repo.save(uow.session, ticket, uow.now)
    payload = _escalation_payload(escalation, wanted)
    await record(
        uow,
        ticket,
        "escalated",
        f"escalated to a joint consultation ({len(wanted)} participants)",
        "TICKET_ESCALATED",
        changes=changes | payload | {"reason": text},
        **payload,
    )
    await notifications.notify(
        uow,
        wanted,  # the requester is one of them, and is not told of their own request
        NotificationKind.CONSULTATION_INVITE,
        f"Joint consultation on ticket {ticket.number}: {text}",
        "Ticket",
        ticket.id,
    )
    return ticket


async def add_note(uow: UnitOfWork, ticket_id: uuid.UUID, body: str) -> Ticket:
    """Participants post in the consultation; supervisors and admins may post in any."""
    ticket = await locked_ticket(uow, ticket_id)  # serialises with closing the consultation
    move(ticket, "note")
    escalation = await repo.open_escalation(uow.session, ticket.id)
    assert escalation is not None, "an ESCALATED ticket has an open consultation"
    participants = await repo.participant_ids(uow.session, escalation.id)
    if uow.actor_id not in participants and not allowed(uow.actor, Action.CONSULTATION_ANY):
        raise DomainError(ErrorCode.FORBIDDEN, "only participants of the joint consultation may post in it")
    v = Validator()
    text = v.text(body, "note", "body", required=True, max_len=20_000)
    v.raise_if_any()
    note = TicketComment(
        id=uuid.uuid4(),
        ticket_id=ticket.id,
        escalation_id=escalation.id,
        author_id=uow.actor_id,
        body=text,
        visibility="INTERNAL",
        created_at=uow.now,
    )
    repo.add_comment(uow.session, note)
    payload = _escalation_payload(escalation, participants)
    # Notes are internal (never shown to API keys), and so is the timeline entry about one.
    await record(
        uow,
        ticket,
        "escalation_note",
        "consultation note added",
        "ESCALATION_UPDATED",
        changes={"noteId": note.id},
        internal=True,
        noteId=note.id,
        **payload,
    )
    return ticket


async def close_escalation(uow: UnitOfWork, ticket_id: uuid.UUID, plan: str, expected_version: int | None) -> Ticket:
    """The consultation agreed on a plan: the ticket goes back to work (IN_PROGRESS)."""
    ticket = await locked_ticket(uow, ticket_id, expected_version)
    changes = move(ticket, "close_escalation")
    v = Validator()
    text = v.text(plan, "plan", "plan", required=True, max_len=20_000)
    v.raise_if_any()
    escalation = await repo.open_escalation(uow.session, ticket.id, for_update=True)
    if escalation is None:  # pragma: no cover - ESCALATED always has one (see the transition table)
        raise invalid("the ticket has no open consultation", "ticketId")
    escalation.status, escalation.plan = "CLOSED", text
    escalation.closed_at, escalation.closed_by_id = uow.now, uow.actor_id
    await repo.save_escalation(uow.session, escalation)
    await repo.save(uow.session, ticket, uow.now)
    payload = _escalation_payload(escalation, await repo.participant_ids(uow.session, escalation.id))
    await record(
        uow,
        ticket,
        "escalation_closed",
        "consultation closed with a plan",
        "ESCALATION_CLOSED",
        changes=changes | {"escalationId": escalation.id, "plan": text},
        **payload,
    )
    return ticket
