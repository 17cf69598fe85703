"""Opportunities, their requirements and solution revisions."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Unpack

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Order
from db.models.presale import Opportunity, Requirement, Solution
from db.repositories import rows
from db.repositories.pagination import Page, Window, by_datetime, by_uuid, fetch_page

# Newest first; the id breaks ties between opportunities created in the same instant.
PAGE_KEYS = [by_datetime(Opportunity.created_at), by_uuid(Opportunity.id)]


_opportunities = rows.Table(Opportunity)
get = _opportunities.get
customer_of = _opportunities.customer_of
by_ids = _opportunities.by_ids
add = _opportunities.add


async def page(
    session: AsyncSession,
    *,
    stages: Sequence[str] | None = None,
    customer_id: uuid.UUID | None = None,
    **window: Unpack[Window],
) -> Page[Opportunity]:
    stmt = select(Opportunity)
    if stages:
        stmt = stmt.where(Opportunity.stage.in_(list(stages)))
    if customer_id is not None:
        stmt = stmt.where(Opportunity.customer_id == customer_id)
    return await fetch_page(session, stmt, PAGE_KEYS, descending=True, **window)


async def requirements_of(session: AsyncSession, opportunity_ids: Iterable[uuid.UUID]) -> list[Requirement]:
    return await rows.children_of(
        session, Requirement, Requirement.opportunity_id, opportunity_ids, Requirement.position
    )


async def replace_requirements(
    session: AsyncSession, opportunity_id: uuid.UUID, requirements: Sequence[Requirement]
) -> None:
    await session.execute(delete(Requirement).where(Requirement.opportunity_id == opportunity_id))
    session.add_all(requirements)
    await session.flush()


async def solutions_of(session: AsyncSession, opportunity_ids: Iterable[uuid.UUID]) -> list[Solution]:
    return await rows.children_of(session, Solution, Solution.opportunity_id, opportunity_ids, Solution.revision)


async def latest_solution(session: AsyncSession, opportunity_id: uuid.UUID) -> Solution | None:
    """The newest revision (callers hold the opportunity's row lock, so it cannot change meanwhile)."""
    stmt = select(Solution).where(Solution.opportunity_id == opportunity_id).order_by(Solution.revision.desc()).limit(1)
    return (await session.scalars(stmt)).one_or_none()


async def next_revision(session: AsyncSession, opportunity_id: uuid.UUID) -> int:
    stmt = select(func.coalesce(func.max(Solution.revision), 0)).where(Solution.opportunity_id == opportunity_id)
    return int((await session.execute(stmt)).scalar_one()) + 1


add_solution = rows.Table(Solution).add


async def unlinked_orders(session: AsyncSession) -> list[Order]:
    """Orders that came from no opportunity and are not cancelled, oldest first (demo data links them)."""
    stmt = (
        select(Order)
        .where(Order.opportunity_id.is_(None), Order.status != "CANCELLED")
        .order_by(Order.created_at, Order.id)
    )
    return list((await session.scalars(stmt)).all())
