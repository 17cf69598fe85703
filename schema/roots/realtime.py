"""Subscriptions: live streams of the durable event log, resumable with `after`."""

from __future__ import annotations

import strawberry

from resolvers import realtime
from schema.permissions import Allowed
from schema.types.events import EVENT_CLASSES, EscalationEvent, Event, OrderHandoffEvent, SlaAlertEvent, TicketEvent
from services.access import Action

SUBSCRIBE = [Allowed(Action.SUBSCRIBE)]

# Concrete event types reachable only through the Event interface must be listed for the schema.
TYPES = EVENT_CLASSES


@strawberry.type
class Subscription:
    order_handoffs: OrderHandoffEvent = strawberry.subscription(
        resolver=realtime.order_handoffs,
        permission_classes=SUBSCRIBE,
        description="Order handoffs and their answers, for both departments and wall boards.",
    )
    complaint_escalations: EscalationEvent = strawberry.subscription(
        resolver=realtime.complaint_escalations,
        permission_classes=SUBSCRIBE,
        description="Joint consultations opened, noted on and closed.",
    )
    ticket_board: TicketEvent = strawberry.subscription(
        resolver=realtime.ticket_board,
        permission_classes=SUBSCRIBE,
        description="Changes of the tickets matching the filter (including a ticket leaving it) and their SLA alerts.",
    )
    sla_alerts: SlaAlertEvent = strawberry.subscription(
        resolver=realtime.sla_alerts,
        permission_classes=SUBSCRIBE,
        description="SLA early warnings (AT_RISK at 80 %) and breaches, each announced once.",
    )
    events: Event = strawberry.subscription(
        resolver=realtime.events,
        permission_classes=SUBSCRIBE,
        description="Every event of the given types (all when omitted).",
    )
