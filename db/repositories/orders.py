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
PAGE_KEYS = [by_datetime(Order.created_at), by_uuid(Order.id)]

_orders = rows.Table(Order, generated=["number"])
get = _orders.get
customer_of = _orders.customer_of
by_ids = _orders.by_ids
add = _orders.add


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
    return await fetch_page(session, stmt, PAGE_KEYS, first=first, after=after, descending=True)


async def items_of(session: AsyncSession, order_ids: Iterable[uuid.UUID]) -> list[OrderItem]:
    return await rows.children_of(session, OrderItem, OrderItem.order_id, order_ids, OrderItem.position)


async def replace_items(session: AsyncSession, order_id: uuid.UUID, items: Sequence[OrderItem]) -> None:
    await session.execute(delete(OrderItem).where(OrderItem.order_id == order_id))
    session.add_all(items)
    await session.flush()
