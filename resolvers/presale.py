"""Pre-sale queries and mutations (opportunities), and sales targets."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import strawberry

from db.repositories import opportunities as opportunities_repo
from db.repositories import sales_targets as targets_repo
from resolvers.support import mutate
from schema.ids import decode_id, decode_optional_id
from schema.types.common import Connection, connection, query_id
from schema.types.presale import Opportunity, OpportunityStage, SalesTarget
from schema.types.presale_inputs import (
    AcknowledgeRegistrationInput,
    ConfirmRequirementsInput,
    CreateOpportunityInput,
    MarkLostInput,
    MarkWonInput,
    OpportunityActionInput,
    OpportunityPayload,
    RecordRequirementsInput,
    ReviewSolutionInput,
    SalesTargetPayload,
    SetSalesTargetInput,
    SubmitSolutionInput,
)
from services import opportunities as service
from services import sales_targets as targets_service
from services.opportunities import NewOpportunity, RequirementData, ReviewData
from services.unit_of_work import UnitOfWork


async def opportunities(
    info: strawberry.Info,
    first: int | None = None,
    after: str | None = None,
    stage: list[OpportunityStage] | None = None,
    customer_id: strawberry.ID | None = None,
) -> Connection[Opportunity]:
    """Opportunities, newest first."""
    stages = [s.value for s in stage or []]
    cid = query_id(customer_id, "Customer", "customerId")
    return await connection(
        info,
        lambda s, size: opportunities_repo.page(s, first=size, after=after, stages=stages, customer_id=cid),
        first,
        Opportunity.from_row,
    )


async def sales_targets(
    info: strawberry.Info,
    first: int | None = None,
    after: str | None = None,
    user_id: strawberry.ID | None = None,
    department_wide: bool = False,
) -> Connection[SalesTarget]:
    """Sales targets, latest period first: one person's (`userId`), the department-wide ones
    (`departmentWide`), or all."""
    uid = query_id(user_id, "User", "userId")
    return await connection(
        info,
        lambda s, size: targets_repo.page(s, first=size, after=after, user_id=uid, department_wide=department_wide),
        first,
        SalesTarget.from_row,
    )


def _requirements(items) -> list[RequirementData]:
    return [RequirementData(description=r.description, priority=r.priority) for r in items or []]


async def _opportunity(info: strawberry.Info, action: Callable[[UnitOfWork], Awaitable]) -> OpportunityPayload:
    opportunity, errors = await mutate(info, action)
    return OpportunityPayload(opportunity=Opportunity.from_row(opportunity) if opportunity else None, errors=errors)


def _id(input) -> tuple:
    return decode_id(input.opportunity_id, "Opportunity", "opportunityId"), input.expected_version


async def create_opportunity(info: strawberry.Info, input: CreateOpportunityInput) -> OpportunityPayload:
    async def action(uow):
        data = NewOpportunity(
            customer_id=decode_id(input.customer_id, "Customer", "customerId"),
            title=input.title,
            owner_id=decode_optional_id(input.owner_id, "User", "ownerId"),
            requirements=_requirements(input.requirements),
        )
        return await uow.idempotent(
            "createOpportunity",
            input.idempotency_key,
            data,
            create=lambda: service.create_opportunity(uow, data),
            load=lambda opportunity_id: opportunities_repo.get(uow.session, opportunity_id),
            result_id=lambda o: o.id,
        )

    return await _opportunity(info, action)


async def record_requirements(info: strawberry.Info, input: RecordRequirementsInput) -> OpportunityPayload:
    return await _opportunity(
        info, lambda uow: service.record_requirements(uow, *_id(input), _requirements(input.requirements))
    )


async def confirm_requirements(info: strawberry.Info, input: ConfirmRequirementsInput) -> OpportunityPayload:
    return await _opportunity(info, lambda uow: service.confirm_requirements(uow, *_id(input), input.confirmed_by))


async def submit_solution(info: strawberry.Info, input: SubmitSolutionInput) -> OpportunityPayload:
    return await _opportunity(info, lambda uow: service.submit_solution(uow, *_id(input), input.summary, input.details))


async def review_solution(info: strawberry.Info, input: ReviewSolutionInput) -> OpportunityPayload:
    review = ReviewData(
        decision=input.decision.value,
        technical_feasibility=input.technical_feasibility,
        serviceability=input.serviceability,
        comments=input.comments,
    )
    return await _opportunity(info, lambda uow: service.review_solution(uow, *_id(input), review))


async def register_project(info: strawberry.Info, input: OpportunityActionInput) -> OpportunityPayload:
    return await _opportunity(info, lambda uow: service.register_project(uow, *_id(input)))


async def acknowledge_registration(info: strawberry.Info, input: AcknowledgeRegistrationInput) -> OpportunityPayload:
    return await _opportunity(
        info,
        lambda uow: service.acknowledge_registration(
            uow, *_id(input), decode_id(input.service_lead_id, "User", "serviceLeadId"), input.preparation_notes
        ),
    )


async def mark_won(info: strawberry.Info, input: MarkWonInput) -> OpportunityPayload:
    return await _opportunity(
        info, lambda uow: service.mark_won(uow, *_id(input), decode_id(input.order_id, "Order", "orderId"))
    )


async def mark_lost(info: strawberry.Info, input: MarkLostInput) -> OpportunityPayload:
    return await _opportunity(info, lambda uow: service.mark_lost(uow, *_id(input), input.reason))


async def set_sales_target(info: strawberry.Info, input: SetSalesTargetInput) -> SalesTargetPayload:
    async def action(uow):
        data = targets_service.TargetData(
            period_start=input.period_start,
            period_end=input.period_end,
            amount=input.amount,
            department=input.department.value,
            user_id=decode_optional_id(input.user_id, "User", "userId"),
            expected_version=input.expected_version,
        )
        return await targets_service.set_sales_target(uow, data)

    target, errors = await mutate(info, action)
    return SalesTargetPayload(sales_target=SalesTarget.from_row(target) if target else None, errors=errors)
