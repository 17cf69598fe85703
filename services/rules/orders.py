"""Orders (in-sale 1): statuses and the actions of the order's state machine."""

from __future__ import annotations

from enum import StrEnum

from services.rules import values


class OrderStatus(StrEnum):
    DRAFT = "DRAFT"
    HANDED_OFF = "HANDED_OFF"
    RETURNED = "RETURNED"
    CONFIRMED = "CONFIRMED"
    IN_SERVICE = "IN_SERVICE"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"


ORDER_STATUSES = values(OrderStatus)
ORDER_ACTIONS = ("update", "hand_off", "confirm", "return", "start_service", "complete", "cancel")
