"""The mutation boundary: one transaction per mutation, refusals become payload errors."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import strawberry

from schema.types.common import UserError, user_errors
from services.errors import DomainError
from services.unit_of_work import UnitOfWork, unit_of_work

T = TypeVar("T")


async def mutate(
    info: strawberry.Info, action: Callable[[UnitOfWork], Awaitable[T]]
) -> tuple[T | None, list[UserError]]:
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
