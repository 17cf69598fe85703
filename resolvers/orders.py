"""Order queries and mutations (in-sale handoff)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import strawberry

from db.models import Order as OrderRow
from db.repositories import orders as orders_repo
from resolvers.mutation_boundary import Answer, create_once, given
from resolvers.pages import page
from schema.context import Info
from schema.ids import decode_id, decode_optional_id
from schema.types.common import Connection, query_id
from schema.types.orders import Order, OrdersOrderBy, OrderStatus
from schema.types.orders_inputs import (
    CreateOrderInput,
    OrderActionInput,
    OrderItemInput,
    OrderPayload,
    UpdateOrderInput,
)
from services import orders as service
from services import service_jobs as job_service
from services.orders import ItemData, NewOrder
from services.unit_of_work import UnitOfWork


async def orders(
    info: Info,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
    status: list[OrderStatus] | None = None,
    customer_id: strawberry.ID | None = None,
    order_by: OrdersOrderBy = OrdersOrderBy.CREATED_AT_DESC,
) -> Connection[Order]:
    """Orders, newest first unless `orderBy` says otherwise."""
    statuses = [s.value for s in status or []]
    cid = query_id(customer_id, "Customer", "customerId")
    filters = {"statuses": statuses, "customer_id": cid, "order_by": order_by.value}
    return await page(info, orders_repo.page, Order.from_row, first, after, last, before, **filters)


def _items(items: Iterable[OrderItemInput]) -> list[ItemData]:
    return [
        ItemData(product_model=i.product_model, quantity=i.quantity, description=i.description, unit_price=i.unit_price)
        for i in items
    ]


_order = Answer(OrderPayload, order=Order.from_row)


async def create_order(info: Info, input: CreateOrderInput) -> OrderPayload:
    def request() -> NewOrder:
        return NewOrder(
            customer_id=decode_id(input.customer_id, "Customer", "customerId"),
            items=_items(input.items),
            contract_value=input.contract_value,
            opportunity_id=decode_optional_id(input.opportunity_id, "Opportunity", "opportunityId"),
            delivery_date=input.delivery_date,
            special_requirements=input.special_requirements,
        )

    action = create_once("createOrder", input.idempotency_key, request, service.create_order, orders_repo.get)
    return await _order(info, action)


async def update_order(info: Info, input: UpdateOrderInput) -> OrderPayload:
    async def action(uow: UnitOfWork) -> OrderRow:
        fields: dict[str, Any] = {}
        for name in ("delivery_date", "special_requirements", "contract_value"):
            if given(getattr(input, name)):
                fields[name] = getattr(input, name)
        # `items` replaces the whole list; left out (or null) keeps it, [] empties it.
        items = _items(input.items) if given(input.items) and input.items is not None else None
        order_id = decode_id(input.order_id, "Order", "orderId")
        return await service.update_order(uow, order_id, input.expected_version, items=items, **fields)

    return await _order(info, action)


async def _order_action(info: Info, input: OrderActionInput, act: Any) -> OrderPayload:
    """One transition of an order: `act(uow, order_id, expected_version)` inside the mutation boundary
    (the id is decoded inside it too, so a malformed id is a user error like any other refusal)."""
    return await _order(
        info, lambda uow: act(uow, decode_id(input.order_id, "Order", "orderId"), input.expected_version)
    )


async def hand_off_order(info: Info, input: OrderActionInput) -> OrderPayload:
    return await _order_action(info, input, service.hand_off_order)


async def confirm_order(info: Info, input: OrderActionInput) -> OrderPayload:
    return await _order_action(info, input, service.confirm_order)


async def return_order(info: Info, input: OrderActionInput) -> OrderPayload:
    return await _order_action(
        info, input, lambda uow, oid, version: service.return_order(uow, oid, version, input.reason)
    )


async def accept_order_completion(info: Info, input: OrderActionInput) -> OrderPayload:
    return await _order_action(
        info, input, lambda uow, oid, version: job_service.accept_order_completion(uow, oid, version, input.reason)
    )


async def cancel_order(info: Info, input: OrderActionInput) -> OrderPayload:
    return await _order_action(
        info, input, lambda uow, oid, version: service.cancel_order(uow, oid, version, input.reason)
    )
