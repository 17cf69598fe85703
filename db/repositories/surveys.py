"""Satisfaction surveys: the surveys, their target customers, their answers (feedback rows with the
survey's id) and the answers' counts."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Unpack

from sqlalchemy import and_, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import ActionItem, Customer, Feedback, Survey, SurveyTarget
from db.repositories import customers as customers_repo
from db.repositories import feedback as feedback_repo
from db.repositories import rows
from db.repositories.pagination import Page, Window, by_datetime, by_uuid, fetch_page
from services.rules.feedback import MAX_SCORE, MIN_SCORE

# Newest first; the id breaks ties.
PAGE_KEYS = [by_datetime(Survey.created_at), by_uuid(Survey.id)]
SCORES = tuple(range(MIN_SCORE, MAX_SCORE + 1))

_surveys = rows.Table(Survey)
get = _surveys.get
exists = _surveys.exists
by_ids = _surveys.by_ids
add = _surveys.add


@dataclass(frozen=True)
class SurveyStats:
    survey_id: uuid.UUID
    target_count: int
    distribution: tuple[int, ...]  # answers per score, MIN_SCORE..MAX_SCORE

    @property
    def response_count(self) -> int:
        return sum(self.distribution)

    @property
    def mean(self) -> float | None:
        n = self.response_count
        return sum(score * count for score, count in zip(SCORES, self.distribution, strict=True)) / n if n else None


async def page(
    session: AsyncSession, *, statuses: Sequence[str] | None = None, **window: Unpack[Window]
) -> Page[Survey]:
    stmt = select(Survey)
    if statuses:
        stmt = stmt.where(Survey.status.in_(list(statuses)))
    return await fetch_page(session, stmt, PAGE_KEYS, descending=True, **window)


async def add_targets(session: AsyncSession, survey_id: uuid.UUID, customer_ids: Sequence[uuid.UUID]) -> None:
    await session.execute(insert(SurveyTarget), [{"survey_id": survey_id, "customer_id": cid} for cid in customer_ids])


async def existing_customers(session: AsyncSession, customer_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    """Those of `customer_ids` that are customers (one statement, for validating a target list)."""
    found = await session.scalars(select(Customer.id).where(Customer.id.in_(list(customer_ids))))
    return set(found.all())


async def is_target(session: AsyncSession, survey_id: uuid.UUID, customer_id: uuid.UUID) -> bool:
    stmt = select(SurveyTarget.survey_id).where(
        SurveyTarget.survey_id == survey_id, SurveyTarget.customer_id == customer_id
    )
    return (await session.scalar(stmt)) is not None


async def has_answered(session: AsyncSession, survey_id: uuid.UUID, customer_id: uuid.UUID) -> bool:
    stmt = select(Feedback.id).where(Feedback.survey_id == survey_id, Feedback.customer_id == customer_id)
    return (await session.scalar(stmt)) is not None


async def stats_of(session: AsyncSession, survey_ids: Iterable[uuid.UUID]) -> list[SurveyStats]:
    """Targets and answers per score of each survey, in one statement (every answer is a target's)."""
    answered = and_(Feedback.survey_id == SurveyTarget.survey_id, Feedback.customer_id == SurveyTarget.customer_id)
    stmt = (
        select(
            SurveyTarget.survey_id,
            func.count(),
            *(func.count(Feedback.id).filter(Feedback.score == score) for score in SCORES),
        )
        .select_from(SurveyTarget)
        .outerjoin(Feedback, answered)
        .where(SurveyTarget.survey_id.in_(list(survey_ids)))
        .group_by(SurveyTarget.survey_id)
    )
    return [
        SurveyStats(row[0], int(row[1]), tuple(int(n) for n in row[2:])) for row in (await session.execute(stmt)).all()
    ]


async def targets_page(session: AsyncSession, survey_id: uuid.UUID, **window: Unpack[Window]) -> Page[Customer]:
    """The survey's target customers, in the customers list's (alphabetical) order."""
    stmt = (
        select(Customer)
        .join(SurveyTarget, SurveyTarget.customer_id == Customer.id)
        .where(SurveyTarget.survey_id == survey_id)
    )
    return await fetch_page(session, stmt, customers_repo.PAGE_KEYS, **window)


async def responses_page(session: AsyncSession, survey_id: uuid.UUID, **window: Unpack[Window]) -> Page[Feedback]:
    """The survey's answers, newest first (as the feedback list)."""
    stmt = select(Feedback).where(Feedback.survey_id == survey_id)
    return await fetch_page(session, stmt, feedback_repo.PAGE_KEYS, descending=True, **window)


async def action_items_of(session: AsyncSession, survey_ids: Iterable[uuid.UUID]) -> list[ActionItem]:
    """The action items that came from each survey, oldest first (in one statement)."""
    stmt = (
        select(ActionItem)
        .where(ActionItem.survey_id.in_(list(survey_ids)))
        .order_by(ActionItem.created_at, ActionItem.id)
    )
    return list((await session.scalars(stmt)).all())
