"""Shapes shared by the whole schema: user errors, Relay connections, scalars."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Generic, TypeVar

import strawberry
from graphql import GraphQLError
from sqlalchemy.ext.asyncio import AsyncSession

from db.repositories.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, InvalidCursor, Page
from schema.context import Info
from schema.ids import decode_id
from services.errors import DomainError, ErrorCode, ValidationFailed

T = TypeVar("T")

# The GraphQL enum `UserErrorCode` is services.errors.ErrorCode itself: its values, in its order.
UserErrorCode = Annotated[ErrorCode, strawberry.enum(name="UserErrorCode")]


@strawberry.type
class UserError:
    code: UserErrorCode
    field: list[str] | None
    message: str


def user_errors(error: DomainError) -> list[UserError]:
    problems = error.problems if isinstance(error, ValidationFailed) else [error]
    return [UserError(code=p.code, field=p.field, message=p.message) for p in problems]


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo
    _count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="Number of items matching the filter, across all pages.")
    async def total_count(self) -> int:
        return await self._count()


class BadUserInput(GraphQLError):
    def __init__(self, message: str):
        super().__init__(message, extensions={"code": "BAD_USER_INPUT"})


def query_id(value: strawberry.ID | None, type_name: str, field: str) -> uuid.UUID | None:
    """An id argument of a query; a malformed one is the client's mistake (BAD_USER_INPUT)."""
    if value is None:
        return None
    try:
        return decode_id(value, type_name, field)
    except DomainError as error:
        raise BadUserInput(error.message) from None


def page_size(first: int | None) -> int:
    """`first` defaults to 20 and is capped at 100: asking for more is an error, never a silent cut."""
    if first is None:
        return DEFAULT_PAGE_SIZE
    if first < 0 or first > MAX_PAGE_SIZE:
        raise BadUserInput(f"first must be between 0 and {MAX_PAGE_SIZE} (got {first})")
    return first


async def connection(
    info: Info,
    fetch: Callable[[AsyncSession, int], Awaitable[Page]],
    first: int | None,
    convert: Callable[[Any], T],
) -> Connection[T]:
    """Run one page query in the request's read scope and wrap it as a Relay connection."""
    size = page_size(first)
    ctx = info.context
    try:
        page = await ctx.read(lambda session: fetch(session, size))
    except InvalidCursor as exc:
        raise BadUserInput(str(exc)) from None
    edges = [Edge(cursor=c, node=convert(row)) for c, row in zip(page.cursors, page.rows, strict=True)]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=page.has_next,
            has_previous_page=page.has_previous,
            start_cursor=page.cursors[0] if page.cursors else None,
            end_cursor=page.cursors[-1] if page.cursors else None,
        ),
        _count=lambda: ctx.read(page.total_count),
    )
