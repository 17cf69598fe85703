"""Feedback's write side: the recordFeedback input and payload."""

from __future__ import annotations

import strawberry

from schema.types.common import UserError
from schema.types.feedback import Feedback, FeedbackSource


@strawberry.input
class RecordFeedbackInput:
    customer_id: strawberry.ID
    source: FeedbackSource
    score: int
    order_id: strawberry.ID | None = None
    ticket_id: strawberry.ID | None = None
    comment: str | None = None
    idempotency_key: str | None = None
    survey_id: strawberry.ID | None = strawberry.field(
        default=None, description="The survey this answers (source SURVEY; the customer must be one of its targets)."
    )


@strawberry.type
class FeedbackPayload:
    feedback: Feedback | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)
