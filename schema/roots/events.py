"""Root fields of the event log: `eventCursor`, and the subscriptions (live streams of the durable log,
resumable with `after`)."""

from __future__ import annotations

import strawberry

from resolvers import events as r
from schema.roots import query, subscription
from schema.types.events import EVENT_CLASSES, EscalationEvent, Event, OrderHandoffEvent, SlaAlertEvent, TicketEvent
from services.access import Action

SUBSCRIBE = Action.SUBSCRIBE

# Concrete event types reachable only through the Event interface must be listed for the schema.
TYPES = EVENT_CLASSES


@strawberry.type
class Query:
    event_cursor: str = query(
        r.event_cursor,
        Action.READ,
        description="Cursor of the newest event in this request's snapshot: read a board and this together, "
        "then subscribe with `after:` it so nothing in between is missed.",
    )


@strawberry.type
class Subscription:
    order_handoffs: OrderHandoffEvent = subscription(
        r.order_handoffs,
        SUBSCRIBE,
        description="Order handoffs and their answers, for both departments and wall boards.",
    )
    complaint_escalations: EscalationEvent = subscription(
        r.complaint_escalations,
        SUBSCRIBE,
        description="Joint consultations opened, noted on and closed.",
    )
    ticket_board: TicketEvent = subscription(
        r.ticket_board,
        SUBSCRIBE,
        description="Changes of the tickets matching the filter (including a ticket leaving it) and their SLA alerts.",
    )
    sla_alerts: SlaAlertEvent = subscription(
        r.sla_alerts,
        SUBSCRIBE,
        description="SLA early warnings (AT_RISK at 80 %) and breaches, each announced once.",
    )
    events: Event = subscription(
        r.events,
        SUBSCRIBE,
        description="Every event of the given types (all when omitted).",
    )
