"""Pre-sale: requirement communication, solution drafting and review, project registration (DOMAIN.md).

The opportunity's life is ONE explicit table (services/opportunity_transitions.py); every step not in it
is refused with INVALID_TRANSITION and changes nothing. The few rules a stage alone cannot express (an approved
solution before registration, an acknowledged registration before WON, ...) are checked right after the
table, in the step that needs them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from db.models.presale import Opportunity, Requirement, Solution
from db.repositories import opportunities as repo
from db.repositories import rows
from services import i18n, sla
from services.errors import DomainError, ErrorCode
from services.i18n import T
from services.linked_records import active_user, existing_customer
from services.opportunity_transitions import (
    move,
    next_stage,
    opportunity_for,
    opportunity_to_change,
    refuse,
    solution_payload,
    subject,
    touch,
)
from services.order_transitions import locked_order
from services.unit_of_work import UnitOfWork
from services.validation import Validator, checked_text

MAX_REQUIREMENTS = 100


@dataclass
class RequirementData:
    description: str | None
    priority: str | None = None


@dataclass
class NewOpportunity:
    customer_id: uuid.UUID
    title: str | None
    owner_id: uuid.UUID | None = None
    requirements: list[RequirementData] = field(default_factory=list)


@dataclass
class ReviewData:
    decision: str
    technical_feasibility: str | None = None
    serviceability: str | None = None
    comments: str | None = None


def _check_requirements(v: Validator, items: list[RequirementData], *path: str) -> list[dict[str, Any]]:
    """The Requirement columns of each item, checked."""
    v.require(len(items) <= MAX_REQUIREMENTS, T("at most {n} requirements", n=MAX_REQUIREMENTS), *path)
    return [
        {
            "position": i + 1,
            "description": v.text(
                r.description, "requirement description", *path, str(i), "description", required=True, max_len=4000
            ),
            "priority": v.text(r.priority, "requirement priority", *path, str(i), "priority", max_len=50),
        }
        for i, r in enumerate(items)
    ]


async def _requirement_rows(uow: UnitOfWork, opportunity_id: uuid.UUID, checked: list[dict[str, Any]]) -> None:
    requirements = [Requirement(id=uuid.uuid4(), opportunity_id=opportunity_id, **values) for values in checked]
    await repo.replace_requirements(uow.session, opportunity_id, requirements)


async def create_opportunity(uow: UnitOfWork, data: NewOpportunity) -> Opportunity:
    v = Validator()
    title = v.text(data.title, "title", "title", required=True)
    requirements = _check_requirements(v, data.requirements, "requirements")
    v.raise_if_any()
    customer = await existing_customer(uow, data.customer_id)
    if data.owner_id is not None:
        await active_user(uow, data.owner_id, "owner", "ownerId", "MARKETING")
    owner_id = data.owner_id or uow.actor_id
    assert owner_id is not None  # only people may create (Action.SALES)
    opportunity = Opportunity(
        id=uuid.uuid4(),
        title=title,
        customer_id=customer.id,
        owner_id=owner_id,
        stage="REQUIREMENTS",
    )
    await repo.add(uow.session, opportunity, uow.now)
    await _requirement_rows(uow, opportunity.id, requirements)
    uow.record_about(
        subject(opportunity),
        "opportunity.created",
        f"Opportunity {title!r} created for {customer.name}",
        "OPPORTUNITY_CREATED",
        changes={"requirements": len(requirements)},
    )
    return opportunity


async def record_requirements(
    uow: UnitOfWork, opportunity_id: uuid.UUID, expected_version: int | None, items: list[RequirementData]
) -> Opportunity:
    """Replace the whole list (it is only editable before the customer confirmed it)."""
    opportunity, _ = await opportunity_for(uow, opportunity_id, expected_version, "record_requirements")
    v = Validator()
    checked = _check_requirements(v, items, "requirements")
    v.raise_if_any()
    old = [(r.description, r.priority) for r in await repo.requirements_of(uow.session, [opportunity.id])]
    new = [(r["description"], r["priority"]) for r in checked]
    if old == new:
        return opportunity  # nothing changed: no new version, no audit row
    await _requirement_rows(uow, opportunity.id, checked)
    touch(uow, opportunity)
    uow.record_about(
        subject(opportunity),
        "opportunity.requirements_recorded",
        f"Requirements of {opportunity.title!r} recorded ({len(new)})",
        "OPPORTUNITY_UPDATED",
        changes={"requirements": [len(old), len(new)]},
        payload={"fields": ["requirements"]},
    )
    return opportunity


async def confirm_requirements(
    uow: UnitOfWork, opportunity_id: uuid.UUID, expected_version: int | None, confirmed_by: str | None
) -> Opportunity:
    opportunity, stage = await opportunity_for(uow, opportunity_id, expected_version, "confirm_requirements")
    who = checked_text(confirmed_by, "the customer's person who confirmed", "confirmedBy", required=True)
    if not await repo.requirements_of(uow.session, [opportunity.id]):
        raise DomainError(ErrorCode.VALIDATION, "record at least one requirement before confirming", ["requirements"])
    previous = move(uow, opportunity, stage)
    opportunity.requirements_confirmed_at = uow.now
    opportunity.requirements_confirmed_by = who
    uow.record_about(
        subject(opportunity),
        "opportunity.requirements_confirmed",
        f"Requirements of {opportunity.title!r} confirmed by {who}",
        "OPPORTUNITY_UPDATED",
        changes={"stage": [previous, stage], "confirmedBy": who},
        payload={"fields": ["stage", "requirementsConfirmedAt", "requirementsConfirmedBy"]},
    )
    return opportunity


async def submit_solution(
    uow: UnitOfWork, opportunity_id: uuid.UUID, expected_version: int | None, summary: str | None, details: str | None
) -> Opportunity:
    opportunity, stage = await opportunity_for(uow, opportunity_id, expected_version, "submit_solution")
    v = Validator()
    clean_summary = v.text(summary, "summary", "summary", required=True, max_len=2000)
    clean_details = v.text(details, "details", "details", max_len=20000)
    v.raise_if_any()
    assert opportunity.requirements_confirmed_at is not None  # the table only reaches SOLUTION through it
    assert uow.actor_id is not None
    due = uow.now + sla.SOLUTION_REVIEW
    solution = Solution(
        id=uuid.uuid4(),
        opportunity_id=opportunity.id,
        revision=await repo.next_revision(uow.session, opportunity.id),
        summary=clean_summary,
        details=clean_details,
        submitted_by_id=uow.actor_id,
        submitted_at=uow.now,
        review_due_at=due,
    )
    await repo.add_solution(uow.session, solution, uow.now)
    previous = move(uow, opportunity, stage)
    opportunity.solution_review_due_at = due
    uow.record_about(
        subject(opportunity),
        "solution.submitted",
        f"Solution v{solution.revision} of {opportunity.title!r} submitted for review",
        "SOLUTION_SUBMITTED",
        changes={"stage": [previous, stage], "solution": solution.revision},
        payload={**solution_payload(solution), "reviewDueAt": due},
    )
    return opportunity


async def review_solution(
    uow: UnitOfWork, opportunity_id: uuid.UUID, expected_version: int | None, review: ReviewData
) -> Opportunity:
    """Service reviews the latest solution: approve it, or request changes (back to SOLUTION)."""
    opportunity = await opportunity_to_change(uow, opportunity_id, expected_version)
    action = {"APPROVED": "approve_solution", "CHANGES_REQUESTED": "request_changes"}.get(review.decision)
    if action is None:
        raise DomainError(ErrorCode.VALIDATION, "decision must be APPROVED or CHANGES_REQUESTED", ["decision"])
    stage = next_stage(opportunity.stage, action)
    solution = await repo.latest_solution(uow.session, opportunity.id)
    assert solution is not None  # REVIEW is only reached by submitting one
    if solution.decision is not None:
        raise refuse(
            T(
                "solution v{revision} was already reviewed ({decision})",
                revision=solution.revision,
                decision=solution.decision,
            )
        )
    v = Validator()
    values = {
        attr: v.text(getattr(review, attr), label, name, max_len=4000)
        for attr, label, name in (
            ("technical_feasibility", "technical feasibility", "technicalFeasibility"),
            ("serviceability", "serviceability", "serviceability"),
            ("comments", "comments", "comments"),
        )
    }
    v.require(
        review.decision == "APPROVED" or values["comments"] is not None,
        "say which changes are needed (comments)",
        "comments",
    )
    v.raise_if_any()
    for attr, value in values.items():
        setattr(solution, attr, value)
    solution.decision = review.decision
    solution.reviewer_id = uow.actor_id
    solution.reviewed_at = uow.now
    rows.touch(solution, uow.now)
    previous = move(uow, opportunity, stage)
    on_time = uow.now <= solution.review_due_at
    uow.record_about(
        subject(opportunity),
        "solution.reviewed",
        f"Solution v{solution.revision} of {opportunity.title!r} reviewed: {review.decision}",
        "SOLUTION_REVIEWED",
        changes={"stage": [previous, stage], "decision": review.decision, "solution": solution.revision},
        payload={**solution_payload(solution), "decision": review.decision, "onTime": on_time},
    )
    return opportunity


async def register_project(uow: UnitOfWork, opportunity_id: uuid.UUID, expected_version: int | None) -> Opportunity:
    opportunity, stage = await opportunity_for(uow, opportunity_id, expected_version, "register")
    solution = await repo.latest_solution(uow.session, opportunity.id)
    if solution is None or solution.decision != "APPROVED":
        raise refuse("registration needs an approved solution")
    previous = move(uow, opportunity, stage)
    opportunity.registered_at = uow.now
    opportunity.registration_ack_due_at = uow.now + sla.REGISTRATION_ACKNOWLEDGEMENT
    uow.record_about(
        subject(opportunity),
        "opportunity.registered",
        f"Project {opportunity.title!r} registered with service (solution v{solution.revision})",
        "PROJECT_REGISTERED",
        changes={"stage": [previous, stage], "solution": solution.revision},
        payload={"solutionId": solution.id, "acknowledgementDueAt": opportunity.registration_ack_due_at},
    )
    return opportunity


@dataclass
class Preparation:
    """What service prepared for a registered project: who (service users), with which tools and materials."""

    staff_ids: list[uuid.UUID] = field(default_factory=list)
    tools: list[str] = field(default_factory=list)
    materials: list[str] = field(default_factory=list)


MAX_PREPARATION_ITEMS = 50


def _items(v: Validator, values: list[str], label: str, name: str) -> list[str]:
    """Trimmed, each at most 200 characters, duplicates dropped (first kept), at most MAX_PREPARATION_ITEMS."""
    v.require(
        len(values) <= MAX_PREPARATION_ITEMS,
        T("at most {n} {items}", n=MAX_PREPARATION_ITEMS, items=i18n.text(label)),
        name,
    )
    cleaned: list[str] = []
    for i, value in enumerate(values[:MAX_PREPARATION_ITEMS]):
        item = v.text(value, label, name, str(i), required=True)
        if item is not None and item not in cleaned:
            cleaned.append(item)
    return cleaned


async def acknowledge_registration(
    uow: UnitOfWork,
    opportunity_id: uuid.UUID,
    expected_version: int | None,
    service_lead_id: uuid.UUID,
    preparation_notes: str | None,
    preparation: Preparation | None = None,
) -> Opportunity:
    opportunity, stage = await opportunity_for(uow, opportunity_id, expected_version, "acknowledge_registration")
    if opportunity.registration_acknowledged_at is not None:
        raise refuse("the registration was already acknowledged")
    prepared = preparation or Preparation()
    v = Validator()
    notes = v.text(preparation_notes, "preparation notes", "preparationNotes", max_len=4000)
    tools = _items(v, prepared.tools, "preparation tools", "preparationTools")
    materials = _items(v, prepared.materials, "preparation materials", "preparationMaterials")
    staff = list(dict.fromkeys(prepared.staff_ids))
    v.require(
        len(staff) <= MAX_PREPARATION_ITEMS, T("at most {n} staff", n=MAX_PREPARATION_ITEMS), "preparationStaffIds"
    )
    v.require(
        bool(notes or tools or materials or staff),
        "say what was prepared: staff, tools, materials or notes",
        "preparationNotes",
    )
    v.raise_if_any()
    await active_user(uow, service_lead_id, "the service lead", "serviceLeadId", "SERVICE")
    for person in staff:
        await active_user(uow, person, "preparation staff", "preparationStaffIds", "SERVICE")
    move(uow, opportunity, stage)
    opportunity.registration_acknowledged_at = uow.now
    opportunity.registration_acknowledged_by_id = uow.actor_id
    opportunity.service_lead_id = service_lead_id
    opportunity.preparation_notes = notes
    opportunity.preparation_staff_ids = staff
    opportunity.preparation_tools = tools
    opportunity.preparation_materials = materials
    on_time = opportunity.registration_ack_due_at is None or uow.now <= opportunity.registration_ack_due_at
    uow.record_about(
        subject(opportunity),
        "opportunity.registration_acknowledged",
        f"Registration of {opportunity.title!r} acknowledged by service",
        "REGISTRATION_ACKNOWLEDGED",
        changes={
            "serviceLeadId": service_lead_id,
            "preparationStaffIds": [[], staff],
            "preparationTools": [[], tools],
            "preparationMaterials": [[], materials],
        },
        payload={"serviceLeadId": service_lead_id, "onTime": on_time},
    )
    return opportunity


async def mark_won(
    uow: UnitOfWork, opportunity_id: uuid.UUID, expected_version: int | None, order_id: uuid.UUID
) -> Opportunity:
    """WON links the signed order (the same customer's); the order points back at the opportunity."""
    opportunity, stage = await opportunity_for(uow, opportunity_id, expected_version, "win")
    if opportunity.registration_acknowledged_at is None:
        raise refuse("service has not acknowledged the registration yet")
    order = await locked_order(uow, order_id, "orderId")
    problem = None
    if order.customer_id != opportunity.customer_id:
        problem = T("the order belongs to another customer")
    elif order.status == "CANCELLED":
        problem = T("the order is cancelled")
    elif order.opportunity_id not in (None, opportunity.id):
        problem = T("the order belongs to another opportunity")
    if problem:
        raise DomainError(ErrorCode.VALIDATION, problem, ["orderId"])
    if order.opportunity_id is None:
        order.opportunity_id = opportunity.id
        rows.touch(order, uow.now)
    previous = move(uow, opportunity, stage)
    opportunity.order_id = order.id
    opportunity.closed_at = uow.now
    uow.record_about(
        subject(opportunity, order_id=order.id),
        "opportunity.won",
        f"Opportunity {opportunity.title!r} won: order {order.number}",
        "OPPORTUNITY_WON",
        changes={"stage": [previous, stage], "order": order.number},
        payload={"orderNumber": order.number},
    )
    return opportunity


async def mark_lost(
    uow: UnitOfWork, opportunity_id: uuid.UUID, expected_version: int | None, reason: str | None
) -> Opportunity:
    opportunity, stage = await opportunity_for(uow, opportunity_id, expected_version, "lose")
    clean = checked_text(reason, "a reason", "reason", required=True, max_len=4000)
    previous = move(uow, opportunity, stage)
    opportunity.lost_reason = clean
    opportunity.closed_at = uow.now
    uow.record_about(
        subject(opportunity),
        "opportunity.lost",
        f"Opportunity {opportunity.title!r} lost: {clean}",
        "OPPORTUNITY_LOST",
        changes={"stage": [previous, stage], "reason": clean},
        payload={"reason": clean},
    )
    return opportunity
