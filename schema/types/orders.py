"""Orders (in-sale handoff): Order, OrderItem, and the enum of orders."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay

from db.models import Order as OrderRow
from db.models import OrderItem as OrderItemRow
from db.repositories import activity as activity_repo
from db.repositories import orders as orders_repo
from schema.context import Info
from schema.loaders import node_resolver
from schema.types.accounts import User
from schema.types.comments import CommentConnection, comments_of
from schema.types.common import (
    Connection,
    FromRow,
    from_columns,
    lazy_type,
    page_window,
    required,
    to_many,
    to_one,
    visible_page,
)
from schema.types.customers import Activity, Customer
from services.rules.orders import OrderStatus

# The types of the domains that refer back to orders (a cycle): strawberry.lazy at runtime.
if TYPE_CHECKING:
    from schema.types.presale import Opportunity
    from schema.types.service_jobs import ServiceJob
    from schema.types.tickets import Ticket

__all__ = ["Order", "OrderItem", "OrderStatus"]


@strawberry.enum(description="The order of the order list; every order ends with the id (exact pages).")
class OrdersOrderBy(Enum):
    CREATED_AT_DESC = strawberry.enum_value("CREATED_AT_DESC", description="Newest first (the default).")
    CREATED_AT_ASC = "CREATED_AT_ASC"
    CONTRACT_VALUE_DESC = strawberry.enum_value("CONTRACT_VALUE_DESC", description="The largest contract first.")
    CONTRACT_VALUE_ASC = "CONTRACT_VALUE_ASC"
    DELIVERY_DATE_ASC = strawberry.enum_value(
        "DELIVERY_DATE_ASC", description="The earliest delivery first; orders without a delivery date last."
    )
    DELIVERY_DATE_DESC = strawberry.enum_value(
        "DELIVERY_DATE_DESC", description="The latest delivery first; orders without a delivery date first."
    )


assert {o.value for o in OrdersOrderBy} == set(orders_repo.ORDERINGS), "one value per repository ordering"


@strawberry.type
class OrderItem(FromRow[OrderItemRow]):
    product_model: str
    description: str | None
    quantity: int
    unit_price: Decimal | None


async def _tickets(
    root: Any,
    info: Info,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
):
    """`Order.tickets` (the tickets' module imports this one: it is imported when the field runs)."""
    from schema.types.tickets import ticket_connection

    return await ticket_connection(info, page_window(first, after, last, before), None, order_id=root._row.id)


@strawberry.type
class Order(relay.Node, FromRow[OrderRow]):
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
    customer: Customer = required("customers", "customer_id", lambda: Customer)
    owner: User = required("users", "owner_id", lambda: User)
    # The types of the domains that import this module: their classes are imported when the field runs.
    opportunity: Annotated[Opportunity, strawberry.lazy("schema.types.presale")] | None = to_one(
        "opportunities",
        "opportunity_id",
        lazy_type("schema.types.presale", "Opportunity"),
        description="The pre-sale opportunity this order came from (set at creation or when won).",
    )
    handed_off_by: User | None = to_one("users", "handed_off_by_id", lambda: User)
    confirmed_by: User | None = to_one("users", "confirmed_by_id", lambda: User)
    items: list[OrderItem] = to_many("items_by_order", lambda: OrderItem)
    service_jobs: list[Annotated[ServiceJob, strawberry.lazy("schema.types.service_jobs")]] = to_many(
        "service_jobs_by_order",
        lazy_type("schema.types.service_jobs", "ServiceJob"),
        description="The order's service jobs, earliest scheduled first.",
    )
    tickets: Connection[Annotated[Ticket, strawberry.lazy("schema.types.tickets")]] = strawberry.field(
        resolver=_tickets, description="Tickets about this order, newest first."
    )
    timeline: Connection[Activity] = visible_page(
        lambda: activity_repo.order_timeline,
        lambda: Activity,
        description="Everything that happened to this order and its service jobs, oldest first.",
    )
    comments: CommentConnection = comments_of("Order")
    _row: strawberry.Private[OrderRow]
    resolve_nodes = node_resolver(lambda loaders: loaders.orders)  # node(id:)

    @classmethod
    def from_row(cls, row: OrderRow) -> Order:
        return from_columns(cls, row, delivery_date=row.delivery_date.isoformat() if row.delivery_date else None)
