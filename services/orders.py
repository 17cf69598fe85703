"""In-sale 1 — order handoff: marketing hands a signed order to service, service confirms or returns it.

The order's life is ONE explicit table (services/order_transitions.py); every step not in it is refused
with INVALID_TRANSITION and changes nothing. These are the steps people take; `start_service` and
`complete` are taken by the order when its service jobs start and finish.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from db.models import Order, OrderItem
from db.repositories import orders as orders_repo
from db.repositories import rows
from services import notifications, service_jobs
from services.linked_records import check_opportunity_of, existing_customer
from services.order_transitions import move, order_for, subject
from services.rules.notifications import NotificationKind
from services.sla import CONFIRMATION_WINDOW
from services.unit_of_work import UnitOfWork
from services.validation import Validator, checked_text


@dataclass
class ItemData:
    product_model: str | None
    quantity: int | None
    description: str | None = None
    unit_price: Decimal | None = None


@dataclass
class NewOrder:
    customer_id: uuid.UUID
    items: list[ItemData]
    contract_value: Decimal | None
    opportunity_id: uuid.UUID | None = None
    delivery_date: str | None = None
    special_requirements: str | None = None


def _date(v: Validator, raw: str | None) -> date | None:
    if raw is None or not raw.strip():
        return None
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        v.require(False, "delivery date must be an ISO date (YYYY-MM-DD)", "deliveryDate")
        return None


def _check_items(v: Validator, items: list[ItemData]) -> list[dict[str, Any]]:
    """The OrderItem columns of each item, checked."""
    checked = []
    for i, item in enumerate(items):
        path = ("items", str(i))
        model = v.text(item.product_model, "product model", *path, "productModel", required=True)
        description = v.text(item.description, "item description", *path, "description", max_len=2000)
        quantity = item.quantity
        v.require(
            quantity is not None and 0 < quantity <= 1_000_000,
            "quantity must be between 1 and 1000000",
            *path,
            "quantity",
        )
        price = v.money(item.unit_price, "unit price", *path, "unitPrice")
        checked.append(
            {
                "position": i + 1,
                "product_model": model,
                "description": description,
                "quantity": quantity,
                "unit_price": price,
            }
        )
    return checked


def _item_rows(order_id: uuid.UUID, items: list[dict[str, Any]]) -> list[OrderItem]:
    return [OrderItem(id=uuid.uuid4(), order_id=order_id, **values) for values in items]


async def create_order(uow: UnitOfWork, data: NewOrder) -> Order:
    v = Validator()
    items = _check_items(v, data.items)
    contract_value = v.money(data.contract_value, "contract value", "contractValue", required=True)
    delivery = _date(v, data.delivery_date)
    special = v.text(data.special_requirements, "special requirements", "specialRequirements", max_len=4000)
    v.raise_if_any()
    customer = await existing_customer(uow, data.customer_id)
    await check_opportunity_of(uow, customer.id, data.opportunity_id)
    assert uow.actor_id is not None and contract_value is not None
    order = Order(
        id=uuid.uuid4(),
        customer_id=customer.id,
        opportunity_id=data.opportunity_id,
        owner_id=uow.actor_id,
        status="DRAFT",
        delivery_date=delivery,
        special_requirements=special,
        contract_value=contract_value,
    )
    await orders_repo.add(uow.session, order, uow.now)
    await orders_repo.replace_items(uow.session, order.id, _item_rows(order.id, items))
    uow.record_about(
        subject(order),
        "order.created",
        f"Order {order.number} created for {customer.name}",
        "ORDER_CREATED",
        changes={"items": len(items), "contractValue": contract_value},
    )
    return order


async def update_order(
    uow: UnitOfWork,
    order_id: uuid.UUID,
    expected_version: int | None,
    *,
    items: list[ItemData] | None = None,
    **fields: Any,
) -> Order:
    """`fields` holds only what the caller gave: delivery_date, special_requirements, contract_value."""
    order, _ = await order_for(uow, order_id, expected_version, "update")
    v = Validator()
    new_items = _check_items(v, items) if items is not None else None
    values: dict[str, Any] = {}
    if "delivery_date" in fields:
        values["delivery_date"] = _date(v, fields["delivery_date"])
    if "special_requirements" in fields:
        values["special_requirements"] = v.text(
            fields["special_requirements"], "special requirements", "specialRequirements", max_len=4000
        )
    if "contract_value" in fields:
        values["contract_value"] = v.money(fields["contract_value"], "contract value", "contractValue", required=True)
    v.raise_if_any()
    changes = {k: [getattr(order, k), val] for k, val in values.items() if getattr(order, k) != val}
    if new_items is not None:
        old = [
            (i.product_model, i.description, i.quantity, i.unit_price)
            for i in await orders_repo.items_of(uow.session, [order.id])
        ]
        new = [(i["product_model"], i["description"], i["quantity"], i["unit_price"]) for i in new_items]
        if old != new:
            await orders_repo.replace_items(uow.session, order.id, _item_rows(order.id, new_items))
            changes["items"] = [len(old), len(new)]
    if not changes:
        return order
    for attr, (_, new_value) in changes.items():
        if attr != "items":
            setattr(order, attr, new_value)
    rows.touch(order, uow.now)  # an item change is a change of the order: its version moves too
    uow.record_about(
        subject(order),
        "order.updated",
        f"Order {order.number} updated: {', '.join(sorted(changes))}",
        "ORDER_UPDATED",
        changes=changes,
        payload={"fields": sorted(changes)},
    )
    return order


async def hand_off_order(uow: UnitOfWork, order_id: uuid.UUID, expected_version: int | None) -> Order:
    order, status = await order_for(uow, order_id, expected_version, "hand_off")
    v = Validator()
    items = await orders_repo.items_of(uow.session, [order.id])
    v.require(bool(items), "at least one item is required before handing off", "items")
    for i, item in enumerate(items):
        v.require(item.quantity > 0, "quantity must be greater than 0", "items", str(i), "quantity")
    v.require(order.delivery_date is not None, "a delivery date is required before handing off", "deliveryDate")
    v.require(order.contract_value > 0, "the contract value must be greater than 0 before handing off", "contractValue")
    v.raise_if_any()
    again = " again" if order.status == "RETURNED" else ""
    changes = move(uow, order, status)
    order.handed_off_at = uow.now
    order.handed_off_by_id = uow.actor_id
    order.confirmation_due_at = uow.now + CONFIRMATION_WINDOW  # fixed now: a later policy change keeps it
    uow.record_about(
        subject(order),
        "order.handed_off",
        f"Order {order.number} handed off to service{again}",
        "ORDER_HANDED_OFF",
        changes=changes,
        payload={"number": order.number, "confirmationDueAt": order.confirmation_due_at},
    )
    return order


async def confirm_order(uow: UnitOfWork, order_id: uuid.UUID, expected_version: int | None) -> Order:
    order, status = await order_for(uow, order_id, expected_version, "confirm")
    changes = move(uow, order, status)
    order.confirmed_at = uow.now
    order.confirmed_by_id = uow.actor_id
    on_time = order.confirmation_due_at is None or uow.now <= order.confirmation_due_at
    uow.record_about(
        subject(order),
        "order.confirmed",
        f"Order {order.number} confirmed by service",
        "ORDER_CONFIRMED",
        changes=changes,
        payload={"number": order.number, "onTime": on_time},
    )
    return order


async def return_order(uow: UnitOfWork, order_id: uuid.UUID, expected_version: int | None, reason: str | None) -> Order:
    order, status = await order_for(uow, order_id, expected_version, "return")
    clean = checked_text(reason, "a reason (the discrepancy found)", "reason", required=True, max_len=4000)
    changes = move(uow, order, status)
    order.return_reason = clean  # the latest return's reason; earlier ones stay on the timeline
    order.returned_at = uow.now
    uow.record_about(
        subject(order),
        "order.returned",
        f"Order {order.number} returned to marketing: {clean}",
        "ORDER_RETURNED",
        changes={**changes, "reason": clean},
        payload={"number": order.number, "reason": clean},
    )
    await notifications.notify(
        uow,
        [order.owner_id, order.handed_off_by_id],
        NotificationKind.HANDOFF_RETURNED,
        f"Order {order.number} returned by service: {clean}",
        "Order",
        order.id,
    )
    return order


async def cancel_order(uow: UnitOfWork, order_id: uuid.UUID, expected_version: int | None, reason: str | None) -> Order:
    order, status = await order_for(uow, order_id, expected_version, "cancel")
    clean = checked_text(reason, "reason", "reason", max_len=4000)
    changes = move(uow, order, status)
    order.cancelled_at = uow.now
    uow.record_about(
        subject(order),
        "order.cancelled",
        f"Order {order.number} cancelled" + (f": {clean}" if clean else ""),
        "ORDER_CANCELLED",
        changes={**changes, "reason": clean},
        payload={"number": order.number},
    )
    await service_jobs.cancel_open_jobs_of(uow, order)  # nothing is left to do for a cancelled order
    return order
