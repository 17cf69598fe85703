"""Keyset (seek) pagination shared by every list: stable under inserts, no OFFSET scans.

A cursor is the sort-key values of the last row seen, opaque to clients (base64 of JSON).
"""
from __future__ import annotations

import base64
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

import orjson
from sqlalchemy import Select, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20


class InvalidCursor(ValueError):
    pass


@dataclass(frozen=True)
class SortKey:
    """One column of the ordering: the SQL expression, how to read it off a row, how to parse it back."""

    expr: Any
    get: Callable[[Any], Any]
    parse: Callable[[Any], Any] = lambda v: v


def by_uuid(expr: Any, attr: str = "id") -> SortKey:
    return SortKey(expr, lambda row: str(getattr(row, attr)), uuid.UUID)


def by_datetime(expr: Any, attr: str) -> SortKey:
    return SortKey(expr, lambda row: getattr(row, attr).isoformat(), datetime.fromisoformat)


def by_int(expr: Any, attr: str) -> SortKey:
    return SortKey(expr, lambda row: getattr(row, attr), int)


def encode_cursor(values: Sequence[Any]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(list(values))).decode().rstrip("=")


def decode_cursor(cursor: str, keys: Sequence[SortKey]) -> list[Any]:
    try:
        raw = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(raw, list) or len(raw) != len(keys):
            raise ValueError("shape")
        return [key.parse(value) for key, value in zip(keys, raw)]
    except Exception as exc:  # any malformed cursor is the client's mistake, not ours
        raise InvalidCursor(f"invalid cursor {cursor!r}") from exc


@dataclass
class Page(Generic[T]):
    rows: list[T]
    cursors: list[str]
    has_next: bool
    has_previous: bool
    count_query: Select

    async def total_count(self, session: AsyncSession) -> int:
        """Counted only when a client asks for totalCount (one extra statement)."""
        return int((await session.execute(self.count_query)).scalar_one())


async def fetch_page(
    session: AsyncSession,
    stmt: Select,
    keys: Sequence[SortKey],
    *,
    first: int,
    after: str | None,
    descending: bool = False,
) -> Page:
    """Run `stmt` (already filtered) as one page ordered by `keys` (all ascending or all descending)."""
    count_query = select(func.count()).select_from(stmt.order_by(None).subquery())
    exprs = [k.expr for k in keys]
    if after:
        values = decode_cursor(after, keys)
        seek = tuple_(*exprs) < tuple_(*values) if descending else tuple_(*exprs) > tuple_(*values)
        stmt = stmt.where(seek)
    order = [e.desc() for e in exprs] if descending else exprs
    rows = list((await session.scalars(stmt.order_by(*order).limit(first + 1))).all())
    has_next = len(rows) > first
    rows = rows[:first]
    cursors = [encode_cursor([k.get(row) for k in keys]) for row in rows]
    return Page(rows, cursors, has_next, bool(after), count_query)
