"""Orders and their items."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Unpack

from sqlalchemy import Date, delete, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Order, OrderItem
from db.repositories import rows
from db.repositories.pagination import (
    Ordering,
    Page,
    SortKey,
    Window,
    by_datetime,
    by_uuid,
    date_value,
    decimal_value,
    fetch_page,
    nulls_last,
    orderings,
)

# Newest first; the id breaks ties between orders created in the same instant.
PAGE_KEYS = [by_datetime(Order.created_at), by_uuid(Order.id)]
_VALUE = (SortKey(Order.contract_value, decimal_value), by_uuid(Order.id))
# Orders without a delivery date yet come after every date ascending, before them descending.
_DELIVERY = (
    *nulls_last(Order.delivery_date, literal_column("DATE '1970-01-01'", Date()), date_value),
    by_uuid(Order.id),
)

# `orders(orderBy:)`: each ends with the id, so pages are exact.
ORDERINGS = orderings(
    Ordering("CREATED_AT_DESC", tuple(PAGE_KEYS), descending=True, default=True),
    Ordering("CREATED_AT_ASC", tuple(PAGE_KEYS)),
    Ordering("CONTRACT_VALUE_DESC", _VALUE, descending=True),
    Ordering("CONTRACT_VALUE_ASC", _VALUE),
    Ordering("DELIVERY_DATE_ASC", _DELIVERY),
    Ordering("DELIVERY_DATE_DESC", _DELIVERY, descending=True),
)
DEFAULT_ORDER = "CREATED_AT_DESC"

_orders = rows.Table(Order, generated=["number"])
get = _orders.get
customer_of = _orders.customer_of
by_ids = _orders.by_ids
add = _orders.add


async def page(
    session: AsyncSession,
    *,
    statuses: Sequence[str] | None = None,
    customer_id: uuid.UUID | None = None,
    order_by: str = DEFAULT_ORDER,
    **window: Unpack[Window],
) -> Page[Order]:
    stmt = select(Order)
    if statuses:
        stmt = stmt.where(Order.status.in_(list(statuses)))
    if customer_id is not None:
        stmt = stmt.where(Order.customer_id == customer_id)
    return await fetch_page(session, stmt, ORDERINGS[order_by], **window)


async def items_of(session: AsyncSession, order_ids: Iterable[uuid.UUID]) -> list[OrderItem]:
    return await rows.children_of(session, OrderItem, OrderItem.order_id, order_ids, OrderItem.position)


async def replace_items(session: AsyncSession, order_id: uuid.UUID, items: Sequence[OrderItem]) -> None:
    await session.execute(delete(OrderItem).where(OrderItem.order_id == order_id))
    session.add_all(items)
    await session.flush()
