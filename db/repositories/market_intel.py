"""Market intelligence posts: newest first, filtered by kind, customer, exact tag and a search term."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Unpack

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import MarketIntel
from db.repositories import rows
from db.repositories.customers import escape_like
from db.repositories.pagination import Page, Window, by_datetime, by_uuid, fetch_page

# Newest first; the id breaks ties.
PAGE_KEYS = [by_datetime(MarketIntel.created_at), by_uuid(MarketIntel.id)]
# Tags joined for the search with a character no tag holds (the service collapses whitespace in tags),
# so a term cannot match across two tags.
TAG_SEPARATOR = "\n"

_posts = rows.Table(MarketIntel)
get = _posts.get
by_ids = _posts.by_ids
add = _posts.add


async def page(
    session: AsyncSession,
    *,
    kinds: Sequence[str] | None = None,
    tag_key: str | None = None,
    search: str | None = None,
    customer_id: uuid.UUID | None = None,
    **window: Unpack[Window],
) -> Page[MarketIntel]:
    """`tag_key`: a tag as the service keys it (services/market_intel.py `tag_key`). `search`: a substring of
    the title, the body or a tag, any case (ILIKE; its % and _ match themselves)."""
    stmt = select(MarketIntel)
    if kinds:
        stmt = stmt.where(MarketIntel.kind.in_(list(kinds)))
    if customer_id is not None:
        stmt = stmt.where(MarketIntel.customer_id == customer_id)
    if tag_key is not None:
        stmt = stmt.where(MarketIntel.tag_keys.contains([tag_key]))
    if search:
        pattern = f"%{escape_like(search)}%"
        stmt = stmt.where(
            or_(
                MarketIntel.title.ilike(pattern, escape="\\"),
                MarketIntel.body.ilike(pattern, escape="\\"),
                func.array_to_string(MarketIntel.tags, TAG_SEPARATOR).ilike(pattern, escape="\\"),
            )
        )
    return await fetch_page(session, stmt, PAGE_KEYS, descending=True, **window)
