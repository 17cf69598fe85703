"""The audit trail and the timelines read from it."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Unpack

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Activity
from db.repositories.pagination import Page, Window, by_int, fetch_page

PAGE_KEYS = [by_int(Activity.seq)]


def _visible(stmt: Select[Activity], include_internal: bool) -> Select[Activity]:
    """Rows about internal matters (Activity.internal) only for callers who may read internal comments.

    The filter is part of the page query itself, so the page, its cursors and totalCount all agree."""
    return stmt if include_internal else stmt.where(Activity.internal.is_(False))


async def customer_timeline(
    session: AsyncSession, customer_id: uuid.UUID, *, include_internal: bool, **window: Unpack[Window]
) -> Page[Activity]:
    """Everything that happened to the customer or to anything of theirs, oldest first."""
    stmt = _visible(select(Activity).where(Activity.customer_id == customer_id), include_internal)
    return await fetch_page(session, stmt, PAGE_KEYS, **window)


async def order_timeline(
    session: AsyncSession, order_id: uuid.UUID, *, include_internal: bool, **window: Unpack[Window]
) -> Page[Activity]:
    stmt = _visible(select(Activity).where(Activity.order_id == order_id), include_internal)
    return await fetch_page(session, stmt, PAGE_KEYS, **window)


async def visible_timeline(
    session: AsyncSession,
    entity_type: str,
    entity_id: uuid.UUID,
    *,
    include_internal: bool,
    **window: Unpack[Window],
) -> Page[Activity]:
    """One entity's own timeline (its rows, not its customer's or order's), oldest first."""
    stmt = select(Activity).where(Activity.entity_type == entity_type, Activity.entity_id == entity_id)
    return await fetch_page(session, _visible(stmt, include_internal), PAGE_KEYS, **window)


async def audit_page(
    session: AsyncSession,
    *,
    include_internal: bool,
    actor_id: uuid.UUID | None = None,
    entity_type: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    **window: Unpack[Window],
) -> Page[Activity]:
    """Every recorded change, newest first: the audit log, narrowed by actor, entity type and [start, end)."""
    stmt = select(Activity)
    if actor_id is not None:
        stmt = stmt.where(Activity.actor_id == actor_id)
    if entity_type is not None:
        stmt = stmt.where(Activity.entity_type == entity_type)
    if start is not None:
        stmt = stmt.where(Activity.at >= start)
    if end is not None:
        stmt = stmt.where(Activity.at < end)
    return await fetch_page(session, _visible(stmt, include_internal), PAGE_KEYS, descending=True, **window)


class EntityTimeline:
    """`visible_timeline` of one entity type, in the shape of a type's page field (schema/types/common.py
    `visible_page`): `Ticket.timeline` is `EntityTimeline("Ticket")`."""

    def __init__(self, entity_type: str) -> None:
        self.entity_type = entity_type

    async def __call__(
        self, session: AsyncSession, entity_id: uuid.UUID, /, *, include_internal: bool, **window: Unpack[Window]
    ) -> Page[Activity]:
        return await visible_timeline(session, self.entity_type, entity_id, include_internal=include_internal, **window)


ticket_timeline = EntityTimeline("Ticket")
service_job_timeline = EntityTimeline("ServiceJob")
opportunity_timeline = EntityTimeline("Opportunity")
action_item_timeline = EntityTimeline("ActionItem")


async def for_entity(session: AsyncSession, entity_type: str, entity_id: uuid.UUID) -> list[Activity]:
    stmt = select(Activity).where(Activity.entity_type == entity_type, Activity.entity_id == entity_id)
    return list((await session.scalars(stmt.order_by(Activity.seq))).all())


async def by_seqs(session: AsyncSession, seqs: list[int]) -> list[Activity]:
    return list((await session.scalars(select(Activity).where(Activity.seq.in_(seqs)))).all())


async def latest_at(session: AsyncSession) -> datetime | None:
    """The instant of the newest activity row (the demo continues its history after it)."""
    latest: datetime | None = await session.scalar(select(func.max(Activity.at)))
    return latest
