"""List queries: a page of a repository's rows as a Relay connection."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from db.repositories.pagination import Page
from schema.context import Info
from schema.types.common import Connection, connection

Row = TypeVar("Row")
T = TypeVar("T")


async def page(
    info: Info,
    fetch: Callable[..., Awaitable[Page[Row]]],
    convert: Callable[[Row], T],
    first: int | None,
    after: str | None,
    **filters: Any,
) -> Connection[T]:
    """`fetch(session, first=size, after=after, **filters)` (a repository's page function) in the request's
    read scope, each row converted to its GraphQL type (`schema.types.common.connection`: `first` is at
    most 100, a bad cursor is the client's mistake)."""
    return await connection(info, lambda s, size: fetch(s, first=size, after=after, **filters), first, convert)
