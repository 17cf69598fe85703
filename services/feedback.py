"""After-sale 3 — satisfaction: feedback records (return visits, surveys, post-ticket ratings), 1–5 scores.

An answer to a survey is feedback with its `survey_id`: it must have the source SURVEY (a surveyId with
another source is refused rather than silently re-labelled: the caller meant something else), and the
survey must be OPEN and the customer one of its targets that has not answered yet (services/surveys.py).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from db.models import Feedback
from db.repositories import feedback as feedback_repo
from services import action_items, surveys
from services.i18n import T
from services.linked_records import check_order_of, check_ticket_of, existing_customer
from services.rules.action_items import LOW_FEEDBACK_SCORE
from services.rules.feedback import FEEDBACK_SOURCES, MAX_SCORE, MIN_SCORE
from services.unit_of_work import UnitOfWork
from services.validation import Validator


@dataclass
class NewFeedback:
    customer_id: uuid.UUID
    source: str
    score: int
    order_id: uuid.UUID | None = None
    ticket_id: uuid.UUID | None = None
    comment: str | None = None
    survey_id: uuid.UUID | None = None


async def record_feedback(uow: UnitOfWork, data: NewFeedback) -> Feedback:
    v = Validator()
    v.require(
        isinstance(data.score, int) and MIN_SCORE <= data.score <= MAX_SCORE,
        T("score must be between {low} and {high}", low=MIN_SCORE, high=MAX_SCORE),
        "score",
    )
    v.require(data.source in FEEDBACK_SOURCES, "unknown feedback source", "source")
    v.require(
        data.survey_id is None or data.source == "SURVEY", "an answer to a survey must have the source SURVEY", "source"
    )
    comment = v.text(data.comment, "comment", "comment", max_len=4000)
    v.raise_if_any()
    customer = await existing_customer(uow, data.customer_id)
    await check_order_of(uow, customer.id, data.order_id)
    await check_ticket_of(uow, customer.id, data.ticket_id)
    if data.survey_id is not None:
        await surveys.check_answer(uow, data.survey_id, customer.id)
    assert uow.actor_id is not None
    row = Feedback(
        id=uuid.uuid4(),
        customer_id=customer.id,
        order_id=data.order_id,
        ticket_id=data.ticket_id,
        survey_id=data.survey_id,
        source=data.source,
        score=data.score,
        comment=comment,
        recorded_by_id=uow.actor_id,
        recorded_at=uow.now,
    )
    await feedback_repo.add(uow.session, row)
    survey = {"surveyId": data.survey_id} if data.survey_id is not None else {}
    uow.record(
        action="feedback.recorded",
        entity_type="Feedback",
        entity_id=row.id,
        summary=f"Feedback from {customer.name}: {data.score}/5 ({data.source.lower().replace('_', ' ')})",
        changes={"score": data.score, "source": data.source, "ticketId": data.ticket_id, **survey},
        customer_id=customer.id,
        order_id=data.order_id,
        event="FEEDBACK_RECORDED",
        payload={"score": data.score, "source": data.source, "ticketId": data.ticket_id, **survey},
    )
    if data.score <= LOW_FEEDBACK_SCORE:
        # Dissatisfaction opens an improvement action by itself, in the same transaction.
        await action_items.open_for_low_feedback(uow, row, customer)
    return row
