"""Sales targets."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Unpack

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models.presale import SalesTarget
from db.repositories import rows
from db.repositories.pagination import Page, SortKey, Window, by_uuid, fetch_page

# Newest period first; the id breaks ties between targets of the same start day.
PAGE_KEYS = [SortKey(SalesTarget.period_start, date.fromisoformat), by_uuid(SalesTarget.id)]

_targets = rows.Table(SalesTarget)
add = _targets.add
by_ids = _targets.by_ids


async def lock_scope(session: AsyncSession, department: str, user_id: uuid.UUID | None) -> None:
    """Serialise writers of one scope (a department's or one person's targets) until commit, so two
    concurrent writers cannot both pass the no-overlap check."""
    await session.execute(select(func.pg_advisory_xact_lock(func.hashtext(f"sales_target:{department}:{user_id}"))))


async def overlapping(
    session: AsyncSession, department: str, user_id: uuid.UUID | None, start: date, end: date
) -> list[SalesTarget]:
    scope = SalesTarget.user_id.is_(None) if user_id is None else SalesTarget.user_id == user_id
    stmt = (
        select(SalesTarget)
        .where(
            SalesTarget.department == department,
            scope,
            SalesTarget.period_start <= end,
            SalesTarget.period_end >= start,
        )
        .order_by(SalesTarget.period_start)
        .with_for_update()
    )
    return list((await session.scalars(stmt)).all())


async def page(
    session: AsyncSession,
    *,
    user_id: uuid.UUID | None = None,
    department_wide: bool = False,
    **window: Unpack[Window],
) -> Page[SalesTarget]:
    stmt = select(SalesTarget)
    if user_id is not None:
        stmt = stmt.where(SalesTarget.user_id == user_id)
    elif department_wide:
        stmt = stmt.where(SalesTarget.user_id.is_(None))
    return await fetch_page(session, stmt, PAGE_KEYS, descending=True, **window)
