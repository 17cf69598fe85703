"""In-sale 1 — order handoff: marketing hands a signed order to service, service confirms or returns it.

The order's life is ONE explicit table (`TRANSITIONS`); every step not in it is refused with
INVALID_TRANSITION and changes nothing. `start_service` and `complete` are taken by the order when its
service jobs start and finish (services/service_jobs.py calls them).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from db.models import Order, OrderItem
from db.repositories import orders as orders_repo
from services.errors import DomainError, ErrorCode, Validator, check_version, not_found
from services.ownership import existing_customer
from services.unit_of_work import UnitOfWork

# DOMAIN.md § SLA: "order handed off — service confirms or returns — within 24 h". The due time is
# fixed when the clock starts (`confirmation_due_at`); the SLA monitor reads this constant too.
CONFIRMATION_WINDOW = timedelta(hours=24)

STATUSES = ("DRAFT", "HANDED_OFF", "RETURNED", "CONFIRMED", "IN_SERVICE", "COMPLETED", "CANCELLED")
ACTIONS = ("update", "hand_off", "confirm", "return", "start_service", "complete", "cancel")

# (current status, action) -> next status. Nothing else is allowed.
TRANSITIONS: dict[tuple[str, str], str] = {
    ("DRAFT", "update"): "DRAFT",
    ("RETURNED", "update"): "RETURNED",
    ("DRAFT", "hand_off"): "HANDED_OFF",
    ("RETURNED", "hand_off"): "HANDED_OFF",
    ("HANDED_OFF", "confirm"): "CONFIRMED",
    ("HANDED_OFF", "return"): "RETURNED",
    ("CONFIRMED", "start_service"): "IN_SERVICE",  # its first service job started
    ("IN_SERVICE", "complete"): "COMPLETED",  # all its non-cancelled service jobs completed
    ("DRAFT", "cancel"): "CANCELLED",
    ("HANDED_OFF", "cancel"): "CANCELLED",
    ("RETURNED", "cancel"): "CANCELLED",
    ("CONFIRMED", "cancel"): "CANCELLED",
    ("IN_SERVICE", "cancel"): "CANCELLED",
}

_VERBS = {
    "update": "edit",
    "hand_off": "hand off",
    "confirm": "confirm",
    "return": "return",
    "start_service": "start service on",
    "complete": "complete",
    "cancel": "cancel",
}

MAX_MONEY = Decimal("999999999999.99")  # numeric(14, 2)


def next_status(current: str, action: str) -> str:
    nxt = TRANSITIONS.get((current, action))
    if nxt is None:
        raise DomainError(
            ErrorCode.INVALID_TRANSITION, f"cannot {_VERBS[action]} an order that is {current}", ["orderId"]
        )
    return nxt


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


def money(v: Validator, value: Decimal | None, label: str, *path: str, required: bool = False) -> Decimal | None:
    if value is None:
        v.require(not required, f"{label} is required", *path)
        return None
    try:
        ok = value.is_finite() and value >= 0 and value <= MAX_MONEY and value == value.quantize(Decimal("0.01"))
    except InvalidOperation:
        ok = False
    v.require(ok, f"{label} must be an amount between 0 and {MAX_MONEY} with at most 2 decimals", *path)
    return value.quantize(Decimal("0.01")) if ok else None


def _date(v: Validator, raw: str | None) -> date | None:
    if raw is None or not raw.strip():
        return None
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        v.require(False, "delivery date must be an ISO date (YYYY-MM-DD)", "deliveryDate")
        return None


def _check_items(v: Validator, items: list[ItemData]) -> list[dict]:
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
        price = money(v, item.unit_price, "unit price", *path, "unitPrice")
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


def _item_rows(order_id: uuid.UUID, items: list[dict]) -> list[OrderItem]:
    return [OrderItem(id=uuid.uuid4(), order_id=order_id, **values) for values in items]


async def create_order(uow: UnitOfWork, data: NewOrder) -> Order:
    v = Validator()
    items = _check_items(v, data.items)
    contract_value = money(v, data.contract_value, "contract value", "contractValue", required=True)
    delivery = _date(v, data.delivery_date)
    special = v.text(data.special_requirements, "special requirements", "specialRequirements", max_len=4000)
    v.raise_if_any()
    customer = await existing_customer(uow, data.customer_id)
    if data.opportunity_id is not None:
        owner_of_opportunity = await orders_repo.opportunity_customer(uow.session, data.opportunity_id)
        if owner_of_opportunity is None:
            raise not_found("opportunity", "opportunityId")
        if owner_of_opportunity != customer.id:
            raise DomainError(ErrorCode.VALIDATION, "the opportunity belongs to another customer", ["opportunityId"])
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
        created_at=uow.now,
        updated_at=uow.now,
    )
    await orders_repo.add(uow.session, order)
    await orders_repo.replace_items(uow.session, order.id, _item_rows(order.id, items))
    _record(
        uow,
        order,
        "order.created",
        f"Order {order.number} created for {customer.name}",
        "ORDER_CREATED",
        changes={"items": len(items), "contractValue": contract_value},
    )
    return order


async def update_order(
    uow: UnitOfWork, order_id: uuid.UUID, expected_version: int | None, *, items: list[ItemData] | None = None, **fields
) -> Order:
    """`fields` holds only what the caller gave: delivery_date, special_requirements, contract_value."""
    order = await _locked(uow, order_id, expected_version)
    next_status(order.status, "update")
    v = Validator()
    new_items = _check_items(v, items) if items is not None else None
    values = {}
    if "delivery_date" in fields:
        values["delivery_date"] = _date(v, fields["delivery_date"])
    if "special_requirements" in fields:
        values["special_requirements"] = v.text(
            fields["special_requirements"], "special requirements", "specialRequirements", max_len=4000
        )
    if "contract_value" in fields:
        values["contract_value"] = money(v, fields["contract_value"], "contract value", "contractValue", required=True)
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
    _touch(uow, order)  # an item change is a change of the order: its version moves too
    _record(
        uow,
        order,
        "order.updated",
        f"Order {order.number} updated: {', '.join(sorted(changes))}",
        "ORDER_UPDATED",
        changes=changes,
        payload={"fields": sorted(changes)},
    )
    return order


async def hand_off_order(uow: UnitOfWork, order_id: uuid.UUID, expected_version: int | None) -> Order:
    order = await _locked(uow, order_id, expected_version)
    status = next_status(order.status, "hand_off")
    v = Validator()
    items = await orders_repo.items_of(uow.session, [order.id])
    v.require(bool(items), "at least one item is required before handing off", "items")
    for i, item in enumerate(items):
        v.require(item.quantity > 0, "quantity must be greater than 0", "items", str(i), "quantity")
    v.require(order.delivery_date is not None, "a delivery date is required before handing off", "deliveryDate")
    v.require(order.contract_value > 0, "the contract value must be greater than 0 before handing off", "contractValue")
    v.raise_if_any()
    previous = order.status
    order.status = status
    order.handed_off_at = uow.now
    order.handed_off_by_id = uow.actor_id
    order.confirmation_due_at = uow.now + CONFIRMATION_WINDOW  # fixed now: a later policy change keeps it
    _touch(uow, order)
    again = " again" if previous == "RETURNED" else ""
    _record(
        uow,
        order,
        "order.handed_off",
        f"Order {order.number} handed off to service{again}",
        "ORDER_HANDED_OFF",
        changes={"status": [previous, status]},
        payload={"number": order.number, "confirmationDueAt": order.confirmation_due_at},
    )
    return order


async def confirm_order(uow: UnitOfWork, order_id: uuid.UUID, expected_version: int | None) -> Order:
    order = await _locked(uow, order_id, expected_version)
    status = next_status(order.status, "confirm")
    previous, order.status = order.status, status
    order.confirmed_at = uow.now
    order.confirmed_by_id = uow.actor_id
    _touch(uow, order)
    on_time = order.confirmation_due_at is None or uow.now <= order.confirmation_due_at
    _record(
        uow,
        order,
        "order.confirmed",
        f"Order {order.number} confirmed by service",
        "ORDER_CONFIRMED",
        changes={"status": [previous, status]},
        payload={"number": order.number, "onTime": on_time},
    )
    return order


async def return_order(uow: UnitOfWork, order_id: uuid.UUID, expected_version: int | None, reason: str | None) -> Order:
    order = await _locked(uow, order_id, expected_version)
    status = next_status(order.status, "return")
    v = Validator()
    clean = v.text(reason, "a reason (the discrepancy found)", "reason", required=True, max_len=4000)
    v.raise_if_any()
    previous, order.status = order.status, status
    order.return_reason = clean  # the latest return's reason; earlier ones stay on the timeline
    order.returned_at = uow.now
    _touch(uow, order)
    _record(
        uow,
        order,
        "order.returned",
        f"Order {order.number} returned to marketing: {clean}",
        "ORDER_RETURNED",
        changes={"status": [previous, status], "reason": clean},
        payload={"number": order.number, "reason": clean},
    )
    return order


async def cancel_order(uow: UnitOfWork, order_id: uuid.UUID, expected_version: int | None, reason: str | None) -> Order:
    from services import service_jobs  # jobs move orders and orders cancel jobs: import at use

    order = await _locked(uow, order_id, expected_version)
    status = next_status(order.status, "cancel")
    v = Validator()
    clean = v.text(reason, "reason", "reason", max_len=4000)
    v.raise_if_any()
    previous, order.status = order.status, status
    order.cancelled_at = uow.now
    _touch(uow, order)
    _record(
        uow,
        order,
        "order.cancelled",
        f"Order {order.number} cancelled" + (f": {clean}" if clean else ""),
        "ORDER_CANCELLED",
        changes={"status": [previous, status], "reason": clean},
        payload={"number": order.number},
    )
    await service_jobs.cancel_open_jobs_of(uow, order)  # nothing is left to do for a cancelled order
    return order


async def start_service(uow: UnitOfWork, order: Order) -> None:
    """The order's first service job started (order row already locked by the caller)."""
    previous, order.status = order.status, next_status(order.status, "start_service")
    _touch(uow, order)
    _record(
        uow,
        order,
        "order.in_service",
        f"Order {order.number} is in service",
        "ORDER_UPDATED",
        changes={"status": [previous, order.status]},
        payload={"fields": ["status"], "status": order.status},
    )


async def complete(uow: UnitOfWork, order: Order) -> None:
    """All the order's non-cancelled service jobs are completed (order row already locked by the caller)."""
    previous, order.status = order.status, next_status(order.status, "complete")
    order.completed_at = uow.now
    _touch(uow, order)
    _record(
        uow,
        order,
        "order.completed",
        f"Order {order.number} completed",
        "ORDER_COMPLETED",
        changes={"status": [previous, order.status]},
        payload={"number": order.number},
    )


async def locked_order(uow: UnitOfWork, order_id: uuid.UUID, *field: str) -> Order:
    order = await orders_repo.get(uow.session, order_id, for_update=True)
    if order is None:
        raise not_found("order", *(field or ("orderId",)))
    return order


async def _locked(uow: UnitOfWork, order_id: uuid.UUID, expected_version: int | None) -> Order:
    order = await locked_order(uow, order_id)
    check_version("order", expected_version, order.version)
    return order


def _touch(uow: UnitOfWork, order: Order) -> None:
    orders_repo.touch(order, uow.now)


def _record(
    uow: UnitOfWork,
    order: Order,
    action: str,
    summary: str,
    event: str,
    *,
    changes: dict | None = None,
    payload: dict | None = None,
) -> None:
    uow.record(
        action=action,
        entity_type="Order",
        entity_id=order.id,
        summary=summary,
        changes=changes,
        customer_id=order.customer_id,
        order_id=order.id,
        event=event,
        payload={"status": order.status, **(payload or {})},
    )
