"""Feedback queries and the recordFeedback mutation (after-sale satisfaction)."""

from __future__ import annotations

import strawberry

from db.models import Feedback as FeedbackRow
from db.repositories import feedback as feedback_repo
from resolvers.mutation_boundary import create_once, mutate
from schema.context import Info
from schema.ids import decode_id, decode_optional_id
from schema.types.common import Connection, connection, query_id
from schema.types.feedback import Feedback
from schema.types.feedback_inputs import FeedbackPayload, RecordFeedbackInput
from services import feedback as service
from services.feedback import NewFeedback
from services.unit_of_work import UnitOfWork


async def feedback(
    info: Info,
    first: int | None = None,
    after: str | None = None,
    customer_id: strawberry.ID | None = None,
) -> Connection[Feedback]:
    """Feedback records, newest first."""
    cid = query_id(customer_id, "Customer", "customerId")
    return await connection(
        info, lambda s, size: feedback_repo.page(s, first=size, after=after, customer_id=cid), first, Feedback.from_row
    )


async def record_feedback(info: Info, input: RecordFeedbackInput) -> FeedbackPayload:
    async def action(uow: UnitOfWork) -> FeedbackRow:
        data = NewFeedback(
            customer_id=decode_id(input.customer_id, "Customer", "customerId"),
            source=input.source.value,
            score=input.score,
            comment=input.comment,
            order_id=decode_optional_id(input.order_id, "Order", "orderId"),
            ticket_id=decode_optional_id(input.ticket_id, "Ticket", "ticketId"),
        )
        return await create_once(
            uow,
            "recordFeedback",
            input.idempotency_key,
            data,
            lambda: service.record_feedback(uow, data),
            feedback_repo.get,
        )

    row, errors = await mutate(info, action)
    return FeedbackPayload(feedback=Feedback.from_row(row) if row else None, errors=errors)
