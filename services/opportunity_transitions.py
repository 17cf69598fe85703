"""The opportunity's state machine (pre-sale): ONE explicit table, and how an opportunity changes under it.

Every step not in `TRANSITIONS` is refused with INVALID_TRANSITION and changes nothing; the steps are
in services/opportunities.py.
"""

from __future__ import annotations

import uuid
from typing import Any

from db.models.presale import Opportunity, Solution
from db.repositories import opportunities as repo
from db.repositories import rows
from services.errors import DomainError, ErrorCode, check_version, not_found
from services.rules.opportunities import OPPORTUNITY_OPEN_STAGES
from services.state_machine import StateMachine, steps
from services.unit_of_work import Subject, UnitOfWork

# (current stage, action) -> next stage. Nothing else is allowed. The stages and actions are
# services/rules/opportunities.py's; `steps` writes an action taken in several stages, or keeping the stage.
TRANSITIONS: dict[tuple[str, str], str] = {
    **steps("record_requirements", "REQUIREMENTS"),
    ("REQUIREMENTS", "confirm_requirements"): "SOLUTION",  # the customer confirmed: drafting may start
    ("SOLUTION", "submit_solution"): "REVIEW",  # service reviews within sla.SOLUTION_REVIEW
    **steps("approve_solution", "REVIEW"),  # approved: waits for marketing to register the project
    ("REVIEW", "request_changes"): "SOLUTION",  # the next solution is revision n+1
    ("REVIEW", "register"): "REGISTERED",  # only with the latest solution approved
    **steps("acknowledge_registration", "REGISTERED"),  # once, with the service lead and preparation
    ("REGISTERED", "win"): "WON",  # only once service acknowledged the registration
    **steps("lose", *OPPORTUNITY_OPEN_STAGES, to="LOST"),
}

# How a refusal names an action (where its own name does not read well).
_VERBS = {
    "record_requirements": "record requirements of",
    "confirm_requirements": "confirm the requirements of",
    "submit_solution": "submit a solution for",
    "approve_solution": "review the solution of",
    "request_changes": "review the solution of",
    "acknowledge_registration": "acknowledge the registration of",
    "win": "mark as won",
    "lose": "mark as lost",
}
# Why a refused step is refused, where the stage alone would not tell the caller what to do.
_HINTS = {
    ("REQUIREMENTS", "submit_solution"): "the customer must confirm the requirements before a solution is submitted",
    ("REVIEW", "submit_solution"): "the current solution is with service for review",
    ("REQUIREMENTS", "register"): "registration needs an approved solution",
    ("SOLUTION", "register"): "registration needs an approved solution",
    ("SOLUTION", "confirm_requirements"): "the requirements are already confirmed",
}
OPPORTUNITIES = StateMachine("an opportunity", "opportunityId", TRANSITIONS, _VERBS, _HINTS)
next_stage = OPPORTUNITIES.next


def refuse(message: str) -> DomainError:
    return DomainError(ErrorCode.INVALID_TRANSITION, message, ["opportunityId"])


async def opportunity_to_change(
    uow: UnitOfWork, opportunity_id: uuid.UUID, expected_version: int | None
) -> Opportunity:
    """The opportunity, locked, at the version the caller saw."""
    opportunity = await repo.get(uow.session, opportunity_id, for_update=True)
    if opportunity is None:
        raise not_found("opportunity", "opportunityId")
    check_version("opportunity", expected_version, opportunity.version)
    return opportunity


async def opportunity_for(
    uow: UnitOfWork, opportunity_id: uuid.UUID, expected_version: int | None, action: str
) -> tuple[Opportunity, str]:
    """The opportunity, locked, at the version the caller saw, and the stage `action` takes it to
    (refused unless the table allows the step, before any input of the step is looked at)."""
    opportunity = await opportunity_to_change(uow, opportunity_id, expected_version)
    return opportunity, next_stage(opportunity.stage, action)


def touch(uow: UnitOfWork, opportunity: Opportunity) -> None:
    rows.touch(opportunity, uow.now)  # the version moves even when only requirements changed


def move(uow: UnitOfWork, opportunity: Opportunity, stage: str) -> str:
    """Put the opportunity in `stage` (from `next_stage`); the stage it was in."""
    previous, opportunity.stage = opportunity.stage, stage
    touch(uow, opportunity)
    return previous


def subject(opportunity: Opportunity, order_id: uuid.UUID | None = None) -> Subject:
    """What the activity rows and events about an opportunity name: it, its customer (and the order it
    was won with), its stage and title."""
    return Subject(
        "Opportunity",
        opportunity.id,
        opportunity.customer_id,
        order_id,
        {"stage": opportunity.stage, "title": opportunity.title},
    )


def solution_payload(solution: Solution) -> dict[str, Any]:
    """What every event about a solution carries of it: its id and its revision (the API's
    `Solution.version`)."""
    return {"solutionId": solution.id, "solutionVersion": solution.revision}
