"""Service jobs (installation, commissioning, training, ...)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Unpack

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import ServiceJob
from db.repositories import rows
from db.repositories.pagination import Page, Window, by_datetime, by_uuid, fetch_page

# Latest scheduled first; the id breaks ties.
PAGE_KEYS = [by_datetime(ServiceJob.scheduled_start), by_uuid(ServiceJob.id)]


_jobs = rows.Table(ServiceJob, generated=["number"])
get = _jobs.get
by_ids = _jobs.by_ids
add = _jobs.add


async def of_orders(
    session: AsyncSession, order_ids: Iterable[uuid.UUID], *, for_update: bool = False
) -> list[ServiceJob]:
    """Jobs of the given orders in schedule order (earliest first)."""
    stmt = (
        select(ServiceJob)
        .where(ServiceJob.order_id.in_(list(order_ids)))
        .order_by(ServiceJob.order_id, ServiceJob.scheduled_start, ServiceJob.number)
    )
    return list((await session.scalars(rows.locked_if(stmt, for_update))).all())


async def page(
    session: AsyncSession,
    *,
    statuses: Sequence[str] | None = None,
    order_id: uuid.UUID | None = None,
    technician_id: uuid.UUID | None = None,
    customer_id: uuid.UUID | None = None,
    **window: Unpack[Window],
) -> Page[ServiceJob]:
    stmt = select(ServiceJob)
    if statuses:
        stmt = stmt.where(ServiceJob.status.in_(list(statuses)))
    if order_id is not None:
        stmt = stmt.where(ServiceJob.order_id == order_id)
    if technician_id is not None:
        stmt = stmt.where(ServiceJob.technician_id == technician_id)
    if customer_id is not None:
        stmt = stmt.where(ServiceJob.customer_id == customer_id)
    return await fetch_page(session, stmt, PAGE_KEYS, descending=True, **window)


async def latest_assigned_on_an_order(session: AsyncSession) -> ServiceJob | None:
    """The job scheduled latest that has an order and a technician (the demo reports a problem on it)."""
    stmt = (
        select(ServiceJob)
        .where(ServiceJob.order_id.is_not(None), ServiceJob.technician_id.is_not(None))
        .order_by(ServiceJob.scheduled_start.desc(), ServiceJob.id)
        .limit(1)
    )
    job: ServiceJob | None = await session.scalar(stmt)
    return job
