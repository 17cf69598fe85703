"""Customers: Customer, Contact, the activity timeline, and the enum of customers."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay

from db.models import Activity as ActivityRow
from db.models import Contact as ContactRow
from db.models import Customer as CustomerRow
from db.repositories import activity as activity_repo
from db.repositories import feedback as feedback_repo
from db.repositories import orders as orders_repo
from schema.context import Info
from schema.ids import to_global_id
from schema.loaders import int_key, load_list, load_nodes, load_one, load_required, node_resolver
from schema.permissions import Allowed
from schema.types.accounts import User
from schema.types.common import Connection, connection
from services.access import Action, allowed
from services.rules.customers import LifecycleStage

# The types of the domains that refer back to customers (a cycle): strawberry.lazy at runtime.
if TYPE_CHECKING:
    from schema.types.feedback import Feedback, SatisfactionSummary
    from schema.types.orders import Order
    from schema.types.tickets import Ticket, TicketFilter

__all__ = ["Activity", "Contact", "Customer", "LifecycleStage", "customer_field", "may_read_internal"]


@strawberry.type
class Contact(relay.Node):
    id: relay.NodeID[str]
    name: str
    title: str | None
    is_primary: bool
    _phone: strawberry.Private[str | None]
    _email: strawberry.Private[str | None]
    resolve_nodes = node_resolver(lambda loaders: loaders.contacts)  # node(id:)

    # Contact details are personal data: people may read them, API keys never.
    @strawberry.field(permission_classes=[Allowed(Action.READ_CONTACT_DETAILS)])
    def phone(self) -> str | None:
        return self._phone

    @strawberry.field(permission_classes=[Allowed(Action.READ_CONTACT_DETAILS)])
    def email(self) -> str | None:
        return self._email

    @classmethod
    def from_row(cls, row: ContactRow) -> Contact:
        return cls(
            id=str(row.id),
            name=row.name,
            title=row.title,
            is_primary=row.is_primary,
            _phone=row.phone,
            _email=row.email,
        )


def may_read_internal(info: Info) -> bool:
    """Whether the caller sees internal entries (INTERNAL comments, consultation notes) on timelines."""
    return allowed(info.context.principal, Action.READ_INTERNAL_COMMENTS)


@strawberry.type
class Activity(relay.Node):
    id: relay.NodeID[str]
    at: datetime
    action: str
    entity_type: str
    summary: str
    _row: strawberry.Private[ActivityRow]

    @strawberry.field
    def entity_id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id(self.entity_type, self._row.entity_id))

    @strawberry.field
    async def actor(self, info: Info) -> User | None:
        return await load_one(info.context.loaders.users, self._row.actor_id, User.from_row)

    @classmethod
    def from_row(cls, row: ActivityRow) -> Activity:
        return cls(
            id=str(row.seq),
            at=row.at,
            action=row.action,
            entity_type=row.entity_type,
            summary=row.summary,
            _row=row,
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


@strawberry.type
class Customer(relay.Node):
    id: relay.NodeID[str]
    code: str
    name: str
    industry: str | None
    region: str | None
    lifecycle_stage: LifecycleStage
    created_at: datetime
    updated_at: datetime
    version: int
    _row: strawberry.Private[CustomerRow]
    resolve_nodes = node_resolver(lambda loaders: loaders.customers)  # node(id:)

    @strawberry.field
    async def owner(self, info: Info) -> User | None:
        return await load_one(info.context.loaders.users, self._row.owner_id, User.from_row)

    @strawberry.field
    async def contacts(self, info: Info) -> list[Contact]:
        return await load_list(info.context.loaders.contacts_by_customer, self._row.id, Contact.from_row)

    @strawberry.field(description="Everything that happened to this customer and its work items, oldest first.")
    async def timeline(self, info: Info, first: int | None = None, after: str | None = None) -> Connection[Activity]:
        customer_id, internal = self._row.id, may_read_internal(info)
        return await connection(
            info,
            lambda s, size: activity_repo.customer_timeline(
                s, customer_id, include_internal=internal, first=size, after=after
            ),
            first,
            Activity.from_row,
        )

    # The next fields return types of the domains that import this module: their converters are
    # imported when the field runs.
    @strawberry.field(description="The customer's orders, newest first.")
    async def orders(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Annotated[Order, strawberry.lazy("schema.types.orders")]]:
        from schema.types.orders import Order

        customer_id = self._row.id
        return await connection(
            info,
            lambda s, size: orders_repo.page(s, first=size, after=after, customer_id=customer_id),
            first,
            Order.from_row,
        )

    @strawberry.field(description="The customer's feedback records, newest first.")
    async def feedback(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Annotated[Feedback, strawberry.lazy("schema.types.feedback")]]:
        from schema.types.feedback import Feedback

        customer_id = self._row.id
        return await connection(
            info,
            lambda s, size: feedback_repo.page(s, first=size, after=after, customer_id=customer_id),
            first,
            Feedback.from_row,
        )

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
        filter: Annotated[TicketFilter, strawberry.lazy("schema.types.tickets")] | None = None,
    ) -> Connection[Annotated[Ticket, strawberry.lazy("schema.types.tickets")]]:
        from schema.types.tickets import ticket_connection

        return await ticket_connection(info, first, after, filter, customer_id=self._row.id)

    @classmethod
    def from_row(cls, row: CustomerRow) -> Customer:
        return cls(
            id=str(row.id),
            code=row.code,
            name=row.name,
            industry=row.industry,
            region=row.region,
            lifecycle_stage=LifecycleStage(row.lifecycle_stage),
            created_at=row.created_at,
            updated_at=row.updated_at,
            version=row.version,
            _row=row,
        )


def customer_field() -> Any:
    """The field `customer: Customer` of a type whose `_row` has a (non-null) `customer_id`."""

    async def customer(root: Any, info: Info) -> Customer:
        return await load_required(info.context.loaders.customers, root._row.customer_id, Customer.from_row)

    return strawberry.field(resolver=customer)
