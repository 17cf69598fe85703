"""Orders and their items."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Order, OrderItem
from db.repositories import rows
from db.repositories.pagination import Page, by_datetime, by_uuid, fetch_page

# Newest first; the id breaks ties between orders created in the same instant.
_KEYS = [by_datetime(Order.created_at), by_uuid(Order.id)]


async def get(session: AsyncSession, order_id: uuid.UUID, *, for_update: bool = False) -> Order | None:
    stmt = select(Order).where(Order.id == order_id)
    return (await session.scalars(rows.for_update(stmt) if for_update else stmt)).one_or_none()


async def customer_of(session: AsyncSession, order_id: uuid.UUID) -> uuid.UUID | None:
    """The customer of an order, or None when there is no such order."""
    return await session.scalar(select(Order.customer_id).where(Order.id == order_id))


async def by_ids(session: AsyncSession, ids: Iterable[uuid.UUID]) -> list[Order]:
    return list((await session.scalars(select(Order).where(Order.id.in_(list(ids))))).all())


async def add(session: AsyncSession, order: Order) -> Order:
    session.add(order)
    await session.flush()
    await session.refresh(order, ["number"])
    return order


async def page(
    session: AsyncSession,
    *,
    first: int,
    after: str | None,
    statuses: Sequence[str] | None = None,
    customer_id: uuid.UUID | None = None,
) -> Page[Order]:
    stmt = select(Order)
    if statuses:
        stmt = stmt.where(Order.status.in_(list(statuses)))
    if customer_id is not None:
        stmt = stmt.where(Order.customer_id == customer_id)
    return await fetch_page(session, stmt, _KEYS, first=first, after=after, descending=True)


async def items_of(session: AsyncSession, order_ids: Iterable[uuid.UUID]) -> list[OrderItem]:
    stmt = (
        select(OrderItem)
        .where(OrderItem.order_id.in_(list(order_ids)))
        .order_by(OrderItem.order_id, OrderItem.position)
    )
    return list((await session.scalars(stmt)).all())


async def replace_items(session: AsyncSession, order_id: uuid.UUID, items: Sequence[OrderItem]) -> None:
    await session.execute(delete(OrderItem).where(OrderItem.order_id == order_id))
    session.add_all(items)
    await session.flush()
