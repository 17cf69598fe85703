"""Reads of tables that later migrations add (tickets: 0003, opportunities: 0004).

Guarded by `to_regclass`, so callers work before and after those tables exist: before, no such
row can exist and the answer is None.
"""

from __future__ import annotations

import uuid

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

_TABLES = frozenset({"tickets", "opportunities"})


async def customer_of(session: AsyncSession, table: str, row_id: uuid.UUID) -> uuid.UUID | None:
    """`customer_id` of row `row_id` in `table`, or None when the row (or the table) does not exist."""
    assert table in _TABLES  # never interpolate anything but these names
    if await session.scalar(text("SELECT to_regclass(:t)"), {"t": table}) is None:
        return None
    return await session.scalar(text(f"SELECT customer_id FROM {table} WHERE id = :id"), {"id": row_id})
