"""Action items (the improvement loop)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Unpack

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import ActionItem
from db.repositories import rows
from db.repositories.pagination import Ordering, Page, Window, by_datetime, by_uuid, fetch_page, orderings
from services.rules.action_items import UNFINISHED_STATUSES

# Newest first; the id breaks ties.
PAGE_KEYS = [by_datetime(ActionItem.created_at), by_uuid(ActionItem.id)]
_DUE = (by_datetime(ActionItem.due_at), by_uuid(ActionItem.id))  # every item has a due time

# `actionItems(orderBy:)`: each ends with the id, so pages are exact.
ORDERINGS = orderings(
    Ordering("CREATED_AT_DESC", tuple(PAGE_KEYS), descending=True, default=True),
    Ordering("CREATED_AT_ASC", tuple(PAGE_KEYS)),
    Ordering("DUE_AT_ASC", _DUE),
    Ordering("DUE_AT_DESC", _DUE, descending=True),
)
DEFAULT_ORDER = "CREATED_AT_DESC"

_items = rows.Table(ActionItem, generated=["number"])
get = _items.get
by_ids = _items.by_ids
add = _items.add


async def page(
    session: AsyncSession,
    *,
    statuses: Sequence[str] | None = None,
    sources: Sequence[str] | None = None,
    owner_id: uuid.UUID | None = None,
    customer_id: uuid.UUID | None = None,
    overdue: bool | None = None,
    now: datetime | None = None,
    order_by: str = DEFAULT_ORDER,
    **window: Unpack[Window],
) -> Page[ActionItem]:
    stmt = select(ActionItem)
    if statuses:
        stmt = stmt.where(ActionItem.status.in_(list(statuses)))
    if sources:
        stmt = stmt.where(ActionItem.source.in_(list(sources)))
    if owner_id is not None:
        stmt = stmt.where(ActionItem.owner_id == owner_id)
    if customer_id is not None:
        stmt = stmt.where(ActionItem.customer_id == customer_id)
    if overdue is not None:
        assert now is not None, "overdue is relative to the request's clock"
        late = ActionItem.status.in_(UNFINISHED_STATUSES) & (ActionItem.due_at < now)
        stmt = stmt.where(late if overdue else ~late)
    return await fetch_page(session, stmt, ORDERINGS[order_by], **window)
