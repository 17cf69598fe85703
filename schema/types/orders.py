"""Orders (in-sale handoff): Order, OrderItem, and the enum of orders."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay

from db.models import Order as OrderRow
from db.models import OrderItem as OrderItemRow
from db.repositories import activity as activity_repo
from schema.context import Info
from schema.loaders import load_list, load_one, load_required, node_resolver
from schema.types.accounts import User
from schema.types.common import Connection, connection
from schema.types.customers import Activity, Customer, customer_field, may_read_internal
from services.rules.orders import OrderStatus

# The types of the domains that refer back to orders (a cycle): strawberry.lazy at runtime.
if TYPE_CHECKING:
    from schema.types.presale import Opportunity
    from schema.types.service_jobs import ServiceJob
    from schema.types.tickets import Ticket

__all__ = ["Order", "OrderItem", "OrderStatus", "order_field"]


@strawberry.type
class OrderItem:
    product_model: str
    description: str | None
    quantity: int
    unit_price: Decimal | None

    @classmethod
    def from_row(cls, row: OrderItemRow) -> OrderItem:
        return cls(
            product_model=row.product_model,
            description=row.description,
            quantity=row.quantity,
            unit_price=row.unit_price,
        )


@strawberry.type
class Order(relay.Node):
    id: relay.NodeID[str]
    number: str
    delivery_date: str | None = strawberry.field(description="ISO date (YYYY-MM-DD).")
    special_requirements: str | None
    contract_value: Decimal
    status: OrderStatus
    handed_off_at: datetime | None
    confirmation_due_at: datetime | None = strawberry.field(
        description="When service must have confirmed or returned the latest handoff (24 h after it)."
    )
    confirmed_at: datetime | None
    return_reason: str | None = strawberry.field(description="Why service returned it the last time.")
    returned_at: datetime | None
    cancelled_at: datetime | None
    completed_at: datetime | None
    created_at: datetime
    version: int
    _row: strawberry.Private[OrderRow]
    resolve_nodes = node_resolver(lambda loaders: loaders.orders)  # node(id:)
    customer: Customer = customer_field()

    @strawberry.field
    async def owner(self, info: Info) -> User:
        return await load_required(info.context.loaders.users, self._row.owner_id, User.from_row)

    @strawberry.field(description="The pre-sale opportunity this order came from (set at creation or when won).")
    async def opportunity(self, info: Info) -> Annotated[Opportunity, strawberry.lazy("schema.types.presale")] | None:
        from schema.types.presale import Opportunity

        return await load_one(info.context.loaders.opportunities, self._row.opportunity_id, Opportunity.from_row)

    @strawberry.field
    async def handed_off_by(self, info: Info) -> User | None:
        return await load_one(info.context.loaders.users, self._row.handed_off_by_id, User.from_row)

    @strawberry.field
    async def confirmed_by(self, info: Info) -> User | None:
        return await load_one(info.context.loaders.users, self._row.confirmed_by_id, User.from_row)

    @strawberry.field
    async def items(self, info: Info) -> list[OrderItem]:
        return await load_list(info.context.loaders.items_by_order, self._row.id, OrderItem.from_row)

    @strawberry.field(description="The order's service jobs, earliest scheduled first.")
    async def service_jobs(
        self, info: Info
    ) -> list[Annotated[ServiceJob, strawberry.lazy("schema.types.service_jobs")]]:
        from schema.types.service_jobs import ServiceJob

        return await load_list(info.context.loaders.service_jobs_by_order, self._row.id, ServiceJob.from_row)

    @strawberry.field(description="Tickets about this order, newest first.")
    async def tickets(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Annotated[Ticket, strawberry.lazy("schema.types.tickets")]]:
        from schema.types.tickets import ticket_connection

        return await ticket_connection(info, first, after, None, order_id=self._row.id)

    @strawberry.field(description="Everything that happened to this order and its service jobs, oldest first.")
    async def timeline(self, info: Info, first: int | None = None, after: str | None = None) -> Connection[Activity]:
        order_id, internal = self._row.id, may_read_internal(info)
        return await connection(
            info,
            lambda s, size: activity_repo.order_timeline(
                s, order_id, include_internal=internal, first=size, after=after
            ),
            first,
            Activity.from_row,
        )

    @classmethod
    def from_row(cls, row: OrderRow) -> Order:
        return cls(
            id=str(row.id),
            number=row.number,
            delivery_date=row.delivery_date.isoformat() if row.delivery_date else None,
            special_requirements=row.special_requirements,
            contract_value=row.contract_value,
            status=OrderStatus(row.status),
            handed_off_at=row.handed_off_at,
            confirmation_due_at=row.confirmation_due_at,
            confirmed_at=row.confirmed_at,
            return_reason=row.return_reason,
            returned_at=row.returned_at,
            cancelled_at=row.cancelled_at,
            completed_at=row.completed_at,
            created_at=row.created_at,
            version=row.version,
            _row=row,
        )


def order_field() -> Any:
    """The field `order: Order | None` of a type whose `_row` has a nullable `order_id`."""

    async def order(root: Any, info: Info) -> Order | None:
        return await load_one(info.context.loaders.orders, root._row.order_id, Order.from_row)

    return strawberry.field(resolver=order)
