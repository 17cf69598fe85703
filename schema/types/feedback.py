"""Feedback (satisfaction records) and the per-customer satisfaction summary, with their loaders,
input and payload."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from enum import Enum
from typing import Annotated

import strawberry
from strawberry import relay

from db.models import Feedback as FeedbackRow
from db.repositories import feedback as feedback_repo
from db.repositories.feedback import Satisfaction
from schema.loaders import Loaders
from schema.types.accounts import User
from schema.types.common import Connection, UserError, connection
from schema.types.customers import Customer
from schema.types.orders import Order


@Loaders.extend
def _loaders(loaders: Loaders) -> None:
    loaders.register("feedback", feedback_repo.by_ids, lambda r: str(r.id))
    loaders.register("satisfaction", feedback_repo.satisfaction_of, lambda r: str(r.customer_id))


@strawberry.enum
class FeedbackSource(Enum):
    RETURN_VISIT = "RETURN_VISIT"
    SURVEY = "SURVEY"
    TICKET = "TICKET"
    SERVICE_JOB = "SERVICE_JOB"
    OTHER = "OTHER"


@strawberry.type
class Feedback(relay.Node):
    id: relay.NodeID[str]
    source: FeedbackSource
    score: int
    comment: str | None
    recorded_at: datetime
    _customer_id: strawberry.Private[str]
    _order_id: strawberry.Private[str | None]
    _ticket_id: strawberry.Private[str | None]
    _recorded_by_id: strawberry.Private[str]

    @strawberry.field
    async def customer(self, info: strawberry.Info) -> Customer:
        return await info.context.loaders.load_optional("customer", self._customer_id, Customer.from_row)

    @strawberry.field
    async def order(self, info: strawberry.Info) -> Order | None:
        return await info.context.loaders.load_optional("order", self._order_id, Order.from_row)

    @strawberry.field
    async def ticket(self, info: strawberry.Info) -> Annotated[Ticket, strawberry.lazy("schema.types.tickets")] | None:
        from schema.types.tickets import Ticket  # the tickets part's type (it imports the order types)

        return await info.context.loaders.load_optional("ticket", self._ticket_id, Ticket.from_row)

    @strawberry.field
    async def recorded_by(self, info: strawberry.Info) -> User:
        return await info.context.loaders.load_optional("user", self._recorded_by_id, User.from_row)

    @classmethod
    def from_row(cls, row: FeedbackRow) -> Feedback:
        return cls(
            id=str(row.id),
            source=FeedbackSource(row.source),
            score=row.score,
            comment=row.comment,
            recorded_at=row.recorded_at,
            _customer_id=str(row.customer_id),
            _order_id=str(row.order_id) if row.order_id else None,
            _ticket_id=str(row.ticket_id) if row.ticket_id else None,
            _recorded_by_id=str(row.recorded_by_id),
        )

    @classmethod
    async def resolve_nodes(cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False):
        return await info.context.loaders.load_many("feedback", node_ids, cls.from_row)


@strawberry.type(description="A customer's feedback scores, all time.")
class SatisfactionSummary:
    count: int = strawberry.field(description="Number of feedback records.")
    mean_score: float | None = strawberry.field(description="Mean score (1–5); null without feedback.")
    satisfied_count: int = strawberry.field(description="Records scored 4 or 5.")
    satisfied_share: float | None = strawberry.field(description="Share (0–1) of records scored 4 or 5.")

    @classmethod
    def of(cls, row: Satisfaction | None) -> SatisfactionSummary:
        if row is None or row.count == 0:
            return cls(count=0, mean_score=None, satisfied_count=0, satisfied_share=None)
        return cls(
            count=row.count,
            mean_score=row.mean_score,
            satisfied_count=row.satisfied_count,
            satisfied_share=row.satisfied_count / row.count,
        )


@strawberry.input
class RecordFeedbackInput:
    customer_id: strawberry.ID
    source: FeedbackSource
    score: int
    order_id: strawberry.ID | None = None
    ticket_id: strawberry.ID | None = None
    comment: str | None = None
    idempotency_key: str | None = None


@strawberry.type
class FeedbackPayload:
    feedback: Feedback | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


async def customer_feedback(
    info: strawberry.Info, customer_id: str, first: int | None, after: str | None
) -> Connection[Feedback]:
    """`Customer.feedback` (called from schema/types/customers.py)."""
    cid = uuid.UUID(customer_id)
    return await connection(
        info, lambda s, size: feedback_repo.page(s, first=size, after=after, customer_id=cid), first, Feedback.from_row
    )


async def customer_satisfaction(info: strawberry.Info, customer_id: str) -> SatisfactionSummary:
    """`Customer.satisfaction` (called from schema/types/customers.py)."""
    return SatisfactionSummary.of(await info.context.loaders.row("satisfaction", customer_id))
