"""Feedback (after-sale satisfaction): Feedback, the per-customer SatisfactionSummary, and the enum of
feedback."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

from db.models import Feedback as FeedbackRow
from db.repositories.feedback import Satisfaction
from schema.loaders import node_resolver
from schema.types.accounts import User
from schema.types.common import FromRow, lazy_type, required, to_one
from schema.types.customers import Customer
from schema.types.orders import Order
from services.rules.feedback import FeedbackSource

# The tickets' types import this domain's (a cycle): strawberry.lazy at runtime.
if TYPE_CHECKING:
    from schema.types.surveys import Survey
    from schema.types.tickets import Ticket

__all__ = ["Feedback", "FeedbackSource", "SatisfactionSummary"]


@strawberry.type
class Feedback(relay.Node, FromRow[FeedbackRow]):
    id: relay.NodeID[str]
    source: FeedbackSource
    score: int
    comment: str | None
    recorded_at: datetime
    customer: Customer = required("customers", "customer_id", lambda: Customer)
    order: Order | None = to_one("orders", "order_id", lambda: Order)
    ticket: Annotated[Ticket, strawberry.lazy("schema.types.tickets")] | None = to_one(
        "tickets", "ticket_id", lazy_type("schema.types.tickets", "Ticket")
    )
    recorded_by: User = required("users", "recorded_by_id", lambda: User)
    survey: Annotated[Survey, strawberry.lazy("schema.types.surveys")] | None = to_one(
        "surveys", "survey_id", lazy_type("schema.types.surveys", "Survey"), description="The survey this answers."
    )
    _row: strawberry.Private[FeedbackRow]
    resolve_nodes = node_resolver(lambda loaders: loaders.feedback)  # node(id:)


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
