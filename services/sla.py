"""SLA (DOMAIN.md § SLA): every window of the SLA table, tickets' due times, the state of each clock.

The windows are named constants, so the SLA watcher and the KPIs read the same numbers as the services
that start the clocks. A due time is computed once, when its clock starts, and stored on the row: a
later change of these numbers (or of a priority's SLA policy) does not rewrite history.

Every clock rule exists twice, side by side: a pure Python function (for an object in hand) and a
SQLAlchemy expression builder (for filtering in the database). `now` is always a parameter taken
from the business clock and bound into the SQL, never the database's `now()`, so both agree on the
same rows at the same instant; tests/services/test_sla.py sweeps random rows to prove it.

A clock runs from `start` to `due` and stops at `done_at`:
- MET       done by the due time (done_at <= due);
- BREACHED  done late, or not done and now > due;
- AT_RISK   not done and now >= start + 80 % of the window;
- ON_TRACK  otherwise.
The first-response clock stops at the first acknowledgement or customer-visible comment; the
resolution clock at the resolution. A ticket's overall state is BREACHED if either clock is,
else AT_RISK if either is, else MET if both are, else ON_TRACK.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from sqlalchemy import DateTime, case, func, literal, or_
from sqlalchemy.sql.elements import ColumnElement

from db.models import Ticket

# "order handed off — service confirms or returns — within 24 h" (`orders.confirmation_due_at`)
CONFIRMATION_WINDOW = timedelta(hours=24)
# "solution submitted — service reviews — within 24 h" (`solutions.review_due_at`)
SOLUTION_REVIEW = timedelta(hours=24)
# "project registered — service acknowledges with preparation — within 24 h" (`opportunities.registration_ack_due_at`)
REGISTRATION_ACKNOWLEDGEMENT = timedelta(hours=24)
# "joint consultation open — a customer-visible progress update — every 24 h"
CONSULTATION_UPDATE = timedelta(hours=24)
# Tickets' first-response and resolution windows depend on the priority: the `sla_policies` rows.


class SlaState(StrEnum):
    ON_TRACK = "ON_TRACK"
    AT_RISK = "AT_RISK"
    BREACHED = "BREACHED"
    MET = "MET"


# 80 % as an exact ratio: `elapsed * 5 >= window * 4` is integer arithmetic on microseconds in Python
# (timedelta) and exact decimal arithmetic in PostgreSQL (numeric seconds of the interval), so the two
# can never disagree by a rounding.
AT_RISK_NUMERATOR = 4
AT_RISK_DENOMINATOR = 5

# An action item's due date (DOMAIN.md part 2) is announced like an SLA clock: "due within 24 h" as its
# AT_RISK, overdue as its BREACHED. The watcher sees it as a clock whose window's 80 % point falls
# exactly ACTION_ITEM_DUE_SOON before the due time (a window of 5 × 24 h ending at the due time), so
# one state rule serves every clock.
ACTION_ITEM_DUE_SOON = timedelta(hours=24)
ACTION_ITEM_WINDOW = ACTION_ITEM_DUE_SOON * AT_RISK_DENOMINATOR / (AT_RISK_DENOMINATOR - AT_RISK_NUMERATOR)


class Targets(Protocol):
    """What a clock's due times are computed from (an SlaPolicy row, or its targets alone)."""

    @property
    def first_response_minutes(self) -> int: ...
    @property
    def resolution_minutes(self) -> int: ...


@dataclass(frozen=True)
class DueTimes:
    first_response: datetime
    resolution: datetime


def due_times(start: datetime, policy: Targets) -> DueTimes:
    """Due times of a clock started at `start` under `policy` (fixed on the ticket from then on)."""
    return DueTimes(
        start + timedelta(minutes=policy.first_response_minutes), start + timedelta(minutes=policy.resolution_minutes)
    )


# ----------------------------------------------------------------------------- one clock


def clock_state(start: datetime, due: datetime, done_at: datetime | None, now: datetime) -> SlaState:
    if done_at is not None:
        return SlaState.MET if done_at <= due else SlaState.BREACHED
    if now > due:
        return SlaState.BREACHED
    if (now - start) * AT_RISK_DENOMINATOR >= (due - start) * AT_RISK_NUMERATOR:
        return SlaState.AT_RISK
    return SlaState.ON_TRACK


def _seconds(interval: Any) -> ColumnElement[Any]:
    return func.extract("epoch", interval)  # numeric (exact to the microsecond) since PostgreSQL 14


def clock_state_sql(start: Any, due: Any, done_at: Any, now: datetime) -> ColumnElement[str]:
    at = literal(now, type_=DateTime(timezone=True))
    elapsed, window = _seconds(at - start), _seconds(due - start)
    return case(
        (done_at.is_not(None), case((done_at <= due, SlaState.MET.value), else_=SlaState.BREACHED.value)),
        (at > due, SlaState.BREACHED.value),
        (elapsed * AT_RISK_DENOMINATOR >= window * AT_RISK_NUMERATOR, SlaState.AT_RISK.value),
        else_=SlaState.ON_TRACK.value,
    )


# ----------------------------------------------------------------------------- first response


def first_response_state(ticket: Ticket, now: datetime) -> SlaState:
    return clock_state(ticket.sla_started_at, ticket.first_response_due_at, ticket.first_responded_at, now)


def first_response_state_sql(now: datetime) -> ColumnElement[str]:
    return clock_state_sql(Ticket.sla_started_at, Ticket.first_response_due_at, Ticket.first_responded_at, now)


# ----------------------------------------------------------------------------- resolution


def resolution_state(ticket: Ticket, now: datetime) -> SlaState:
    return clock_state(ticket.sla_started_at, ticket.resolution_due_at, ticket.resolved_at, now)


def resolution_state_sql(now: datetime) -> ColumnElement[str]:
    return clock_state_sql(Ticket.sla_started_at, Ticket.resolution_due_at, Ticket.resolved_at, now)


# ----------------------------------------------------------------------------- the ticket overall


def combined_state(first: SlaState, second: SlaState) -> SlaState:
    states = {first, second}
    if SlaState.BREACHED in states:
        return SlaState.BREACHED
    if SlaState.AT_RISK in states:
        return SlaState.AT_RISK
    if states == {SlaState.MET}:
        return SlaState.MET
    return SlaState.ON_TRACK


def combined_state_sql(first: ColumnElement[str], second: ColumnElement[str]) -> ColumnElement[str]:
    def either(state: SlaState) -> ColumnElement[bool]:
        return or_(first == state.value, second == state.value)

    return case(
        (either(SlaState.BREACHED), SlaState.BREACHED.value),
        (either(SlaState.AT_RISK), SlaState.AT_RISK.value),
        ((first == SlaState.MET.value) & (second == SlaState.MET.value), SlaState.MET.value),
        else_=SlaState.ON_TRACK.value,
    )


def ticket_state(ticket: Ticket, now: datetime) -> SlaState:
    return combined_state(first_response_state(ticket, now), resolution_state(ticket, now))


def ticket_state_sql(now: datetime) -> ColumnElement[str]:
    return combined_state_sql(first_response_state_sql(now), resolution_state_sql(now))


def breached_sql(now: datetime) -> ColumnElement[bool]:
    """`ticket_state_sql(now) == 'BREACHED'`, cheaply: a clock is breached when it stopped after its due
    time or, still running, is past it (clock_state), and the ticket is when either clock is. The reports
    evaluate it on every ticket of a year, where the nested CASEs cost a third of the statement."""
    at = literal(now, type_=DateTime(timezone=True))
    return or_(
        func.coalesce(Ticket.first_responded_at, at) > Ticket.first_response_due_at,
        func.coalesce(Ticket.resolved_at, at) > Ticket.resolution_due_at,
    )


def ticket_state_is(state: str, now: datetime) -> ColumnElement[bool]:
    """The `TicketFilter.slaState` predicate."""
    return ticket_state_sql(now) == SlaState(state).value
