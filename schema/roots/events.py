"""Root fields of the event log: `eventCursor`, and the subscriptions (live streams of the durable log,
resumable with `after`)."""

from __future__ import annotations

from resolvers import events as r
from schema.roots import described, queries, subscriptions
from schema.types.events import EVENT_CLASSES
from services.access import Action

# Concrete event types reachable only through the Event interface must be listed for the schema.
TYPES = EVENT_CLASSES

Query = queries(
    (
        Action.READ,
        described(
            r.event_cursor,
            "Cursor of the newest event in this request's snapshot: read a board and this together, "
            "then subscribe with `after:` it so nothing in between is missed.",
        ),
    ),
)

Subscription = subscriptions(
    (
        Action.SUBSCRIBE,
        described(r.order_handoffs, "Order handoffs and their answers, for both departments and wall boards."),
        described(r.complaint_escalations, "Joint consultations opened, noted on and closed."),
        described(
            r.ticket_board,
            "Changes of the tickets matching the filter (including a ticket leaving it) and their SLA alerts.",
        ),
        described(r.sla_alerts, "SLA early warnings (AT_RISK at 80 %) and breaches, each announced once."),
        described(r.events, "Every event of the given types (all when omitted)."),
    ),
)
