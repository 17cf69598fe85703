"""Feedback queries and the recordFeedback mutation (after-sale satisfaction)."""

from __future__ import annotations

import strawberry

from db.repositories import feedback as feedback_repo
from resolvers.mutation_boundary import Answer, create_once
from resolvers.pages import page
from schema.context import Info
from schema.ids import decode_id, decode_optional_id
from schema.types.common import Connection, query_id
from schema.types.feedback import Feedback
from schema.types.feedback_inputs import FeedbackPayload, RecordFeedbackInput
from services import feedback as service
from services.feedback import NewFeedback


async def feedback(
    info: Info,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
    customer_id: strawberry.ID | None = None,
) -> Connection[Feedback]:
    """Feedback records, newest first."""
    cid = query_id(customer_id, "Customer", "customerId")
    return await page(info, feedback_repo.page, Feedback.from_row, first, after, last, before, customer_id=cid)


_feedback = Answer(FeedbackPayload, feedback=Feedback.from_row)


async def record_feedback(info: Info, input: RecordFeedbackInput) -> FeedbackPayload:
    def request() -> NewFeedback:
        return NewFeedback(
            customer_id=decode_id(input.customer_id, "Customer", "customerId"),
            source=input.source.value,
            score=input.score,
            comment=input.comment,
            order_id=decode_optional_id(input.order_id, "Order", "orderId"),
            ticket_id=decode_optional_id(input.ticket_id, "Ticket", "ticketId"),
            survey_id=decode_optional_id(input.survey_id, "Survey", "surveyId"),
        )

    action = create_once("recordFeedback", input.idempotency_key, request, service.record_feedback, feedback_repo.get)
    return await _feedback(info, action)
