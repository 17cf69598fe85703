"""Personal notifications: a person's inbox (newest first), its unread count, marking read. Every read
here is scoped to one person: there is no way to read someone else's notification through it."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Unpack

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Notification
from db.repositories.pagination import Page, Window, by_int, fetch_page

# Newest first: seq is the order of creation (an instant can hold many).
PAGE_KEYS = [by_int(Notification.seq)]


async def add_many(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> list[Notification]:
    """Insert the notifications (dicts of columns) in one statement; the rows come back in order."""
    if not rows:
        return []
    stmt = insert(Notification).returning(Notification).execution_options(populate_existing=True)
    result = await session.scalars(stmt, list(rows))
    return list(result.all())


async def page(
    session: AsyncSession, *, user_id: uuid.UUID, unread: bool | None = None, **window: Unpack[Window]
) -> Page[Notification]:
    stmt = select(Notification).where(Notification.user_id == user_id)
    if unread is not None:
        stmt = stmt.where(Notification.read_at.is_(None) if unread else Notification.read_at.is_not(None))
    return await fetch_page(session, stmt, PAGE_KEYS, descending=True, **window)


async def unread_count(session: AsyncSession, user_id: uuid.UUID) -> int:
    stmt = select(func.count()).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    return int((await session.execute(stmt)).scalar_one())


async def of_user(session: AsyncSession, user_id: uuid.UUID, ids: Sequence[uuid.UUID]) -> list[Notification]:
    """The person's own notifications among `ids` (anyone else's are simply not there)."""
    if not ids:
        return []
    stmt = select(Notification).where(Notification.user_id == user_id, Notification.id.in_(list(ids)))
    return list((await session.scalars(stmt)).all())


async def mark_read(session: AsyncSession, user_id: uuid.UUID, ids: Sequence[uuid.UUID] | None, now: datetime) -> int:
    """Mark the person's unread notifications read (those among `ids`, or all when `ids` is None);
    returns how many changed."""
    stmt = update(Notification).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    if ids is not None:
        stmt = stmt.where(Notification.id.in_(list(ids)))
    result = await session.execute(stmt.values(read_at=now).execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)


async def mark_older_half_read(session: AsyncSession, read_after: timedelta, now: datetime) -> None:
    """The demo's read state: each person's older half of their notifications read `read_after` after it
    came (at most `now`), in one statement."""
    ranked = select(
        Notification.id,
        func.row_number().over(partition_by=Notification.user_id, order_by=Notification.seq).label("n"),
        func.count().over(partition_by=Notification.user_id).label("total"),
    ).subquery()
    older = select(ranked.c.id).where(ranked.c.n <= ranked.c.total / 2)
    await session.execute(
        update(Notification)
        .where(Notification.id.in_(older))
        .values(read_at=func.least(Notification.created_at + read_after, now))
        .execution_options(synchronize_session=False)
    )
