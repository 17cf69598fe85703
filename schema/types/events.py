"""The real-time event types: each logged event as the Event interface's concrete type."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from schema.ids import to_global_id
from schema.types.accounts import User
from schema.types.orders import Order
from schema.types.tickets import Escalation, SlaState, Ticket
from services.realtime.event_types import ESCALATION_TYPES, EVENT_TYPES, HANDOFF_TYPES, SLA_TYPES, TICKET_TYPES
from services.realtime.hub import LoggedEvent

EventType = strawberry.enum(
    Enum("EventType", {t: t for t in EVENT_TYPES}),
    name="EventType",
    description="What happened; the log keeps one global order of all of them.",
)


@strawberry.interface(
    description="One entry of the durable event log. `cursor` is its place in the global order: "
    "resubscribe with `after: cursor` to miss nothing."
)
class Event:
    cursor: str
    type: EventType  # type: ignore[valid-type]
    occurred_at: datetime
    _event: strawberry.Private[LoggedEvent]

    @strawberry.field
    async def actor(self, info: strawberry.Info) -> User | None:
        actor_id = self._event.actor_id
        return await info.context.loaders.load_optional("user", str(actor_id) if actor_id else None, User.from_row)


def _payload_id(event: LoggedEvent, key: str) -> str | None:
    value = event.payload.get(key)
    return str(value) if value else None


@strawberry.type(description="An order handoff and its answer: handed off, confirmed, returned, cancelled.")
class OrderHandoffEvent(Event):
    @strawberry.field
    async def order(self, info: strawberry.Info) -> Order:
        return await info.context.loaders.load_optional("order", str(self._event.entity_id), Order.from_row)


@strawberry.type(description="A ticket change (board updates).")
class TicketEvent(Event):
    @strawberry.field
    async def ticket(self, info: strawberry.Info) -> Ticket:
        return await info.context.loaders.load_optional("ticket", _payload_id(self._event, "ticketId"), Ticket.from_row)


@strawberry.type(description="A joint consultation was opened, noted on, or closed.")
class EscalationEvent(Event):
    @strawberry.field
    async def ticket(self, info: strawberry.Info) -> Ticket:
        return await info.context.loaders.load_optional("ticket", _payload_id(self._event, "ticketId"), Ticket.from_row)

    @strawberry.field
    async def escalation(self, info: strawberry.Info) -> Escalation:
        return await info.context.loaders.load_optional(
            "escalation", _payload_id(self._event, "escalationId"), Escalation.from_row
        )


@strawberry.type(description="An SLA clock reached 80 % of its window (AT_RISK) or passed its due time (BREACHED).")
class SlaAlertEvent(Event):
    state: SlaState  # type: ignore[valid-type]
    due_at: datetime
    clock: str = strawberry.field(description="Which clock: first_response, resolution, order_confirmation, …")

    @strawberry.field
    async def ticket(self, info: strawberry.Info) -> Ticket | None:
        return await info.context.loaders.load_optional("ticket", _payload_id(self._event, "ticketId"), Ticket.from_row)

    @strawberry.field
    async def order(self, info: strawberry.Info) -> Order | None:
        return await info.context.loaders.load_optional("order", _payload_id(self._event, "orderId"), Order.from_row)


@strawberry.type(description="Any other change: the entity's type and global id, for a client to refetch.")
class EntityEvent(Event):
    entity_type: str
    entity_id: strawberry.ID


def common_fields(event: LoggedEvent) -> dict:
    return {"cursor": str(event.id), "type": EventType[event.type], "occurred_at": event.occurred_at, "_event": event}


def as_graphql(event: LoggedEvent) -> Event:
    """The concrete GraphQL type of a logged event."""
    common = common_fields(event)
    if event.type in HANDOFF_TYPES:
        return OrderHandoffEvent(**common)
    if event.type in ESCALATION_TYPES and event.payload.get("escalationId"):
        return EscalationEvent(**common)
    if event.type in TICKET_TYPES:
        return TicketEvent(**common)
    if event.type in SLA_TYPES:
        return SlaAlertEvent(
            **common,
            state=SlaState(event.payload.get("state", "BREACHED")),
            due_at=datetime.fromisoformat(event.payload["dueAt"]),
            clock=str(event.payload.get("clock", "")),
        )
    return EntityEvent(
        **common,
        entity_type=event.entity_type,
        entity_id=strawberry.ID(to_global_id(event.entity_type, event.entity_id)),
    )


EVENT_CLASSES = [OrderHandoffEvent, TicketEvent, EscalationEvent, SlaAlertEvent, EntityEvent]
