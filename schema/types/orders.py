"""Order, OrderItem and ServiceJob (in-sale), with their loaders."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Annotated

import strawberry
from strawberry import relay

from db.models import Order as OrderRow
from db.models import OrderItem as OrderItemRow
from db.models import ServiceJob as ServiceJobRow
from db.repositories import activity as activity_repo
from db.repositories import orders as orders_repo
from db.repositories import service_jobs as jobs_repo
from schema.loaders import Loaders
from schema.types.accounts import User
from schema.types.common import Connection, connection
from schema.types.customers import Activity, Customer, may_read_internal


@Loaders.extend
def _loaders(loaders: Loaders) -> None:
    loaders.register("order", orders_repo.by_ids, lambda r: str(r.id))
    loaders.register("service_job", jobs_repo.by_ids, lambda r: str(r.id))
    loaders.register_grouped("order_items", orders_repo.items_of, lambda r: str(r.order_id))
    loaders.register_grouped("service_jobs_of_order", jobs_repo.of_orders, lambda r: str(r.order_id))


@strawberry.enum
class OrderStatus(Enum):
    DRAFT = "DRAFT"
    HANDED_OFF = "HANDED_OFF"
    RETURNED = "RETURNED"
    CONFIRMED = "CONFIRMED"
    IN_SERVICE = "IN_SERVICE"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"


@strawberry.enum
class ServiceJobKind(Enum):
    INSTALLATION = "INSTALLATION"
    COMMISSIONING = "COMMISSIONING"
    TRAINING = "TRAINING"
    REPAIR = "REPAIR"
    MAINTENANCE = "MAINTENANCE"
    INSPECTION = "INSPECTION"


@strawberry.enum
class ServiceJobStatus(Enum):
    SCHEDULED = "SCHEDULED"
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"


@strawberry.enum
class QualityResult(Enum):
    PASSED = "PASSED"
    FAILED = "FAILED"


def _str(value: uuid.UUID | None) -> str | None:
    return str(value) if value else None


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
    _customer_id: strawberry.Private[str]
    _owner_id: strawberry.Private[str]
    _opportunity_id: strawberry.Private[str | None]
    _handed_off_by_id: strawberry.Private[str | None]
    _confirmed_by_id: strawberry.Private[str | None]

    @strawberry.field
    async def customer(self, info: strawberry.Info) -> Customer:
        return await info.context.loaders.load_optional("customer", self._customer_id, Customer.from_row)

    @strawberry.field
    async def owner(self, info: strawberry.Info) -> User:
        return await info.context.loaders.load_optional("user", self._owner_id, User.from_row)

    @strawberry.field(description="The pre-sale opportunity this order came from (set at creation or when won).")
    async def opportunity(
        self, info: strawberry.Info
    ) -> Annotated[Opportunity, strawberry.lazy("schema.types.presale")] | None:
        from schema.types.presale import Opportunity  # that module imports this one

        return await info.context.loaders.load_optional("opportunity", self._opportunity_id, Opportunity.from_row)

    @strawberry.field
    async def handed_off_by(self, info: strawberry.Info) -> User | None:
        return await info.context.loaders.load_optional("user", self._handed_off_by_id, User.from_row)

    @strawberry.field
    async def confirmed_by(self, info: strawberry.Info) -> User | None:
        return await info.context.loaders.load_optional("user", self._confirmed_by_id, User.from_row)

    @strawberry.field
    async def items(self, info: strawberry.Info) -> list[OrderItem]:
        return [OrderItem.from_row(r) for r in await info.context.loaders.group("order_items", self.id)]

    @strawberry.field(description="The order's service jobs, earliest scheduled first.")
    async def service_jobs(self, info: strawberry.Info) -> list[ServiceJob]:
        return [ServiceJob.from_row(r) for r in await info.context.loaders.group("service_jobs_of_order", self.id)]

    @strawberry.field(description="Tickets about this order, newest first.")
    async def tickets(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None
    ) -> Connection[Annotated[Ticket, strawberry.lazy("schema.types.tickets")]]:
        from schema.types.tickets import order_tickets

        return await order_tickets(info, self.id, first, after)

    @strawberry.field(description="Everything that happened to this order and its service jobs, oldest first.")
    async def timeline(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None
    ) -> Connection[Activity]:
        order_id, internal = uuid.UUID(self.id), may_read_internal(info)
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
            _customer_id=str(row.customer_id),
            _owner_id=str(row.owner_id),
            _opportunity_id=_str(row.opportunity_id),
            _handed_off_by_id=_str(row.handed_off_by_id),
            _confirmed_by_id=_str(row.confirmed_by_id),
        )

    @classmethod
    async def resolve_nodes(cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False):
        return await info.context.loaders.load_many("order", node_ids, cls.from_row)


@strawberry.type
class ServiceJob(relay.Node):
    id: relay.NodeID[str]
    number: str
    kind: ServiceJobKind
    status: ServiceJobStatus
    scheduled_start: datetime
    scheduled_end: datetime | None
    started_at: datetime | None
    completed_at: datetime | None
    cancelled_at: datetime | None
    quality_result: QualityResult | None
    notes: str | None
    version: int
    _order_id: strawberry.Private[str | None]
    _customer_id: strawberry.Private[str]
    _technician_id: strawberry.Private[str | None]

    @strawberry.field
    async def order(self, info: strawberry.Info) -> Order | None:
        return await info.context.loaders.load_optional("order", self._order_id, Order.from_row)

    @strawberry.field
    async def customer(self, info: strawberry.Info) -> Customer:
        return await info.context.loaders.load_optional("customer", self._customer_id, Customer.from_row)

    @strawberry.field
    async def technician(self, info: strawberry.Info) -> User | None:
        return await info.context.loaders.load_optional("user", self._technician_id, User.from_row)

    @classmethod
    def from_row(cls, row: ServiceJobRow) -> ServiceJob:
        return cls(
            id=str(row.id),
            number=row.number,
            kind=ServiceJobKind(row.kind),
            status=ServiceJobStatus(row.status),
            scheduled_start=row.scheduled_start,
            scheduled_end=row.scheduled_end,
            started_at=row.started_at,
            completed_at=row.completed_at,
            cancelled_at=row.cancelled_at,
            quality_result=QualityResult(row.quality_result) if row.quality_result else None,
            notes=row.notes,
            version=row.version,
            _order_id=_str(row.order_id),
            _customer_id=str(row.customer_id),
            _technician_id=_str(row.technician_id),
        )

    @classmethod
    async def resolve_nodes(cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False):
        return await info.context.loaders.load_many("service_job", node_ids, cls.from_row)


async def customer_orders(
    info: strawberry.Info, customer_id: str, first: int | None, after: str | None
) -> Connection[Order]:
    """`Customer.orders` (called from schema/types/customers.py)."""
    cid = uuid.UUID(customer_id)
    return await connection(
        info, lambda s, size: orders_repo.page(s, first=size, after=after, customer_id=cid), first, Order.from_row
    )
