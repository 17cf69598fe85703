"""The real-time event types: each logged event as the Event interface's concrete type."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import Enum
from typing import Any

import strawberry

from schema.context import Info
from schema.ids import to_global_id
from schema.loaders import load_one, load_required
from schema.types.accounts import User
from schema.types.action_items import ActionItem
from schema.types.orders import Order
from schema.types.presale import Opportunity
from schema.types.tickets import Escalation, SlaState, Ticket
from services.realtime.event_types import ESCALATION_TYPES, EVENT_TYPES, HANDOFF_TYPES, SLA_TYPES, TICKET_TYPES
from services.realtime.hub import LoggedEvent

EventType = Enum("EventType", {t: t for t in EVENT_TYPES})  # type: ignore[misc]  # members: EVENT_TYPES
strawberry.enum(EventType, description="What happened; the log keeps one global order of all of them.")


@strawberry.interface(
    description="One entry of the durable event log. `cursor` is its place in the global order: "
    "resubscribe with `after: cursor` to miss nothing."
)
class Event:
    cursor: str
    type: EventType
    occurred_at: datetime
    _event: strawberry.Private[LoggedEvent]

    @strawberry.field
    async def actor(self, info: Info) -> User | None:
        return await load_one(info.context.loaders.users, _uuid(self._event.actor_id), User.from_row)


def _uuid(value: object) -> uuid.UUID | None:
    """An id of the event (a uuid, or its string in the payload); None when absent or not a uuid."""
    if not value:
        return None
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        return None


def _payload_id(event: LoggedEvent, key: str) -> uuid.UUID | None:
    return _uuid(event.payload.get(key))


def _subject_id(event: LoggedEvent, key: str | None = None) -> uuid.UUID:
    """The id of the object a typed event is about (its entity, or the payload's `key`): always there."""
    value = _uuid(event.entity_id if key is None else event.payload.get(key))
    if value is None:
        raise LookupError(f"event {event.id} ({event.type}) names no {key or 'entity'}")
    return value


@strawberry.type(description="An order handoff and its answer: handed off, confirmed, returned, cancelled.")
class OrderHandoffEvent(Event):
    @strawberry.field
    async def order(self, info: Info) -> Order:
        return await load_required(info.context.loaders.orders, _subject_id(self._event), Order.from_row)


@strawberry.type(description="A ticket change (board updates).")
class TicketEvent(Event):
    @strawberry.field
    async def ticket(self, info: Info) -> Ticket:
        return await load_required(info.context.loaders.tickets, _subject_id(self._event, "ticketId"), Ticket.from_row)


@strawberry.type(description="A joint consultation was opened, noted on, or closed.")
class EscalationEvent(Event):
    @strawberry.field
    async def ticket(self, info: Info) -> Ticket:
        return await load_required(info.context.loaders.tickets, _subject_id(self._event, "ticketId"), Ticket.from_row)

    @strawberry.field
    async def escalation(self, info: Info) -> Escalation:
        escalation_id = _subject_id(self._event, "escalationId")
        return await load_required(info.context.loaders.escalations, escalation_id, Escalation.from_row)


@strawberry.type(description="An SLA clock reached 80 % of its window (AT_RISK) or passed its due time (BREACHED).")
class SlaAlertEvent(Event):
    state: SlaState
    due_at: datetime
    clock: str = strawberry.field(
        description="Which clock: first_response, resolution, order_confirmation, …, action_item_due"
    )

    @strawberry.field
    async def ticket(self, info: Info) -> Ticket | None:
        return await load_one(info.context.loaders.tickets, _payload_id(self._event, "ticketId"), Ticket.from_row)

    @strawberry.field
    async def order(self, info: Info) -> Order | None:
        return await load_one(info.context.loaders.orders, _payload_id(self._event, "orderId"), Order.from_row)

    @strawberry.field(description="The action item whose due date is near (AT_RISK: within 24 h) or past (BREACHED).")
    async def action_item(self, info: Info) -> ActionItem | None:
        return await load_one(
            info.context.loaders.action_items, _payload_id(self._event, "actionItemId"), ActionItem.from_row
        )

    @strawberry.field(description="The opportunity of a solution-review or registration clock.")
    async def opportunity(self, info: Info) -> Opportunity | None:
        return await load_one(
            info.context.loaders.opportunities, _payload_id(self._event, "opportunityId"), Opportunity.from_row
        )


@strawberry.type(description="Any other change: the entity's type and global id, for a client to refetch.")
class EntityEvent(Event):
    entity_type: str
    entity_id: strawberry.ID


def common_fields(event: LoggedEvent) -> dict[str, Any]:
    return {"cursor": str(event.id), "type": EventType[event.type], "occurred_at": event.occurred_at, "_event": event}


def sla_alert(event: LoggedEvent) -> SlaAlertEvent:
    return SlaAlertEvent(
        **common_fields(event),
        state=SlaState(event.payload.get("state", "BREACHED")),
        due_at=datetime.fromisoformat(event.payload["dueAt"]),
        clock=str(event.payload.get("clock", "")),
    )


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
        return sla_alert(event)
    return EntityEvent(
        **common,
        entity_type=event.entity_type,
        entity_id=strawberry.ID(to_global_id(event.entity_type, event.entity_id)),
    )


EVENT_CLASSES = [OrderHandoffEvent, TicketEvent, EscalationEvent, SlaAlertEvent, EntityEvent]
