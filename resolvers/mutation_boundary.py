"""The mutation boundary: every mutation's writes run here, in one transaction (`mutate`), and a refusal
becomes the payload's errors."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from schema.context import Info
from schema.types.common import UserError, user_errors
from services.errors import DomainError
from services.unit_of_work import UnitOfWork, unit_of_work

T = TypeVar("T")


class _Row(Protocol):
    @property
    def id(self) -> uuid.UUID: ...


R = TypeVar("R", bound=_Row)


async def mutate(info: Info, action: Callable[[UnitOfWork], Awaitable[T]]) -> tuple[T | None, list[UserError]]:
    """Run `action` in its own transaction. A DomainError rolls everything back (no row, no audit,
    no event) and is returned as user errors; anything else propagates and is masked for the client."""
    ctx = info.context
    services = ctx.services
    try:
        async with unit_of_work(services.db.sessions, ctx.principal, services.clock, services.announcer) as uow:
            result = await action(uow)
    except DomainError as error:
        return None, user_errors(error)
    await ctx.after_commit()
    return result, []


def given(value: object) -> bool:
    """True when an optional input field was sent (even as null), False when it was left out."""
    return value is not strawberry.UNSET


async def create_once(
    uow: UnitOfWork,
    operation: str,
    key: str | None,
    request: Any,
    create: Callable[[], Awaitable[R]],
    get: Callable[[AsyncSession, uuid.UUID], Awaitable[R | None]],
) -> R:
    """A create mutation with an `idempotencyKey` (`uow.idempotent`): the first request creates the row,
    a retry with the same key and request gets that row back (read with the repository's `get`)."""

    async def load(row_id: uuid.UUID) -> R:
        row = await get(uow.session, row_id)
        if row is None:  # created rows are never deleted
            raise LookupError(f"{operation}: the row {row_id} created for this idempotency key is gone")
        return row

    return await uow.idempotent(operation, key, request, create=create, load=load, result_id=lambda row: row.id)
