"""Root fields of orders (in-sale handoff)."""

from __future__ import annotations

import strawberry

from resolvers import orders as r
from schema.roots import mutation, query
from schema.types.common import Connection
from schema.types.orders import Order
from schema.types.orders_inputs import OrderPayload
from services.access import Action

SALES = Action.SALES  # marketing: create, update, hand off, cancel
SERVICE = Action.SERVICE_OPERATIONS  # service: confirm, return

NODE_TYPES = [Order]


@strawberry.type
class Query:
    orders: Connection[Order] = query(r.orders, Action.READ)


@strawberry.type
class Mutation:
    create_order: OrderPayload = mutation(r.create_order, SALES)
    update_order: OrderPayload = mutation(r.update_order, SALES)
    hand_off_order: OrderPayload = mutation(r.hand_off_order, SALES)
    cancel_order: OrderPayload = mutation(r.cancel_order, SALES)
    confirm_order: OrderPayload = mutation(r.confirm_order, SERVICE)
    return_order: OrderPayload = mutation(r.return_order, SERVICE)
