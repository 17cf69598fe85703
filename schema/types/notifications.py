"""Personal notifications: Notification, its connection (with the unread count) and its live event.
Every read is the caller's own: a notification of someone else does not exist for them."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import strawberry
from strawberry import relay
from strawberry.types.base import StrawberryObjectDefinition
from strawberry.utils.await_maybe import await_maybe

from db.models import Notification as NotificationRow
from db.repositories import notifications as repo
from schema.context import Info
from schema.ids import to_global_id
from schema.types.common import Connection, FromRow
from schema.types.events import Event, common_fields
from services.realtime.hub import LoggedEvent
from services.rules.notifications import NotificationKind

__all__ = ["Notification", "NotificationConnection", "NotificationEvent", "NotificationKind", "own_notification"]


def _own(info: Info) -> uuid.UUID | None:
    principal = info.context.principal
    return principal.user_id if principal is not None else None


async def own_notification(info: Info, notification_id: uuid.UUID) -> NotificationRow | None:
    user_id = _own(info)
    if user_id is None:
        return None
    found = await info.context.read(lambda s: repo.of_user(s, user_id, [notification_id]))
    return found[0] if found else None


@strawberry.type(description="Something the caller must act on: an assignment, an invitation, a due date, an alert.")
class Notification(relay.Node, FromRow[NotificationRow]):
    id: relay.NodeID[str]
    kind: NotificationKind
    title: str
    created_at: datetime
    read_at: datetime | None
    _row: strawberry.Private[NotificationRow]

    @strawberry.field(description="What it is about (a ticket, a service job, an order, an action item …).")
    async def subject(self, info: Info) -> relay.Node | None:
        row = self._row
        if row.subject_type is None or row.subject_id is None:
            return None
        definition = info.schema.get_type_by_name(row.subject_type)
        if not isinstance(definition, StrawberryObjectDefinition) or not issubclass(definition.origin, relay.Node):
            return None
        nodes = await await_maybe(
            definition.origin.resolve_nodes(info=info, node_ids=[str(row.subject_id)], required=False)
        )
        return next(iter(nodes), None)

    @classmethod
    async def resolve_nodes(  # node(id:): only the caller's own
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        results: list[Any] = []
        for raw in node_ids:
            try:
                row = await own_notification(info, uuid.UUID(str(raw)))
            except ValueError:
                row = None
            results.append(cls.from_row(row) if row is not None else None)
        return results


@strawberry.type(name="NotificationConnection")
class NotificationConnection(Connection[Notification]):
    _unread: strawberry.Private[Any]

    @strawberry.field(description="The caller's unread notifications, whatever the filter.")
    async def unread_count(self) -> int:
        return int(await self._unread())


@strawberry.type(description="A notification for the subscriber, the moment its cause committed.")
class NotificationEvent(Event):
    @strawberry.field
    async def notification(self, info: Info) -> Notification:
        notification_id = uuid.UUID(str(self._event.payload["notificationId"]))
        row = await own_notification(info, notification_id)
        if row is None:  # the stream only carries the subscriber's own: a missing row is a bug
            raise LookupError(f"notification {to_global_id('Notification', notification_id)} is not the caller's")
        return Notification.from_row(row)


def notification_event(event: LoggedEvent) -> NotificationEvent:
    return NotificationEvent(**common_fields(event))
