"""Feedback (after-sale satisfaction): Feedback, the per-customer SatisfactionSummary, and the enum of
feedback."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

from db.models import Feedback as FeedbackRow
from db.repositories.feedback import Satisfaction
from schema.context import Info
from schema.loaders import load_one, load_required, node_resolver
from schema.types.accounts import User
from schema.types.customers import Customer, customer_field
from schema.types.orders import Order, order_field
from services.rules.feedback import FeedbackSource

# The tickets' types import this domain's (a cycle): strawberry.lazy at runtime.
if TYPE_CHECKING:
    from schema.types.tickets import Ticket

__all__ = ["Feedback", "FeedbackSource", "SatisfactionSummary"]


@strawberry.type
class Feedback(relay.Node):
    id: relay.NodeID[str]
    source: FeedbackSource
    score: int
    comment: str | None
    recorded_at: datetime
    _row: strawberry.Private[FeedbackRow]
    resolve_nodes = node_resolver(lambda loaders: loaders.feedback)  # node(id:)
    customer: Customer = customer_field()
    order: Order | None = order_field()

    @strawberry.field
    async def ticket(self, info: Info) -> Annotated[Ticket, strawberry.lazy("schema.types.tickets")] | None:
        from schema.types.tickets import Ticket

        return await load_one(info.context.loaders.tickets, self._row.ticket_id, Ticket.from_row)

    @strawberry.field
    async def recorded_by(self, info: Info) -> User:
        return await load_required(info.context.loaders.users, self._row.recorded_by_id, User.from_row)

    @classmethod
    def from_row(cls, row: FeedbackRow) -> Feedback:
        return cls(
            id=str(row.id),
            source=FeedbackSource(row.source),
            score=row.score,
            comment=row.comment,
            recorded_at=row.recorded_at,
            _row=row,
        )


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
