"""Shapes shared by the whole schema: user errors, Relay connections, scalars, and the one-line
declarations of an object type's fields (its columns, its relations, its pages):

    @strawberry.type
    class Escalation(FromRow[EscalationRow]):  # Escalation.from_row(row): from_columns(Escalation, row)
        reason: str                            # the row's column of the same name
        status: EscalationStatus               # the column, as the enum
        ticket: Ticket = required("tickets", "ticket_id", lambda: Ticket)
        closed_by: User | None = to_one("users", "closed_by_id", lambda: User)
        participants: list[User] = to_many("participants_by_escalation", lambda: User)
        _row: strawberry.Private[EscalationRow]  # what the relations read their keys from

A relation's GraphQL type is its annotation (the resolvers have none); `lambda: User` names the class
whose `from_row` converts the loaded rows, looked up when the field runs (so a type defined further down
works, and `lazy_type(module, name)` one of a domain that imports this one).
"""

from __future__ import annotations

import dataclasses
import importlib
import operator
import uuid
from collections.abc import Awaitable, Callable, Hashable
from enum import Enum
from typing import Annotated, Any, Generic, Protocol, Self, TypeVar, Unpack

import strawberry
from graphql import GraphQLError
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay
from strawberry.types.base import StrawberryOptional
from strawberry.types.enum import StrawberryEnumDefinition

from db.repositories.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, InvalidCursor, Page, Window
from schema.context import Info
from schema.ids import decode_id, to_global_id
from schema.loaders import DataLoaders, load_list, load_one, load_required
from services import i18n
from services.access import Action, allowed
from services.errors import DomainError, ErrorCode, ValidationFailed

T = TypeVar("T")
R = TypeVar("R")

# The GraphQL enum `UserErrorCode` is services.errors.ErrorCode itself: its values, in its order.
UserErrorCode = Annotated[ErrorCode, strawberry.enum(name="UserErrorCode")]


@strawberry.type
class UserError:
    code: UserErrorCode
    field: list[str] | None
    message: str


def user_errors(error: DomainError, language: str = i18n.ENGLISH) -> list[UserError]:
    """The refusal as the payload's errors, its messages in the caller's `language` (codes never change)."""
    problems = error.problems if isinstance(error, ValidationFailed) else [error]
    return [UserError(code=p.code, field=p.field, message=i18n.render(p.message, language)) for p in problems]


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
    def __init__(self, message: str):  # a message of services/i18n.py (a literal is its msgid)
        super().__init__(i18n.text(message), extensions={"code": "BAD_USER_INPUT"})


def query_id(value: strawberry.ID | None, type_name: str, field: str) -> uuid.UUID | None:
    """An id argument of a query; a malformed one is the client's mistake (BAD_USER_INPUT)."""
    if value is None:
        return None
    try:
        return decode_id(value, type_name, field)
    except DomainError as error:
        raise BadUserInput(error.message) from None


def page_size(first: int | None, name: str = "first") -> int:
    """`first` (or `last`) defaults to 20 and is capped at 100: asking for more is an error, never a silent cut."""
    if first is None:
        return DEFAULT_PAGE_SIZE
    if first < 0 or first > MAX_PAGE_SIZE:
        raise BadUserInput(
            i18n.T("{name} must be between 0 and {max} (got {first})", name=name, max=MAX_PAGE_SIZE, first=first)
        )
    return first


def page_window(first: int | None, after: str | None, last: int | None = None, before: str | None = None) -> Window:
    """A connection field's page arguments as one direction and a size (Relay): forwards `first`/`after`,
    backwards `last`/`before`. Both directions at once (`first` with `last`, `after` with `before`, or one
    of each) name no single page and are refused (BAD_USER_INPUT, like a size out of range), nothing read."""
    if (first is not None or after is not None) and (last is not None or before is not None):
        raise BadUserInput("page forwards with first/after or backwards with last/before, not both at once")
    if last is not None or before is not None:
        return {"last": page_size(last, "last"), "before": before}
    return {"first": page_size(first), "after": after}


async def connection(
    info: Info,
    fetch: Callable[[AsyncSession, Window], Awaitable[Page]],
    window: Window,
    convert: Callable[[Any], T],
) -> Connection[T]:
    """Run one page query (`fetch(session, window)`, `window` from `page_window`) in the request's read
    scope and wrap it as a Relay connection."""
    ctx = info.context
    try:
        page = await ctx.read(lambda session: fetch(session, window))
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


def may_read_internal(info: Info) -> bool:
    """Whether the caller sees internal entries (INTERNAL comments, consultation notes) on timelines."""
    return allowed(info.context.principal, Action.READ_INTERNAL_COMMENTS)


# --- an object type's fields, one line each -------------------------------------------------------

TypeOf = Callable[[], Any]
"""The GraphQL type of a relation, as a thunk (`lambda: User`): a class with `from_row(row)`."""

RowKey = str | Callable[[Any], Hashable | None]
"""Where a relation's loader key is: the name of a column of `self._row` (`"owner_id"`), or a function
of the row (None: no related object, nothing is loaded)."""


def lazy_type(module: str, name: str) -> TypeOf:
    """`of` for a type of a domain that imports this one (a cycle), the annotation being
    `Annotated[Name, strawberry.lazy(module)]`: the class is imported when the field first runs."""
    return lambda: getattr(importlib.import_module(module), name)


def _loader(name: str) -> str:
    if name not in DataLoaders.__dataclass_fields__:
        raise ValueError(f"DataLoaders has no loader {name!r}")
    return name


def _key_of(key: RowKey) -> Callable[[Any], Any]:
    return operator.attrgetter(key) if isinstance(key, str) else key


def to_one(loader: str, key: RowKey, of: TypeOf, *, description: str | None = None) -> Any:
    """A nullable relation (`closed_by: User | None = to_one("users", "closed_by_id", lambda: User)`):
    the row `info.context.loaders.<loader>` has for the key, None when the key is null or there is no row."""
    name, key_of = _loader(loader), _key_of(key)

    async def resolve(root: Any, info: Info):
        return await load_one(getattr(info.context.loaders, name), key_of(root._row), of().from_row)

    return strawberry.field(resolver=resolve, description=description)


def required(loader: str, key: RowKey, of: TypeOf, *, description: str | None = None) -> Any:
    """A non-null relation the database guarantees (`customer: Customer = required("customers",
    "customer_id", lambda: Customer)`): a missing row is a bug (LookupError)."""
    name, key_of = _loader(loader), _key_of(key)

    async def resolve(root: Any, info: Info):
        return await load_required(getattr(info.context.loaders, name), key_of(root._row), of().from_row)

    return strawberry.field(resolver=resolve, description=description)


def to_many(loader: str, of: TypeOf, *, description: str | None = None) -> Any:
    """A list of the rows that belong to this one (`contacts: list[Contact] = to_many("contacts_by_customer",
    lambda: Contact)`): the loader's group for `self._row.id`, in the repository's order."""
    name = _loader(loader)

    async def resolve(root: Any, info: Info):
        return await load_list(getattr(info.context.loaders, name), root._row.id, of().from_row)

    return strawberry.field(resolver=resolve, description=description)


class VisiblePage(Protocol):
    """A repository's page of the entries of one parent, internal ones only when asked."""

    def __call__(
        self, session: AsyncSession, parent_id: uuid.UUID, /, *, include_internal: bool, **page: Unpack[Window]
    ) -> Awaitable[Page[Any]]: ...


def visible_page(fetch: Callable[[], VisiblePage], of: TypeOf, *, description: str) -> Any:
    """A connection field `(first, after, last, before)` of `fetch()(session, self._row.id, ...)` (a timeline,
    a ticket's comments): internal entries only for callers who may read internal comments (`may_read_internal`).
    `fetch` is a thunk like `of` (`lambda: activity_repo.customer_timeline`): the function is the one the
    module has when the field runs."""

    async def resolve(
        root: Any,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ):
        page_of, parent_id, internal = fetch(), root._row.id, may_read_internal(info)
        return await connection(
            info,
            lambda s, window: page_of(s, parent_id, include_internal=internal, **window),
            page_window(first, after, last, before),
            of().from_row,
        )

    return strawberry.field(resolver=resolve, description=description)


def _enum_of(field: Any) -> Callable[[Any], Enum] | None:
    """The Python enum of a field typed `SomeEnum` or `SomeEnum | None`, else None."""
    graphql_type = field.type
    if isinstance(graphql_type, StrawberryOptional):
        graphql_type = graphql_type.of_type
    return graphql_type.wrapped_cls if isinstance(graphql_type, StrawberryEnumDefinition) else None


def _column(name: str, enum: Callable[[Any], Enum] | None) -> Callable[[Any], Any]:
    if enum is None:
        return operator.attrgetter(name)

    def converted(row: Any) -> Any:
        value = getattr(row, name)
        return None if value is None else enum(value)

    return converted


def _getters(cls: Any) -> dict[str, Callable[[Any], Any]]:
    """How `from_columns` reads each field `cls.__init__` takes from a row (worked out once per type)."""
    definition = cls.__strawberry_definition__
    typed = {field.python_name: field for field in definition.fields}
    getters: dict[str, Callable[[Any], Any]] = {}
    for field in dataclasses.fields(cls):
        if not field.init:  # a field with a resolver
            continue
        if field.name == "_row":
            getters[field.name] = lambda row: row
        elif field.name == "id" and issubclass(cls, relay.Node):
            getters[field.name] = lambda row: str(row.id)  # relay makes it the global id
        elif field.name == "id":
            getters[field.name] = lambda row: strawberry.ID(to_global_id(definition.name, row.id))
        else:
            typed_field = typed.get(field.name)
            getters[field.name] = _column(field.name, _enum_of(typed_field) if typed_field else None)
    return getters


_GETTERS: dict[type, dict[str, Callable[[Any], Any]]] = {}


def from_columns(cls: type[T], row: Any, **computed: Any) -> T:
    """The object of type `cls` for a db row: each field its `__init__` takes is the row's column of the
    same name, converted to the field's enum where it has one; `id` is the row's id (`str(row.id)` on a
    Node, which relay makes a global id; the global id of the type on any other), `_row` the row itself.
    `computed` gives the fields that are not a column as it is (`Order.delivery_date`, `Solution.version`)."""
    if cls not in _GETTERS:
        _GETTERS[cls] = _getters(cls)
    values = {name: computed[name] if name in computed else get(row) for name, get in _GETTERS[cls].items()}
    return cls(**values)


class FromRow(Generic[R]):
    """The base of an object type made from one db row (`class Ticket(relay.Node, FromRow[TicketRow])`):
    `Ticket.from_row(row)` is `from_columns(Ticket, row)`. A type with computed fields overrides it."""

    @classmethod
    def from_row(cls, row: R) -> Self:
        return from_columns(cls, row)
