"""Keyset (seek) pagination shared by every list: stable under inserts, no OFFSET scans.

A cursor is the sort-key values of the last row seen, opaque to clients (base64 of JSON). The values
are the ones the database sorted by, read back with the page: a value recomputed in Python can differ
from the SQL expression's (Python's str.lower() is not PostgreSQL's lower()), and a seek from such a
cursor repeats or skips rows.
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


def text_value(value: Any) -> str:
    """A text sort value from a cursor; anything else (or a NUL, which PostgreSQL text cannot hold) is malformed."""
    if not isinstance(value, str) or "\x00" in value:
        raise ValueError("not a text value")
    return value


def int64_value(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not -(2**63) <= value < 2**63:
        raise ValueError("not a 64-bit integer")
    return value


def aware_datetime(value: Any) -> datetime:
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError("timestamp without time zone")
    return parsed


@dataclass(frozen=True)
class SortKey:
    """One column of the ordering: the SQL expression and how to parse a cursor's value back.

    Cursors hold the values the query itself returned (not values recomputed in Python, which can
    differ: Python's and PostgreSQL's lower() disagree on some letters). The default accepts text.
    """

    expr: Any
    parse: Callable[[Any], Any] = text_value


def by_uuid(expr: Any) -> SortKey:
    return SortKey(expr, uuid.UUID)


def by_datetime(expr: Any) -> SortKey:
    return SortKey(expr, aware_datetime)


def by_int(expr: Any) -> SortKey:
    return SortKey(expr, int64_value)


def encode_cursor(values: Sequence[Any]) -> str:
    # orjson writes UUIDs, datetimes and dates in the forms the parsers above read back.
    return base64.urlsafe_b64encode(orjson.dumps(list(values), default=str)).decode().rstrip("=")


def decode_cursor(cursor: str, keys: Sequence[SortKey]) -> list[Any]:
    try:
        raw = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(raw, list) or len(raw) != len(keys):
            raise ValueError("shape")
        return [key.parse(value) for key, value in zip(keys, raw, strict=True)]  # lengths checked above
    except Exception as exc:  # any malformed cursor is the client's mistake, not ours
        raise InvalidCursor(f"invalid cursor {cursor!r}") from exc


@dataclass
class Page(Generic[T]):
    rows: list[T]
    cursors: list[str]
    has_next: bool
    has_previous: bool
    count_query: Select[int]

    async def total_count(self, session: AsyncSession) -> int:
        """Counted only when a client asks for totalCount (one extra statement)."""
        return int((await session.execute(self.count_query)).scalar_one())


async def fetch_page(
    session: AsyncSession,
    stmt: Select[T],
    keys: Sequence[SortKey],
    *,
    first: int,
    after: str | None,
    descending: bool = False,
) -> Page[T]:
    """Run `stmt` (already filtered) as one page ordered by `keys` (all ascending or all descending)."""
    count_query = select(func.count()).select_from(stmt.order_by(None).subquery())
    exprs = [k.expr for k in keys]
    if after:
        values = decode_cursor(after, keys)
        seek = tuple_(*exprs) < tuple_(*values) if descending else tuple_(*exprs) > tuple_(*values)
        stmt = stmt.where(seek)
    order = [e.desc() for e in exprs] if descending else exprs
    # The sort values come back with each row, exactly as the database compared them.
    result = (await session.execute(stmt.add_columns(*exprs).order_by(*order).limit(first + 1))).all()
    has_next = len(result) > first
    result = result[:first]
    rows = [r[0] for r in result]
    cursors = [encode_cursor(r[1:]) for r in result]
    return Page(rows, cursors, has_next, bool(after), count_query)
