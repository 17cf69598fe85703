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
from services.errors import check_version, not_found
from services.state_machine import StateMachine, steps
from services.unit_of_work import Subject, UnitOfWork

# (current status, action) -> next status. Nothing else is allowed. The statuses and actions are
# services/rules/orders.py's; `steps` writes an action taken in several statuses, or keeping the status.
TRANSITIONS: dict[tuple[str, str], str] = {
    **steps("update", "DRAFT", "RETURNED"),
    **steps("hand_off", "DRAFT", "RETURNED", to="HANDED_OFF"),
    ("HANDED_OFF", "confirm"): "CONFIRMED",
    ("HANDED_OFF", "return"): "RETURNED",
    ("CONFIRMED", "start_service"): "IN_SERVICE",  # its first service job started
    ("IN_SERVICE", "complete"): "COMPLETED",  # all its non-cancelled service jobs completed
    **steps("cancel", "DRAFT", "HANDED_OFF", "RETURNED", "CONFIRMED", "IN_SERVICE", to="CANCELLED"),
}

# How a refusal names an action (where its own name does not read well).
_VERBS = {"update": "edit", "start_service": "start service on"}
ORDERS = StateMachine("an order", "orderId", TRANSITIONS, _VERBS)
next_status = ORDERS.next


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


async def order_for(
    uow: UnitOfWork, order_id: uuid.UUID, expected_version: int | None, action: str
) -> tuple[Order, str]:
    """The order, locked, at the version the caller saw, and the status `action` takes it to (refused
    unless the table allows the step, before any input of the step is looked at)."""
    order = await order_to_change(uow, order_id, expected_version)
    return order, next_status(order.status, action)


def move(uow: UnitOfWork, order: Order, status: str) -> dict[str, Any]:
    """Put the order in `status` (from `next_status`), changed now; the change of status, for the audit row.
    The return reason is the order's only while it is RETURNED: leaving that status clears it (each
    return's reason stays on the timeline)."""
    previous, order.status = order.status, status
    rows.touch(order, uow.now)
    changes: dict[str, Any] = {"status": [previous, status]}
    if previous == "RETURNED" and status != "RETURNED" and order.return_reason is not None:
        changes["returnReason"] = [order.return_reason, None]
        order.return_reason = None
    return changes


def subject(order: Order) -> Subject:
    """What the activity rows and events about an order name: it, its customer, its status."""
    return Subject("Order", order.id, order.customer_id, order.id, {"status": order.status})


async def start_service(uow: UnitOfWork, order: Order) -> None:
    """The order's first service job started (order row already locked by the caller)."""
    changes = move(uow, order, next_status(order.status, "start_service"))
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
    changes = move(uow, order, next_status(order.status, "complete"))
    order.completed_at = uow.now
    uow.record_about(
        subject(order),
        "order.completed",
        f"Order {order.number} completed",
        "ORDER_COMPLETED",
        changes=changes,
        payload={"number": order.number},
    )
