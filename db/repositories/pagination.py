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
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Generic, TypedDict, TypeVar, Unpack

import orjson
from sqlalchemy import Select, case, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20


class InvalidCursor(ValueError):
    pass


class Window(TypedDict, total=False):
    """Which page of a list (Relay): the `first` rows after the cursor `after` (paging forwards; from the
    start without one), or the `last` rows just before `before` (paging backwards; up to the end without
    one), in the list's order either way (schema.types.common.page_window checks a client's arguments)."""

    first: int | None
    after: str | None
    last: int | None
    before: str | None


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


def date_value(value: Any) -> date:
    if not isinstance(value, str):
        raise ValueError("not a date")
    return date.fromisoformat(value)


def decimal_value(value: Any) -> Decimal:
    """A numeric sort value: orjson writes a Decimal as its str() (`"1250.00"`), as PostgreSQL's numeric::text."""
    parsed = Decimal(text_value(value))
    if not parsed.is_finite():
        raise ValueError("not a finite number")
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


@dataclass(frozen=True)
class Ordering:
    """One `orderBy` value of a list: its sort keys (the last one unique, so every row has one place and a
    seek neither repeats nor skips one) and one direction for all of them (a row comparison, which a
    b-tree index on the same columns answers). A nullable column is sorted through `nulls_last`.

    The list's `default` ordering (its order before orderBy existed) writes its cursors as it always did;
    every other one starts its cursors with a tag `{"orderBy": name}`, so a cursor is only ever read
    back with the ordering that made it (another one's is refused, never a page of wrong rows)."""

    name: str
    keys: tuple[SortKey, ...]
    descending: bool = False
    default: bool = False

    @property
    def tag(self) -> str | None:
        return None if self.default else self.name


def orderings(*items: Ordering) -> dict[str, Ordering]:
    """A list's orderings by their orderBy name; exactly one is the default."""
    assert sum(o.default for o in items) == 1, "one default ordering per list"
    return {o.name: o for o in items}


def nulls_last(expr: Any, fill: Any, parse: Callable[[Any], Any]) -> tuple[SortKey, SortKey]:
    """Two sort keys for a nullable column: 1 for NULL (else 0), then the value with NULL as `fill`
    (never compared among the NULLs: the tie-breaker after it orders those). Ascending puts NULLs last,
    descending first (PostgreSQL's own defaults), and a seek from either side crosses them exactly."""
    return (
        SortKey(case((expr.is_(None), 1), else_=0), int64_value),
        SortKey(func.coalesce(expr, fill), parse),
    )


def encode_cursor(values: Sequence[Any], tag: str | None = None) -> str:
    # orjson writes UUIDs, datetimes and dates in the forms the parsers above read back.
    items = [{"orderBy": tag}, *values] if tag else list(values)
    return base64.urlsafe_b64encode(orjson.dumps(items, default=str)).decode().rstrip("=")


def _tag_of(raw: Any) -> str | None:
    if isinstance(raw, list) and raw and isinstance(raw[0], dict):
        tag = raw[0].get("orderBy")
        return tag if isinstance(tag, str) else ""
    return None


def decode_cursor(cursor: str, keys: Sequence[SortKey], ordering: Ordering | None = None) -> list[Any]:
    """The sort values of a cursor made by a page of `ordering` (None: a list with one order, untagged)."""
    try:
        raw = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except Exception as exc:  # any malformed cursor is the client's mistake, not ours
        raise InvalidCursor(f"invalid cursor {cursor!r}") from exc
    tag, expected = _tag_of(raw), ordering.tag if ordering else None
    if tag != expected:
        if ordering is None:
            raise InvalidCursor(f"invalid cursor {cursor!r}")
        made_by = tag or "the default order"
        raise InvalidCursor(
            f"cursor {cursor!r} was made for orderBy {made_by}, not {ordering.name}: "
            "ask for the first page again with this orderBy"
        )
    try:
        if tag is not None:
            raw = raw[1:]
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
    keys: Sequence[SortKey] | Ordering,
    *,
    descending: bool = False,
    **page: Unpack[Window],
) -> Page[T]:
    """Run `stmt` (already filtered) as one page ordered by `keys` (all ascending or all descending; an
    `Ordering` brings its own direction and cursor tag), forwards or backwards as `page` says.

    Backwards, the rows just before `before` are read in the opposite order (the same index, scanned the
    other way), then turned back: the page is always in the list's order. hasPreviousPage is exact
    forwards and hasNextPage backwards (the extra row read); the other is whether a cursor was given
    (its row, or the rows past it, exist), as for `after` since the beginning."""
    ordering = keys if isinstance(keys, Ordering) else None
    if isinstance(keys, Ordering):
        descending = keys.descending
        keys = keys.keys
    tag = ordering.tag if ordering else None
    count_query = select(func.count()).select_from(stmt.order_by(None).subquery())
    exprs = [k.expr for k in keys]
    backward = page.get("last") is not None
    size = page.get("last") if backward else page.get("first")
    size = DEFAULT_PAGE_SIZE if size is None else size
    cursor = page.get("before") if backward else page.get("after")
    scan_descending = descending != backward  # backwards: from the cursor towards the start
    if cursor:
        values = decode_cursor(cursor, keys, ordering)
        seek = tuple_(*exprs) < tuple_(*values) if scan_descending else tuple_(*exprs) > tuple_(*values)
        stmt = stmt.where(seek)
    order = [e.desc() for e in exprs] if scan_descending else exprs
    # The sort values come back with each row, exactly as the database compared them.
    result = list((await session.execute(stmt.add_columns(*exprs).order_by(*order).limit(size + 1))).all())
    more = len(result) > size
    result = result[:size]
    if backward:
        result.reverse()
    rows = [r[0] for r in result]
    cursors = [encode_cursor(r[1:], tag) for r in result]
    if backward:
        return Page(rows, cursors, bool(cursor), more, count_query)
    return Page(rows, cursors, more, bool(cursor), count_query)
