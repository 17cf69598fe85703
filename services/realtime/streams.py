"""Which logged events each subscription stream carries: pure predicates over the event payloads,
evaluated once per event per subscriber in the hub (no database access on the fan-out path)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services import sla
from services.realtime.event_types import ESCALATION_TYPES, HANDOFF_TYPES, PERSONAL_TYPES, SLA_TYPES, TICKET_TYPES
from services.realtime.hub import LoggedEvent, Match


def handoffs(event: LoggedEvent) -> bool:
    return event.type in HANDOFF_TYPES


def escalations(event: LoggedEvent) -> bool:
    return event.type in ESCALATION_TYPES


def sla_alerts(event: LoggedEvent) -> bool:
    return event.type in SLA_TYPES


def of_types(types: frozenset[str] | None) -> Match:
    """`events(types:)`: every shared event of the types (all when None); never a personal one."""
    shared = types - PERSONAL_TYPES if types else None
    if shared is None:
        return lambda event: event.type not in PERSONAL_TYPES
    return lambda event: event.type in shared


def personal(user_id: str) -> Match:
    """`myNotifications`: the personal events of one person (their `userId`), nobody else's."""
    return lambda event: event.type in PERSONAL_TYPES and str(event.payload.get("userId")) == user_id


@dataclass(frozen=True)
class BoardFilter:
    """The TicketFilter of a live board, with ids as plain strings."""

    statuses: frozenset[str] = frozenset()
    kinds: frozenset[str] = frozenset()
    priorities: frozenset[str] = frozenset()
    assignee_id: str | None = None
    customer_id: str | None = None
    escalated: bool | None = None
    sla_state: str | None = None
    search: str | None = None  # lower case: matched against the ticket's number, subject and customer name
    created_from: datetime | None = None  # the periods are half-open, [from, to)
    created_to: datetime | None = None
    resolved_from: datetime | None = None
    resolved_to: datetime | None = None
    root_cause: str | None = None


def board(f: BoardFilter) -> Match:
    """Ticket events whose ticket matches the filter after the change, or matched it before (so a board
    sees a ticket leave it), plus SLA alerts about such tickets."""

    def match(event: LoggedEvent) -> bool:
        p = event.payload
        if event.type not in TICKET_TYPES and not (event.type in SLA_TYPES and p.get("ticketId")):
            return False
        if _fits(f, p, event.occurred_at):
            return True
        previous = p.get("previous")
        if not previous:
            return False
        return _fits(f, {**p, **previous}, event.occurred_at)

    return match


def _fits(f: BoardFilter, p: dict[str, Any], at: datetime) -> bool:
    if f.statuses and p.get("status") not in f.statuses:
        return False
    if f.kinds and p.get("kind") not in f.kinds:
        return False
    if f.priorities and p.get("priority") not in f.priorities:
        return False
    if f.assignee_id is not None and str(p.get("assigneeId")) != f.assignee_id:
        return False
    if f.customer_id is not None and str(p.get("customerId")) != f.customer_id:
        return False
    if f.escalated is not None and bool(p.get("escalated")) != f.escalated:
        return False
    if f.search and not _mentions(p, f.search):
        return False
    if f.root_cause is not None and p.get("rootCauseCode") != f.root_cause:
        return False
    if not _within(_when(p.get("createdAt")), f.created_from, f.created_to):
        return False
    if not _within(_when(p.get("resolvedAt")), f.resolved_from, f.resolved_to):
        return False
    return not (f.sla_state and _sla_state(p, at) != f.sla_state)


def _mentions(p: dict[str, Any], term: str) -> bool:
    """The tickets list's search (db/repositories/tickets.py `filtered`): a substring of the number, the
    subject or the customer's name, any case. Each field on its own, so a term never matches across two."""
    return any(term in str(p.get(key) or "").lower() for key in ("number", "subject", "customerName"))


def _within(value: datetime | None, start: datetime | None, end: datetime | None) -> bool:
    """Whether `value` is in [start, end) (no bound: any; a bound and no value: not in it)."""
    if start is None and end is None:
        return True
    if value is None:
        return False
    return (start is None or value >= start) and (end is None or value < end)


def _sla_state(p: dict[str, Any], at: datetime) -> str | None:
    """The ticket's overall SLA state as of the event, by the same rules as queries use."""
    started, first_due, resolution_due = (
        _when(p.get(k)) for k in ("slaStartedAt", "firstResponseDueAt", "resolutionDueAt")
    )
    if started is None or first_due is None or resolution_due is None:
        return None
    first = sla.clock_state(started, first_due, _when(p.get("firstRespondedAt")), at)
    resolution = sla.clock_state(started, resolution_due, _when(p.get("resolvedAt")), at)
    return sla.combined_state(first, resolution).value  # = sla.ticket_state, from the payload's clocks


def _when(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else value
