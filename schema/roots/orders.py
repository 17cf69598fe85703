"""Root fields of orders (in-sale handoff)."""

from __future__ import annotations

from resolvers import orders as r
from schema.roots import described, mutations, queries
from schema.types.orders import Order
from services.access import Action

SALES = Action.SALES  # marketing: create, update, hand off, cancel
SERVICE = Action.SERVICE_OPERATIONS  # service: confirm, return

NODE_TYPES = [Order]

Query = queries((Action.READ, r.orders))

Mutation = mutations(
    (SALES, r.create_order, r.update_order, r.hand_off_order, r.cancel_order),
    (SERVICE, r.confirm_order, r.return_order),
    (
        SERVICE,
        described(
            r.accept_order_completion,
            "A service lead (or admin) completes an order whose last quality check failed, giving the reason.",
        ),
    ),
)
