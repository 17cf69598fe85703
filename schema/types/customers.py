"""Customers: Customer, Contact, the activity timeline, and the enum of customers."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any, Protocol, Unpack

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay

from db.models import Activity as ActivityRow
from db.models import Contact as ContactRow
from db.models import Customer as CustomerRow
from db.repositories import activity as activity_repo
from db.repositories import customers as customers_repo
from db.repositories import feedback as feedback_repo
from db.repositories import orders as orders_repo
from db.repositories.pagination import Page, Window
from schema.context import Info
from schema.ids import to_global_id
from schema.loaders import int_key, load_nodes, node_resolver
from schema.types.accounts import User, contact_detail
from schema.types.common import (
    Connection,
    FromRow,
    TypeOf,
    connection,
    from_columns,
    lazy_type,
    may_read_internal,
    page_window,
    to_many,
    to_one,
    visible_page,
)
from schema.types.field_changes import FieldChange, field_changes
from services.rules.customers import LifecycleStage

# The types of the domains that refer back to customers (a cycle): strawberry.lazy at runtime.
if TYPE_CHECKING:
    from schema.types.feedback import Feedback, SatisfactionSummary
    from schema.types.orders import Order
    from schema.types.tickets import Ticket, TicketFilter

__all__ = ["Activity", "Contact", "Customer", "LifecycleStage"]


@strawberry.type
class Contact(relay.Node, FromRow[ContactRow]):
    id: relay.NodeID[str]
    name: str
    title: str | None
    is_primary: bool
    phone: str | None = contact_detail()
    email: str | None = contact_detail()
    resolve_nodes = node_resolver(lambda loaders: loaders.contacts)  # node(id:)


@strawberry.type
class Activity(relay.Node, FromRow[ActivityRow]):
    id: relay.NodeID[str]
    at: datetime
    action: str
    entity_type: str
    summary: str
    entity_id: strawberry.ID
    actor: User | None = to_one("users", "actor_id", lambda: User)
    _row: strawberry.Private[ActivityRow]

    @strawberry.field(description="What the change did to each field: old and new values as the API shows them.")
    def changes(self) -> list[FieldChange]:
        return field_changes(self._row.changes)

    @classmethod
    def from_row(cls, row: ActivityRow) -> Activity:
        return from_columns(
            cls, row, id=str(row.seq), entity_id=strawberry.ID(to_global_id(row.entity_type, row.entity_id))
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]  # strawberry's overloads, one implementation
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Activity | None]:
        # An internal entry is hidden by id too (ids are sequence numbers: easy to guess).
        internal = may_read_internal(info)

        def visible(row: ActivityRow) -> Activity | None:
            return cls.from_row(row) if internal or not row.internal else None

        return await load_nodes(info.context.loaders.activities, node_ids, visible, int_key)


class _CustomerPage(Protocol):
    """A repository's page of one customer's rows (orders, feedback)."""

    def __call__(
        self, session: AsyncSession, *, customer_id: uuid.UUID, **page: Unpack[Window]
    ) -> Awaitable[Page[Any]]: ...


def _customer_page(fetch: Callable[[], _CustomerPage], of: TypeOf, *, description: str) -> Any:
    """A connection field `(first, after, last, before)` of `fetch()(session, ..., customer_id=self._row.id)`."""

    async def resolve(
        root: Any,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ):
        page_of, customer_id = fetch(), root._row.id
        return await connection(
            info,
            lambda s, window: page_of(s, customer_id=customer_id, **window),
            page_window(first, after, last, before),
            of().from_row,
        )

    return strawberry.field(resolver=resolve, description=description)


@strawberry.enum(description="The order of the customer list; every order ends with the id (exact pages).")
class CustomersOrderBy(Enum):
    NAME_ASC = strawberry.enum_value("NAME_ASC", description="Alphabetically, any case (the default).")
    NAME_DESC = "NAME_DESC"
    CREATED_AT_DESC = strawberry.enum_value("CREATED_AT_DESC", description="Newest first.")
    CREATED_AT_ASC = "CREATED_AT_ASC"


assert {o.value for o in CustomersOrderBy} == set(customers_repo.ORDERINGS), "one value per repository ordering"


@strawberry.type
class Customer(relay.Node, FromRow[CustomerRow]):
    id: relay.NodeID[str]
    code: str
    name: str
    industry: str | None
    region: str | None
    lifecycle_stage: LifecycleStage
    created_at: datetime
    updated_at: datetime
    version: int
    owner: User | None = to_one("users", "owner_id", lambda: User)
    contacts: list[Contact] = to_many("contacts_by_customer", lambda: Contact)
    timeline: Connection[Activity] = visible_page(
        lambda: activity_repo.customer_timeline,
        lambda: Activity,
        description="Everything that happened to this customer and its work items, oldest first.",
    )
    # The types of the domains that import this module: their classes are imported when the field runs.
    orders: Connection[Annotated[Order, strawberry.lazy("schema.types.orders")]] = _customer_page(
        lambda: orders_repo.page,
        lazy_type("schema.types.orders", "Order"),
        description="The customer's orders, newest first.",
    )
    feedback: Connection[Annotated[Feedback, strawberry.lazy("schema.types.feedback")]] = _customer_page(
        lambda: feedback_repo.page,
        lazy_type("schema.types.feedback", "Feedback"),
        description="The customer's feedback records, newest first.",
    )
    _row: strawberry.Private[CustomerRow]
    resolve_nodes = node_resolver(lambda loaders: loaders.customers)  # node(id:)

    @strawberry.field(description="Count, mean score and share of 4–5 scores of the customer's feedback.")
    async def satisfaction(
        self, info: Info
    ) -> Annotated[SatisfactionSummary, strawberry.lazy("schema.types.feedback")]:
        from schema.types.feedback import SatisfactionSummary

        return SatisfactionSummary.of(await info.context.loaders.satisfaction_by_customer.load(self._row.id))

    @strawberry.field(description="The customer's tickets, newest first.")
    async def tickets(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        filter: Annotated[TicketFilter, strawberry.lazy("schema.types.tickets")] | None = None,
    ) -> Connection[Annotated[Ticket, strawberry.lazy("schema.types.tickets")]]:
        from schema.types.tickets import ticket_connection

        window = page_window(first, after, last, before)
        return await ticket_connection(info, window, filter, customer_id=self._row.id)
