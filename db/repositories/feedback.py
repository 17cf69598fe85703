"""Feedback records and satisfaction aggregates."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Unpack

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Feedback
from db.repositories import rows
from db.repositories.pagination import Page, Window, by_datetime, by_uuid, fetch_page
from services.rules.feedback import SATISFIED_SCORES

# Newest first; the id breaks ties.
PAGE_KEYS = [by_datetime(Feedback.recorded_at), by_uuid(Feedback.id)]


@dataclass(frozen=True)
class Satisfaction:
    customer_id: uuid.UUID
    count: int
    mean_score: float | None
    satisfied_count: int  # satisfied scores (4 or 5)


_feedback = rows.Table(Feedback)
add = _feedback.add
by_ids = _feedback.by_ids
customer_of = _feedback.customer_of


async def get(session: AsyncSession, feedback_id: uuid.UUID) -> Feedback | None:
    return await session.get(Feedback, feedback_id)


async def page(
    session: AsyncSession, *, customer_id: uuid.UUID | None = None, **window: Unpack[Window]
) -> Page[Feedback]:
    stmt = select(Feedback)
    if customer_id is not None:
        stmt = stmt.where(Feedback.customer_id == customer_id)
    return await fetch_page(session, stmt, PAGE_KEYS, descending=True, **window)


async def satisfaction_of(session: AsyncSession, customer_ids: Iterable[uuid.UUID]) -> list[Satisfaction]:
    """One aggregate row per customer that has feedback (customers without any are absent)."""
    stmt = (
        select(
            Feedback.customer_id,
            func.count(),
            func.avg(Feedback.score),
            func.count(case((Feedback.score.in_(SATISFIED_SCORES), 1))),
        )
        .where(Feedback.customer_id.in_(list(customer_ids)))
        .group_by(Feedback.customer_id)
    )
    return [
        Satisfaction(cid, int(n), float(avg) if avg is not None else None, int(high))
        for cid, n, avg, high in (await session.execute(stmt)).all()
    ]
