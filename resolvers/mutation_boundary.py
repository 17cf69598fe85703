"""The mutation boundary: every mutation's writes run here, in one transaction (`mutate`), and a refusal
becomes the payload's errors.

A mutation resolver states its action (what it asks of the services, given the unit of work) and how it
answers:

    _order = Answer(OrderPayload, order=Order.from_row)

    async def hand_off_order(info: Info, input: OrderActionInput) -> OrderPayload:
        return await _order(info, lambda uow: service.hand_off_order(uow, _id(input), input.expected_version))

Ids are decoded inside the action, so a malformed id is a user error like any other refusal. A create
mutation with an `idempotencyKey` states its action with `create_once`.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any, Generic, Protocol, TypeVar

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from schema.compiled.payloads import Committed
from schema.context import Info
from schema.types.common import UserError, user_errors
from services.errors import DomainError
from services.unit_of_work import UnitOfWork, unit_of_work

T = TypeVar("T")
P = TypeVar("P")
Q = TypeVar("Q")

# What a mutation asks of the services, given the unit of work of its transaction.
Work = Callable[[UnitOfWork], Awaitable[T]]


class _Row(Protocol):
    @property
    def id(self) -> uuid.UUID: ...


R = TypeVar("R", bound=_Row)


async def mutate(info: Info, action: Work[T]) -> tuple[T | None, list[UserError]]:
    """Run `action` in its own transaction. A DomainError rolls everything back (no row, no audit,
    no event) and is returned as user errors; anything else propagates and is masked for the client."""
    ctx = info.context
    services = ctx.services
    try:
        async with unit_of_work(
            services.db.sessions, ctx.principal, services.clock, services.announcer, services.policy
        ) as uow:
            result = await action(uow)
    except DomainError as error:
        return None, user_errors(error, ctx.language)
    await ctx.after_commit()
    return result, []


class Answer(Generic[T, P]):
    """How the mutations of one payload type answer. `Answer(OrderPayload, order=Order.from_row)`: `await
    answer(info, action)` runs `action` in `mutate` and returns `OrderPayload(order=Order.from_row(row),
    errors=[])`, or `OrderPayload(order=None, errors=...)` when it was refused."""

    def __init__(self, payload: Callable[..., P], **field: Callable[[T], Any]) -> None:
        ((self.field, self.convert),) = field.items()  # the payload's one object field
        self.payload = payload

    async def __call__(self, info: Info, action: Work[T]) -> P:
        result, errors = await mutate(info, action)
        value = None if result is None else self.convert(result)
        row_id = getattr(result, "id", None)
        if value is not None and isinstance(row_id, uuid.UUID):
            # The committed row's id travels with it: the compiled path may render the payload's
            # selection in one statement (schema/compiled/payloads.py); graphql-core completes `value` else.
            value = Committed(value, row_id)
        return self.payload(**{self.field: value}, errors=errors)


def given(value: object) -> bool:
    """True when an optional input field was sent (even as null), False when it was left out."""
    return value is not strawberry.UNSET


def create_once(
    operation: str,
    key: str | None,
    request: Callable[[], Q],
    create: Callable[[UnitOfWork, Q], Awaitable[R]],
    get: Callable[[AsyncSession, uuid.UUID], Awaitable[R | None]],
) -> Work[R]:
    """The action of a create mutation with an `idempotencyKey` (`uow.idempotent`): `request()` (built
    inside the boundary) is what the service is asked, `create(uow, request)` makes the row the first
    time, and a retry with the same key and request gets that row back (read with the repository's `get`)."""

    async def action(uow: UnitOfWork) -> R:
        data = request()

        async def load(row_id: uuid.UUID) -> R:
            row = await get(uow.session, row_id)
            if row is None:  # created rows are never deleted
                raise LookupError(f"{operation}: the row {row_id} created for this idempotency key is gone")
            return row

        return await uow.idempotent(
            operation, key, data, create=lambda: create(uow, data), load=load, result_id=lambda row: row.id
        )

    return action
