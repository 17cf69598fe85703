"""The order's state machine (in-sale 1): ONE explicit table, and how an order changes under it.

Every step not in `TRANSITIONS` is refused with INVALID_TRANSITION and changes nothing. The steps people
take are in services/orders.py; `start_service` and `complete` are taken by the order itself when its
service jobs start and finish (services/service_jobs.py calls them), so they live here, below both.
"""

from __future__ import annotations

import uuid
from typing import Any

from db.models import Order
from db.repositories import orders as orders_repo
from db.repositories import rows
from services.errors import DomainError, ErrorCode, check_version, not_found
from services.unit_of_work import Subject, UnitOfWork

# (current status, action) -> next status. Nothing else is allowed. The statuses and actions are
# services/rules/orders.py's.
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


def next_status(current: str, action: str) -> str:
    nxt = TRANSITIONS.get((current, action))
    if nxt is None:
        raise DomainError(
            ErrorCode.INVALID_TRANSITION, f"cannot {_VERBS[action]} an order that is {current}", ["orderId"]
        )
    return nxt


async def locked_order(uow: UnitOfWork, order_id: uuid.UUID, *field: str) -> Order:
    order = await orders_repo.get(uow.session, order_id, for_update=True)
    if order is None:
        raise not_found("order", *(field or ("orderId",)))
    return order


async def order_to_change(uow: UnitOfWork, order_id: uuid.UUID, expected_version: int | None) -> Order:
    """The order, locked, at the version the caller saw."""
    order = await locked_order(uow, order_id)
    check_version("order", expected_version, order.version)
    return order


def move(uow: UnitOfWork, order: Order, action: str) -> dict[str, Any]:
    """Take `action` (refused unless the table allows it); the change of status, for the audit row."""
    previous, order.status = order.status, next_status(order.status, action)
    rows.touch(order, uow.now)
    return {"status": [previous, order.status]}


def subject(order: Order) -> Subject:
    """What the activity rows and events about an order name: it, its customer, its status."""
    return Subject("Order", order.id, order.customer_id, order.id, {"status": order.status})


async def start_service(uow: UnitOfWork, order: Order) -> None:
    """The order's first service job started (order row already locked by the caller)."""
    changes = move(uow, order, "start_service")
    uow.record_about(
        subject(order),
        "order.in_service",
        f"Order {order.number} is in service",
        "ORDER_UPDATED",
        changes=changes,
        payload={"fields": ["status"], "status": order.status},
    )


async def complete(uow: UnitOfWork, order: Order) -> None:
    """All the order's non-cancelled service jobs are completed (order row already locked by the caller)."""
    changes = move(uow, order, "complete")
    order.completed_at = uow.now
    uow.record_about(
        subject(order),
        "order.completed",
        f"Order {order.number} completed",
        "ORDER_COMPLETED",
        changes=changes,
        payload={"number": order.number},
    )
