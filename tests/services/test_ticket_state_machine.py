"""The ticket state machine: every (status, action) pair, through the services on a real database.

The expected table is written out by hand from DOMAIN.md (and the issue's rules for the actions that
keep the status), not derived from `services.ticket_transitions.TRANSITIONS`: allowed pairs must succeed with the
right next status and exactly one activity row and one event; every other pair must be refused with
INVALID_TRANSITION and leave the ticket and every related table exactly as they were.
"""

from __future__ import annotations

import pytest

from db.models.tickets import TICKET_STATUSES
from services.errors import DomainError, ErrorCode
from services.ticket_transitions import ACTIONS, TRANSITIONS
from tests.support.tickets import cast, counts, events_of, step, ticket_in, ticket_row

OPEN = ["NEW", "ACKNOWLEDGED", "IN_PROGRESS", "ESCALATED", "REOPENED"]

EXPECTED: dict[tuple[str, str], str] = {
    # DOMAIN.md: NEW → ACKNOWLEDGED → IN_PROGRESS → RESOLVED → CLOSED
    ("NEW", "acknowledge"): "ACKNOWLEDGED",
    ("ACKNOWLEDGED", "start"): "IN_PROGRESS",
    ("IN_PROGRESS", "resolve"): "RESOLVED",
    ("RESOLVED", "close"): "CLOSED",
    # ESCALATED from ACKNOWLEDGED / IN_PROGRESS, back to IN_PROGRESS (closeEscalation) or to RESOLVED
    ("ACKNOWLEDGED", "escalate"): "ESCALATED",
    ("IN_PROGRESS", "escalate"): "ESCALATED",
    ("ESCALATED", "close_escalation"): "IN_PROGRESS",
    ("ESCALATED", "resolve"): "RESOLVED",
    ("ESCALATED", "note"): "ESCALATED",  # notes exist only in an open consultation
    # REOPENED from RESOLVED / CLOSED, then on like ACKNOWLEDGED (and may be resolved directly)
    ("RESOLVED", "reopen"): "REOPENED",
    ("CLOSED", "reopen"): "REOPENED",
    ("REOPENED", "start"): "IN_PROGRESS",
    ("REOPENED", "escalate"): "ESCALATED",
    ("REOPENED", "resolve"): "RESOLVED",
    # Actions that keep the status: assign and re-prioritise open tickets; comment unless CLOSED.
    **{(s, "assign"): s for s in OPEN},
    **{(s, "change_priority"): s for s in OPEN},
    **{(s, "comment"): s for s in [*OPEN, "RESOLVED"]},
}

EVENT_OF = {
    "acknowledge": "TICKET_UPDATED",
    "assign": "TICKET_UPDATED",
    "start": "TICKET_UPDATED",
    "comment": "TICKET_UPDATED",
    "change_priority": "TICKET_UPDATED",
    "reopen": "TICKET_UPDATED",
    "escalate": "TICKET_ESCALATED",
    "note": "ESCALATION_UPDATED",
    "close_escalation": "ESCALATION_CLOSED",
    "resolve": "TICKET_RESOLVED",
    "close": "TICKET_CLOSED",
}


def test_the_table_in_the_code_is_the_one_of_the_spec():
    assert set(ACTIONS) == set(EVENT_OF)
    assert TRANSITIONS == EXPECTED


async def check_pair(c, status: str, action: str) -> None:
    services = c.services
    ticket = await ticket_in(c, status)
    before_row, before_counts = await ticket_row(services, ticket.id), await counts(services)
    before_events = [e.type for e in await events_of(services, ticket.id)]
    services.clock.advance(minutes=5)
    if (status, action) in EXPECTED:
        after = await step(c, ticket.id, action)
        assert after.status == EXPECTED[(status, action)]
        assert (await ticket_row(services, ticket.id))["status"] == EXPECTED[(status, action)]
        events = [e.type for e in await events_of(services, ticket.id)]
        assert events == [*before_events, EVENT_OF[action]]
        now = await counts(services)
        assert now["activity"] == before_counts["activity"] + 1
        assert now["events"] == before_counts["events"] + 1
    else:
        with pytest.raises(DomainError) as refused:
            await step(c, ticket.id, action)
        assert refused.value.code is ErrorCode.INVALID_TRANSITION, refused.value.message
        assert refused.value.field == ["ticketId"]
        assert status in refused.value.message
        assert await ticket_row(services, ticket.id) == before_row
        assert await counts(services) == before_counts
        assert [e.type for e in await events_of(services, ticket.id)] == before_events


@pytest.mark.parametrize("status", TICKET_STATUSES)
async def test_every_action_in_every_status(status, services):
    """One fresh ticket in `status` per action (11 actions × 7 statuses in all)."""
    c = await cast(services)
    failures = []
    for action in sorted(EVENT_OF):
        try:
            await check_pair(c, status, action)
        except AssertionError as exc:
            failures.append(f"{status} × {action}: {exc}")
    assert failures == []
