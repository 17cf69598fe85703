"""Orders' write side: the inputs and payloads of the order mutations."""

from __future__ import annotations

from decimal import Decimal

import strawberry

from schema.types.common import UserError
from schema.types.orders import Order


@strawberry.input
class OrderItemInput:
    product_model: str
    quantity: int
    description: str | None = None
    unit_price: Decimal | None = None


@strawberry.input
class CreateOrderInput:
    customer_id: strawberry.ID
    items: list[OrderItemInput]
    contract_value: Decimal
    opportunity_id: strawberry.ID | None = None
    delivery_date: str | None = strawberry.field(default=None, description="ISO date (YYYY-MM-DD).")
    special_requirements: str | None = None
    idempotency_key: str | None = None


@strawberry.input
class UpdateOrderInput:
    order_id: strawberry.ID
    expected_version: int | None = None
    items: list[OrderItemInput] | None = strawberry.UNSET
    delivery_date: str | None = strawberry.UNSET
    special_requirements: str | None = strawberry.UNSET
    contract_value: Decimal | None = strawberry.UNSET


@strawberry.input
class OrderActionInput:
    order_id: strawberry.ID
    expected_version: int | None = None
    reason: str | None = strawberry.field(default=None, description="Required to return an order.")


@strawberry.type
class OrderPayload:
    order: Order | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)
