"""What every state machine of the domain does with its ONE explicit table, and how it refuses a step.

Each machine (services/<d>_transitions.py, or the service when only it drives the machine) states its
table `(state, action) -> next state`; every step not in it is refused with INVALID_TRANSITION and
changes nothing. The refusal names the action and the state: "cannot hand off an order that is
CANCELLED", or the machine's hint where the state alone would not tell the caller what to do.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from db.repositories import rows
from services.errors import DomainError, ErrorCode
from services.i18n import T, text


@dataclass(frozen=True)
class StateMachine:
    what: str  # the thing that moves, as a refusal names it: "an order"
    input_field: str  # the input the refusal is about: "orderId"
    table: Mapping[tuple[str, str], str]
    # How a refusal names an action whose own name (underscores as spaces) does not read well.
    verbs: Mapping[str, str] = field(default_factory=dict)
    # Why a refused step is refused, where the state alone would not tell the caller what to do.
    hints: Mapping[tuple[str, str], str] = field(default_factory=dict)
    # Refusals also say in which states the action is allowed.
    names_allowed_states: bool = False

    def next(self, state: str, action: str) -> str:
        """The state `action` takes a thing in `state` to; refused unless the table has the step."""
        nxt = self.table.get((state, action))
        if nxt is None:
            raise self.refusal(state, action)
        return nxt

    def refusal(self, state: str, action: str) -> DomainError:
        # Every piece is a msgid of its own (services/i18n_catalogs.py collects them from the tables).
        hint = self.hints.get((state, action))
        if hint is not None:
            return DomainError(ErrorCode.INVALID_TRANSITION, text(hint), [self.input_field])
        verb, what = text(self.verb(action)), text(self.what)
        if self.names_allowed_states:
            allowed = ", ".join(sorted(s for s, a in self.table if a == action))
            message = T(
                "cannot {verb} {what} that is {state} (only when {allowed})",
                verb=verb,
                what=what,
                state=state,
                allowed=allowed,
            )
        else:
            message = T("cannot {verb} {what} that is {state}", verb=verb, what=what, state=state)
        return DomainError(ErrorCode.INVALID_TRANSITION, message, [self.input_field])

    def verb(self, action: str) -> str:
        """How a refusal names `action`: "hand off" for hand_off, unless `verbs` says otherwise."""
        return self.verbs.get(action, action.replace("_", " "))

    def messages(self) -> set[str]:
        """The msgids its refusals use (the catalogs must translate them all)."""
        return {self.what, *(self.verb(a) for _, a in self.table), *self.hints.values()}


def steps(action: str, *states: str, to: str | None = None) -> dict[tuple[str, str], str]:
    """The table's rows of `action` taken in any of `states`: each goes `to` that state, or keeps its own
    when `to` is None (an edit, an assignment, a comment)."""
    return {(state, action): to or state for state in states}


class _Stateful(Protocol):
    status: str
    updated_at: datetime


def enter(row: _Stateful, status: str, now: datetime) -> dict[str, Any]:
    """Put a versioned row in `status` (the next state its machine gave), changed at `now`; the change of
    status, for the audit row's `changes`."""
    previous, row.status = row.status, status
    rows.touch(row, now)
    return {"status": [previous, status]}
