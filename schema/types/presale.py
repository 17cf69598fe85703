"""Opportunity, Requirement, Solution and SolutionReview (pre-sale), SalesTarget, with their loaders."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from enum import Enum

import strawberry
from strawberry import relay

from db.models.presale import Opportunity as OpportunityRow
from db.models.presale import Requirement as RequirementRow
from db.models.presale import SalesTarget as SalesTargetRow
from db.models.presale import Solution as SolutionRow
from db.repositories import opportunities as opportunities_repo
from db.repositories import sales_targets as targets_repo
from schema.ids import to_global_id
from schema.loaders import Loaders
from schema.types.accounts import User
from schema.types.customers import Customer
from schema.types.enums import Department
from schema.types.orders import Order


@Loaders.extend
def _loaders(loaders: Loaders) -> None:
    loaders.register("opportunity", opportunities_repo.by_ids, lambda r: str(r.id))
    loaders.register("sales_target", targets_repo.by_ids, lambda r: str(r.id))
    loaders.register_grouped(
        "requirements_of_opportunity", opportunities_repo.requirements_of, lambda r: str(r.opportunity_id)
    )
    loaders.register_grouped(
        "solutions_of_opportunity", opportunities_repo.solutions_of, lambda r: str(r.opportunity_id)
    )


@strawberry.enum
class OpportunityStage(Enum):
    REQUIREMENTS = "REQUIREMENTS"
    SOLUTION = "SOLUTION"
    REVIEW = "REVIEW"
    REGISTERED = "REGISTERED"
    WON = "WON"
    LOST = "LOST"


@strawberry.enum
class ReviewDecision(Enum):
    APPROVED = "APPROVED"
    CHANGES_REQUESTED = "CHANGES_REQUESTED"


def _str(value: uuid.UUID | None) -> str | None:
    return str(value) if value else None


async def _user(info: strawberry.Info, user_id: str | None) -> User | None:
    return await info.context.loaders.load_optional("user", user_id, User.from_row)


@strawberry.type
class Requirement:
    id: strawberry.ID
    description: str
    priority: str | None

    @classmethod
    def from_row(cls, row: RequirementRow) -> Requirement:
        return cls(
            id=strawberry.ID(to_global_id("Requirement", row.id)), description=row.description, priority=row.priority
        )


@strawberry.type
class SolutionReview:
    decision: ReviewDecision
    technical_feasibility: str | None
    serviceability: str | None
    comments: str | None
    reviewed_at: datetime
    _reviewer_id: strawberry.Private[str]

    @strawberry.field
    async def reviewer(self, info: strawberry.Info) -> User:
        return await _user(info, self._reviewer_id)


@strawberry.type
class Solution:
    id: strawberry.ID
    version: int = strawberry.field(description="The revision number n within its opportunity (1, 2, ...).")
    summary: str
    details: str | None
    submitted_at: datetime
    review_due_at: datetime = strawberry.field(
        description="When service must have reviewed it (24 h after submission)."
    )
    review: SolutionReview | None = strawberry.field(description="Null until service reviewed it.")
    _submitted_by_id: strawberry.Private[str]

    @strawberry.field
    async def submitted_by(self, info: strawberry.Info) -> User:
        return await _user(info, self._submitted_by_id)

    @classmethod
    def from_row(cls, row: SolutionRow) -> Solution:
        review = None
        if row.decision is not None:
            review = SolutionReview(
                decision=ReviewDecision(row.decision),
                technical_feasibility=row.technical_feasibility,
                serviceability=row.serviceability,
                comments=row.comments,
                reviewed_at=row.reviewed_at,
                _reviewer_id=str(row.reviewer_id),
            )
        return cls(
            id=strawberry.ID(to_global_id("Solution", row.id)),
            version=row.revision,
            summary=row.summary,
            details=row.details,
            submitted_at=row.submitted_at,
            review_due_at=row.review_due_at,
            review=review,
            _submitted_by_id=str(row.submitted_by_id),
        )


@strawberry.type
class Opportunity(relay.Node):
    id: relay.NodeID[str]
    title: str
    stage: OpportunityStage
    requirements_confirmed_at: datetime | None
    requirements_confirmed_by: str | None = strawberry.field(description="The customer's person who confirmed them.")
    solution_review_due_at: datetime | None = strawberry.field(
        description="When service must have reviewed the latest solution (24 h after its submission)."
    )
    registered_at: datetime | None
    registration_ack_due_at: datetime | None = strawberry.field(
        description="When service must have acknowledged the registration (24 h after it)."
    )
    registration_acknowledged_at: datetime | None
    preparation_notes: str | None
    lost_reason: str | None
    closed_at: datetime | None = strawberry.field(description="When it was won or lost.")
    created_at: datetime
    updated_at: datetime
    version: int
    _customer_id: strawberry.Private[str]
    _owner_id: strawberry.Private[str]
    _service_lead_id: strawberry.Private[str | None]
    _acknowledged_by_id: strawberry.Private[str | None]
    _order_id: strawberry.Private[str | None]

    @strawberry.field
    async def customer(self, info: strawberry.Info) -> Customer:
        return await info.context.loaders.load_optional("customer", self._customer_id, Customer.from_row)

    @strawberry.field
    async def owner(self, info: strawberry.Info) -> User:
        return await _user(info, self._owner_id)

    @strawberry.field
    async def service_lead(self, info: strawberry.Info) -> User | None:
        return await _user(info, self._service_lead_id)

    @strawberry.field
    async def registration_acknowledged_by(self, info: strawberry.Info) -> User | None:
        return await _user(info, self._acknowledged_by_id)

    @strawberry.field
    async def order(self, info: strawberry.Info) -> Order | None:
        return await info.context.loaders.load_optional("order", self._order_id, Order.from_row)

    @strawberry.field(description="The customer's needs, in the order they were recorded.")
    async def requirements(self, info: strawberry.Info) -> list[Requirement]:
        rows = await info.context.loaders.group("requirements_of_opportunity", self.id)
        return [Requirement.from_row(r) for r in rows]

    @strawberry.field(description="Every revision, oldest first.")
    async def solutions(self, info: strawberry.Info) -> list[Solution]:
        return [Solution.from_row(r) for r in await info.context.loaders.group("solutions_of_opportunity", self.id)]

    @strawberry.field(description="The latest revision.")
    async def current_solution(self, info: strawberry.Info) -> Solution | None:
        rows = await info.context.loaders.group("solutions_of_opportunity", self.id)
        return Solution.from_row(rows[-1]) if rows else None

    @classmethod
    def from_row(cls, row: OpportunityRow) -> Opportunity:
        return cls(
            id=str(row.id),
            title=row.title,
            stage=OpportunityStage(row.stage),
            requirements_confirmed_at=row.requirements_confirmed_at,
            requirements_confirmed_by=row.requirements_confirmed_by,
            solution_review_due_at=row.solution_review_due_at,
            registered_at=row.registered_at,
            registration_ack_due_at=row.registration_ack_due_at,
            registration_acknowledged_at=row.registration_acknowledged_at,
            preparation_notes=row.preparation_notes,
            lost_reason=row.lost_reason,
            closed_at=row.closed_at,
            created_at=row.created_at,
            updated_at=row.updated_at,
            version=row.version,
            _customer_id=str(row.customer_id),
            _owner_id=str(row.owner_id),
            _service_lead_id=_str(row.service_lead_id),
            _acknowledged_by_id=_str(row.registration_acknowledged_by_id),
            _order_id=_str(row.order_id),
        )

    @classmethod
    async def resolve_nodes(cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False):
        return await info.context.loaders.load_many("opportunity", node_ids, cls.from_row)


@strawberry.type
class SalesTarget(relay.Node):
    id: relay.NodeID[str]
    department: Department
    period_start: date = strawberry.field(description="First day of the period.")
    period_end: date = strawberry.field(description="Last day of the period (inclusive).")
    amount: Decimal
    created_at: datetime
    updated_at: datetime
    version: int
    _user_id: strawberry.Private[str | None]

    @strawberry.field(description="The person the target is for; null for a department-wide target.")
    async def user(self, info: strawberry.Info) -> User | None:
        return await _user(info, self._user_id)

    @classmethod
    def from_row(cls, row: SalesTargetRow) -> SalesTarget:
        return cls(
            id=str(row.id),
            department=Department(row.department),
            period_start=row.period_start,
            period_end=row.period_end,
            amount=row.amount,
            created_at=row.created_at,
            updated_at=row.updated_at,
            version=row.version,
            _user_id=_str(row.user_id),
        )

    @classmethod
    async def resolve_nodes(cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False):
        return await info.context.loaders.load_many("sales_target", node_ids, cls.from_row)
