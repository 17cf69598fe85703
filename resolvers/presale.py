"""Pre-sale queries and mutations (opportunities: requirements, solutions, registration, won/lost)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Protocol

import strawberry

from db.repositories import opportunities as opportunities_repo
from resolvers.mutation_boundary import Answer, create_once
from resolvers.pages import page
from schema.context import Info
from schema.ids import decode_id, decode_optional_id
from schema.types.common import Connection, query_id
from schema.types.presale import Opportunity, OpportunityStage
from schema.types.presale_inputs import (
    AcknowledgeRegistrationInput,
    ConfirmRequirementsInput,
    CreateOpportunityInput,
    MarkLostInput,
    MarkWonInput,
    OpportunityActionInput,
    OpportunityPayload,
    RecordRequirementsInput,
    RequirementInput,
    ReviewSolutionInput,
    SubmitSolutionInput,
)
from services import opportunities as service
from services.opportunities import NewOpportunity, Preparation, RequirementData, ReviewData


async def opportunities(
    info: Info,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
    stage: list[OpportunityStage] | None = None,
    customer_id: strawberry.ID | None = None,
) -> Connection[Opportunity]:
    """Opportunities, newest first."""
    stages = [s.value for s in stage or []]
    cid = query_id(customer_id, "Customer", "customerId")
    return await page(
        info, opportunities_repo.page, Opportunity.from_row, first, after, last, before, stages=stages, customer_id=cid
    )


def _requirements(items: Iterable[RequirementInput] | None) -> list[RequirementData]:
    return [RequirementData(description=r.description, priority=r.priority) for r in items or []]


_opportunity = Answer(OpportunityPayload, opportunity=Opportunity.from_row)


class _AboutAnOpportunity(Protocol):
    @property
    def opportunity_id(self) -> str: ...
    @property
    def expected_version(self) -> int | None: ...


def _id(input: _AboutAnOpportunity) -> tuple[uuid.UUID, int | None]:
    return decode_id(input.opportunity_id, "Opportunity", "opportunityId"), input.expected_version


async def create_opportunity(info: Info, input: CreateOpportunityInput) -> OpportunityPayload:
    def request() -> NewOpportunity:
        return NewOpportunity(
            customer_id=decode_id(input.customer_id, "Customer", "customerId"),
            title=input.title,
            owner_id=decode_optional_id(input.owner_id, "User", "ownerId"),
            requirements=_requirements(input.requirements),
        )

    action = create_once(
        "createOpportunity", input.idempotency_key, request, service.create_opportunity, opportunities_repo.get
    )
    return await _opportunity(info, action)


async def record_requirements(info: Info, input: RecordRequirementsInput) -> OpportunityPayload:
    return await _opportunity(
        info, lambda uow: service.record_requirements(uow, *_id(input), _requirements(input.requirements))
    )


async def confirm_requirements(info: Info, input: ConfirmRequirementsInput) -> OpportunityPayload:
    return await _opportunity(info, lambda uow: service.confirm_requirements(uow, *_id(input), input.confirmed_by))


async def submit_solution(info: Info, input: SubmitSolutionInput) -> OpportunityPayload:
    return await _opportunity(info, lambda uow: service.submit_solution(uow, *_id(input), input.summary, input.details))


async def review_solution(info: Info, input: ReviewSolutionInput) -> OpportunityPayload:
    review = ReviewData(
        decision=input.decision.value,
        technical_feasibility=input.technical_feasibility,
        serviceability=input.serviceability,
        comments=input.comments,
    )
    return await _opportunity(info, lambda uow: service.review_solution(uow, *_id(input), review))


async def register_project(info: Info, input: OpportunityActionInput) -> OpportunityPayload:
    return await _opportunity(info, lambda uow: service.register_project(uow, *_id(input)))


async def acknowledge_registration(info: Info, input: AcknowledgeRegistrationInput) -> OpportunityPayload:
    def preparation() -> Preparation:
        return Preparation(
            staff_ids=[decode_id(raw, "User", "preparationStaffIds") for raw in input.preparation_staff_ids or []],
            tools=list(input.preparation_tools or []),
            materials=list(input.preparation_materials or []),
        )

    return await _opportunity(
        info,
        lambda uow: service.acknowledge_registration(
            uow,
            *_id(input),
            decode_id(input.service_lead_id, "User", "serviceLeadId"),
            input.preparation_notes,
            preparation(),
        ),
    )


async def mark_won(info: Info, input: MarkWonInput) -> OpportunityPayload:
    return await _opportunity(
        info, lambda uow: service.mark_won(uow, *_id(input), decode_id(input.order_id, "Order", "orderId"))
    )


async def mark_lost(info: Info, input: MarkLostInput) -> OpportunityPayload:
    return await _opportunity(info, lambda uow: service.mark_lost(uow, *_id(input), input.reason))
