"""Pre-sale: Opportunity with its Requirements and Solution revisions (and their reviews), and the enums
of pre-sale."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry import relay

from db.models.presale import Opportunity as OpportunityRow
from db.models.presale import Requirement as RequirementRow
from db.models.presale import Solution as SolutionRow
from db.repositories import activity as activity_repo
from schema.context import Info
from schema.loaders import node_resolver
from schema.types.accounts import User
from schema.types.comments import CommentConnection, comments_of
from schema.types.common import Connection, FromRow, from_columns, required, to_many, to_one, visible_page
from schema.types.customers import Activity, Customer
from schema.types.orders import Order
from services.rules.opportunities import OpportunityStage, ReviewDecision

__all__ = ["Opportunity", "OpportunityStage", "Requirement", "ReviewDecision", "Solution", "SolutionReview"]


@strawberry.type
class Requirement(FromRow[RequirementRow]):
    id: strawberry.ID
    description: str
    priority: str | None


@strawberry.type
class SolutionReview:
    decision: ReviewDecision
    technical_feasibility: str | None
    serviceability: str | None
    comments: str | None
    reviewed_at: datetime
    reviewer: User = required("users", "reviewer_id", lambda: User)
    _row: strawberry.Private[SolutionRow]

    @classmethod
    def of(cls, row: SolutionRow) -> SolutionReview | None:
        """Null until service reviewed it (decision, time and reviewer are set together: CHECK review_complete)."""
        if row.decision is None or row.reviewed_at is None or row.reviewer_id is None:
            return None
        return from_columns(cls, row)


@strawberry.type
class Solution(FromRow[SolutionRow]):
    id: strawberry.ID
    version: int = strawberry.field(description="The revision number n within its opportunity (1, 2, ...).")
    summary: str
    details: str | None
    submitted_at: datetime
    review_due_at: datetime = strawberry.field(
        description="When service must have reviewed it (24 h after submission)."
    )
    review: SolutionReview | None = strawberry.field(description="Null until service reviewed it.")
    submitted_by: User = required("users", "submitted_by_id", lambda: User)
    _row: strawberry.Private[SolutionRow]

    @classmethod
    def from_row(cls, row: SolutionRow) -> Solution:
        return from_columns(cls, row, version=row.revision, review=SolutionReview.of(row))


@strawberry.type
class Opportunity(relay.Node, FromRow[OpportunityRow]):
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
    customer: Customer = required("customers", "customer_id", lambda: Customer)
    owner: User = required("users", "owner_id", lambda: User)
    service_lead: User | None = to_one("users", "service_lead_id", lambda: User)
    registration_acknowledged_by: User | None = to_one("users", "registration_acknowledged_by_id", lambda: User)
    order: Order | None = to_one("orders", "order_id", lambda: Order)
    requirements: list[Requirement] = to_many(
        "requirements_by_opportunity",
        lambda: Requirement,
        description="The customer's needs, in the order they were recorded.",
    )
    solutions: list[Solution] = to_many(
        "solutions_by_opportunity", lambda: Solution, description="Every revision, oldest first."
    )
    comments: CommentConnection = comments_of("Opportunity")  # service's technical advice among them
    timeline: Connection[Activity] = visible_page(
        lambda: activity_repo.opportunity_timeline,
        lambda: Activity,
        description="What happened to this opportunity, oldest first.",
    )
    preparation_tools: list[str] = strawberry.field(description="Tools service prepared (acknowledgement).")
    preparation_materials: list[str] = strawberry.field(description="Materials service prepared (acknowledgement).")
    _row: strawberry.Private[OpportunityRow]
    resolve_nodes = node_resolver(lambda loaders: loaders.opportunities)  # node(id:)

    @strawberry.field(description="The service staff prepared for the project (acknowledgement).")
    async def preparation_staff(self, info: Info) -> list[User]:
        rows = await info.context.loaders.users.load_many(self._row.preparation_staff_ids)
        return [User.from_row(row) for row in rows if row is not None]

    @strawberry.field(description="The latest revision.")
    async def current_solution(self, info: Info) -> Solution | None:
        rows = await info.context.loaders.solutions_by_opportunity.load(self._row.id)
        return Solution.from_row(rows[-1]) if rows else None
