"""Checks that the records a work item links to exist and belong to the same customer."""

from __future__ import annotations

import uuid

from db.models import Customer
from db.repositories import customers as customers_repo
from db.repositories import orders as orders_repo
from services.errors import invalid, not_found
from services.unit_of_work import UnitOfWork


async def existing_customer(uow: UnitOfWork, customer_id: uuid.UUID) -> Customer:
    customer = await customers_repo.get(uow.session, customer_id)
    if customer is None:
        raise not_found("customer", "customerId")
    return customer


async def check_order_of(uow: UnitOfWork, customer_id: uuid.UUID, order_id: uuid.UUID | None) -> None:
    """A linked order must exist and be the same customer's (None: no order linked)."""
    if order_id is None:
        return
    order = await orders_repo.get(uow.session, order_id)
    if order is None:
        raise not_found("order", "orderId")
    if order.customer_id != customer_id:
        raise invalid("the order belongs to another customer", "orderId")
