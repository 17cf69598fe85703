"""Pre-sale: Opportunity with its Requirements and Solution revisions (and their reviews), and the enums
of pre-sale."""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry
from strawberry import relay

from db.models.presale import Opportunity as OpportunityRow
from db.models.presale import Requirement as RequirementRow
from db.models.presale import Solution as SolutionRow
from schema.context import Info
from schema.ids import to_global_id
from schema.loaders import load_list, load_one, load_required, node_resolver
from schema.types.accounts import User
from schema.types.customers import Customer, customer_field
from schema.types.orders import Order
from services.rules.opportunities import OpportunityStage, ReviewDecision

__all__ = ["Opportunity", "OpportunityStage", "Requirement", "ReviewDecision", "Solution", "SolutionReview"]


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
    _reviewer_id: strawberry.Private[uuid.UUID]

    @strawberry.field
    async def reviewer(self, info: Info) -> User:
        return await load_required(info.context.loaders.users, self._reviewer_id, User.from_row)

    @classmethod
    def of(cls, row: SolutionRow) -> SolutionReview | None:
        """Null until service reviewed it (decision, time and reviewer are set together: CHECK review_complete)."""
        if row.decision is None or row.reviewed_at is None or row.reviewer_id is None:
            return None
        return cls(
            decision=ReviewDecision(row.decision),
            technical_feasibility=row.technical_feasibility,
            serviceability=row.serviceability,
            comments=row.comments,
            reviewed_at=row.reviewed_at,
            _reviewer_id=row.reviewer_id,
        )


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
    _row: strawberry.Private[SolutionRow]

    @strawberry.field
    async def submitted_by(self, info: Info) -> User:
        return await load_required(info.context.loaders.users, self._row.submitted_by_id, User.from_row)

    @classmethod
    def from_row(cls, row: SolutionRow) -> Solution:
        return cls(
            id=strawberry.ID(to_global_id("Solution", row.id)),
            version=row.revision,
            summary=row.summary,
            details=row.details,
            submitted_at=row.submitted_at,
            review_due_at=row.review_due_at,
            review=SolutionReview.of(row),
            _row=row,
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
    _row: strawberry.Private[OpportunityRow]
    resolve_nodes = node_resolver(lambda loaders: loaders.opportunities)  # node(id:)
    customer: Customer = customer_field()

    @strawberry.field
    async def owner(self, info: Info) -> User:
        return await load_required(info.context.loaders.users, self._row.owner_id, User.from_row)

    @strawberry.field
    async def service_lead(self, info: Info) -> User | None:
        return await load_one(info.context.loaders.users, self._row.service_lead_id, User.from_row)

    @strawberry.field
    async def registration_acknowledged_by(self, info: Info) -> User | None:
        return await load_one(info.context.loaders.users, self._row.registration_acknowledged_by_id, User.from_row)

    @strawberry.field
    async def order(self, info: Info) -> Order | None:
        return await load_one(info.context.loaders.orders, self._row.order_id, Order.from_row)

    @strawberry.field(description="The customer's needs, in the order they were recorded.")
    async def requirements(self, info: Info) -> list[Requirement]:
        return await load_list(info.context.loaders.requirements_by_opportunity, self._row.id, Requirement.from_row)

    @strawberry.field(description="Every revision, oldest first.")
    async def solutions(self, info: Info) -> list[Solution]:
        return await load_list(info.context.loaders.solutions_by_opportunity, self._row.id, Solution.from_row)

    @strawberry.field(description="The latest revision.")
    async def current_solution(self, info: Info) -> Solution | None:
        rows = await info.context.loaders.solutions_by_opportunity.load(self._row.id)
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
            _row=row,
        )
