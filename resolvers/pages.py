"""List queries: a page of a repository's rows as a Relay connection."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from db.repositories.pagination import Page
from schema.context import Info
from schema.types.common import Connection, connection, page_window

Row = TypeVar("Row")
T = TypeVar("T")


async def page(
    info: Info,
    fetch: Callable[..., Awaitable[Page[Row]]],
    convert: Callable[[Row], T],
    first: int | None,
    after: str | None,
    last: int | None = None,
    before: str | None = None,
    /,
    **filters: Any,
) -> Connection[T]:
    """`fetch(session, first=…, after=…, **filters)` (or `last=…, before=…`: a repository's page function)
    in the request's read scope, each row converted to its GraphQL type (`schema.types.common.connection`:
    a size is at most 100, one direction per request, a bad cursor is the client's mistake)."""
    window = page_window(first, after, last, before)
    return await connection(info, lambda s, w: fetch(s, **w, **filters), window, convert)
