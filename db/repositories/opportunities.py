"""Opportunities, their requirements and solution revisions."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Order
from db.models.presale import Opportunity, Requirement, Solution
from db.repositories.pagination import Page, by_datetime, by_uuid, fetch_page

# Newest first; the id breaks ties between opportunities created in the same instant.
_KEYS = [by_datetime(Opportunity.created_at), by_uuid(Opportunity.id)]


async def get(session: AsyncSession, opportunity_id: uuid.UUID, *, for_update: bool = False) -> Opportunity | None:
    stmt = select(Opportunity).where(Opportunity.id == opportunity_id)
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.scalars(stmt)).one_or_none()


async def customer_of(session: AsyncSession, opportunity_id: uuid.UUID) -> uuid.UUID | None:
    """The customer of an opportunity, or None when there is no such opportunity."""
    return await session.scalar(select(Opportunity.customer_id).where(Opportunity.id == opportunity_id))


async def by_ids(session: AsyncSession, ids: Iterable[uuid.UUID]) -> list[Opportunity]:
    return list((await session.scalars(select(Opportunity).where(Opportunity.id.in_(list(ids))))).all())


async def page(
    session: AsyncSession,
    *,
    first: int,
    after: str | None,
    stages: Sequence[str] | None = None,
    customer_id: uuid.UUID | None = None,
) -> Page[Opportunity]:
    stmt = select(Opportunity)
    if stages:
        stmt = stmt.where(Opportunity.stage.in_(list(stages)))
    if customer_id is not None:
        stmt = stmt.where(Opportunity.customer_id == customer_id)
    return await fetch_page(session, stmt, _KEYS, first=first, after=after, descending=True)


async def add(session: AsyncSession, opportunity: Opportunity) -> Opportunity:
    session.add(opportunity)
    await session.flush()
    return opportunity


async def requirements_of(session: AsyncSession, opportunity_ids: Iterable[uuid.UUID]) -> list[Requirement]:
    stmt = (
        select(Requirement)
        .where(Requirement.opportunity_id.in_(list(opportunity_ids)))
        .order_by(Requirement.opportunity_id, Requirement.position)
    )
    return list((await session.scalars(stmt)).all())


async def replace_requirements(session: AsyncSession, opportunity_id: uuid.UUID, rows: Sequence[Requirement]) -> None:
    await session.execute(delete(Requirement).where(Requirement.opportunity_id == opportunity_id))
    session.add_all(rows)
    await session.flush()


async def solutions_of(session: AsyncSession, opportunity_ids: Iterable[uuid.UUID]) -> list[Solution]:
    stmt = (
        select(Solution)
        .where(Solution.opportunity_id.in_(list(opportunity_ids)))
        .order_by(Solution.opportunity_id, Solution.revision)
    )
    return list((await session.scalars(stmt)).all())


async def latest_solution(session: AsyncSession, opportunity_id: uuid.UUID) -> Solution | None:
    """The newest revision (callers hold the opportunity's row lock, so it cannot change meanwhile)."""
    stmt = select(Solution).where(Solution.opportunity_id == opportunity_id).order_by(Solution.revision.desc()).limit(1)
    return (await session.scalars(stmt)).one_or_none()


async def next_revision(session: AsyncSession, opportunity_id: uuid.UUID) -> int:
    stmt = select(func.coalesce(func.max(Solution.revision), 0)).where(Solution.opportunity_id == opportunity_id)
    return int((await session.execute(stmt)).scalar_one()) + 1


async def add_solution(session: AsyncSession, solution: Solution) -> Solution:
    session.add(solution)
    await session.flush()
    return solution


async def unlinked_orders(session: AsyncSession) -> list[Order]:
    """Orders that came from no opportunity and are not cancelled, oldest first (demo data links them)."""
    stmt = (
        select(Order)
        .where(Order.opportunity_id.is_(None), Order.status != "CANCELLED")
        .order_by(Order.created_at, Order.id)
    )
    return list((await session.scalars(stmt)).all())
