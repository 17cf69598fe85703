"""Customer, Contact and the activity timeline."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Annotated

import strawberry
from strawberry import relay

from db.models import Activity as ActivityRow
from db.models import Contact as ContactRow
from db.models import Customer as CustomerRow
from db.repositories import activity as activity_repo
from schema.ids import to_global_id
from schema.permissions import Allowed
from schema.types.accounts import User
from schema.types.common import Connection, connection
from schema.types.enums import LifecycleStage
from services.access import Action, allowed


@strawberry.type
class Contact(relay.Node):
    id: relay.NodeID[str]
    name: str
    title: str | None
    is_primary: bool
    _customer_id: strawberry.Private[str]
    _phone: strawberry.Private[str | None]
    _email: strawberry.Private[str | None]

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
            _customer_id=str(row.customer_id),
            _phone=row.phone,
            _email=row.email,
        )

    @classmethod
    async def resolve_nodes(cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False):
        return await info.context.loaders.load_many("contact", node_ids, cls.from_row)


def may_read_internal(info: strawberry.Info) -> bool:
    """Whether the caller sees internal entries (INTERNAL comments, consultation notes) on timelines."""
    return allowed(info.context.principal, Action.READ_INTERNAL_COMMENTS)


@strawberry.type
class Activity(relay.Node):
    id: relay.NodeID[str]
    at: datetime
    action: str
    entity_type: str
    summary: str
    _entity_id: strawberry.Private[str]
    _actor_id: strawberry.Private[str | None]

    @strawberry.field
    def entity_id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id(self.entity_type, self._entity_id))

    @strawberry.field
    async def actor(self, info: strawberry.Info) -> User | None:
        return await info.context.loaders.load_optional("user", self._actor_id, User.from_row)

    @classmethod
    def from_row(cls, row: ActivityRow) -> Activity:
        return cls(
            id=str(row.seq),
            at=row.at,
            action=row.action,
            entity_type=row.entity_type,
            summary=row.summary,
            _entity_id=str(row.entity_id),
            _actor_id=str(row.actor_id) if row.actor_id else None,
        )

    @classmethod
    async def resolve_nodes(cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False):
        # An internal entry is hidden by id too (ids are sequence numbers: easy to guess).
        internal = may_read_internal(info)
        return await info.context.loaders.load_many(
            "activity", node_ids, lambda row: cls.from_row(row) if internal or not row.internal else None
        )


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
    _owner_id: strawberry.Private[str | None]

    @strawberry.field
    async def owner(self, info: strawberry.Info) -> User | None:
        return await info.context.loaders.load_optional("user", self._owner_id, User.from_row)

    @strawberry.field
    async def contacts(self, info: strawberry.Info) -> list[Contact]:
        rows = await info.context.loaders.contacts_by_customer.load(self.id)
        return [Contact.from_row(r) for r in rows]

    @strawberry.field(description="Everything that happened to this customer and its work items, oldest first.")
    async def timeline(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None
    ) -> Connection[Activity]:
        customer_id, internal = self.id, may_read_internal(info)
        return await connection(
            info,
            lambda s, size: activity_repo.customer_timeline(
                s, uuid.UUID(customer_id), include_internal=internal, first=size, after=after
            ),
            first,
            Activity.from_row,
        )

    # In-sale and feedback (schema/types/orders.py, feedback.py import this module, hence lazy).
    @strawberry.field(description="The customer's orders, newest first.")
    async def orders(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None
    ) -> Connection[Annotated[Order, strawberry.lazy("schema.types.orders")]]:
        from schema.types.orders import customer_orders

        return await customer_orders(info, self.id, first, after)

    @strawberry.field(description="The customer's feedback records, newest first.")
    async def feedback(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None
    ) -> Connection[Annotated[Feedback, strawberry.lazy("schema.types.feedback")]]:
        from schema.types.feedback import customer_feedback

        return await customer_feedback(info, self.id, first, after)

    @strawberry.field(description="Count, mean score and share of 4–5 scores of the customer's feedback.")
    async def satisfaction(
        self, info: strawberry.Info
    ) -> Annotated[SatisfactionSummary, strawberry.lazy("schema.types.feedback")]:
        from schema.types.feedback import customer_satisfaction

        return await customer_satisfaction(info, self.id)

    @strawberry.field(description="The customer's tickets, newest first.")
    async def tickets(
        self,
        info: strawberry.Info,
        first: int | None = None,
        after: str | None = None,
        filter: Annotated[TicketFilter, strawberry.lazy("schema.types.tickets")] | None = None,
    ) -> Connection[Annotated[Ticket, strawberry.lazy("schema.types.tickets")]]:
        from schema.types.tickets import customer_tickets

        return await customer_tickets(info, self.id, first, after, filter)

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
            _owner_id=str(row.owner_id) if row.owner_id else None,
        )

    @classmethod
    async def resolve_nodes(cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False):
        return await info.context.loaders.load_many("customer", node_ids, cls.from_row)
