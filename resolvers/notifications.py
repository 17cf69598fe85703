"""The caller's notifications: the inbox, marking read, and the live `myNotifications` stream."""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator

from db.repositories import notifications as repo
from resolvers.events import _events
from resolvers.mutation_boundary import mutate
from schema.context import Info
from schema.ids import decode_id
from schema.permissions import Forbidden
from schema.types.common import connection, page_window
from schema.types.notifications import (
    Notification,
    NotificationConnection,
    NotificationEvent,
    notification_event,
)
from schema.types.notifications_inputs import MarkNotificationsReadInput, MarkNotificationsReadPayload
from services import notifications as service
from services.realtime import streams
from services.unit_of_work import UnitOfWork


def _person(info: Info) -> uuid.UUID:
    # The permission class admits people only (services/access.py OWN_NOTIFICATIONS); this is its type.
    principal = info.context.principal
    if principal is None or principal.user_id is None:
        raise Forbidden("only a person has notifications")
    return principal.user_id


async def notifications(
    info: Info,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
    unread: bool | None = None,
) -> NotificationConnection:
    """The caller's own notifications, newest first (`unread: true` for the unread ones only)."""
    user_id = _person(info)
    page = await connection(
        info,
        lambda s, window: repo.page(s, user_id=user_id, unread=unread, **window),
        page_window(first, after, last, before),
        Notification.from_row,
    )
    ctx = info.context
    return NotificationConnection(
        edges=page.edges,
        page_info=page.page_info,
        _count=page._count,
        _unread=lambda: ctx.read(lambda s: repo.unread_count(s, user_id)),
    )


async def mark_notifications_read(info: Info, input: MarkNotificationsReadInput) -> MarkNotificationsReadPayload:
    """Mark the caller's named notifications (or all of them, `all: true`) read."""

    async def action(uow: UnitOfWork) -> int:
        ids = (
            None
            if input.notification_ids is None
            else [decode_id(i, "Notification", "notificationIds") for i in input.notification_ids]
        )
        return await service.mark_read(uow, ids, bool(input.all))

    count, errors = await mutate(info, action)
    if count is None:
        count = await info.context.read(lambda s: repo.unread_count(s, _person(info)))
    return MarkNotificationsReadPayload(unread_count=count, errors=errors)


async def my_notifications(info: Info, after: str | None = None) -> AsyncGenerator[NotificationEvent, None]:
    """The caller's notifications the moment they are made; resumable with `after` like every stream."""
    match = streams.personal(str(_person(info)))
    async for event in _events(info, match, after, notification_event, personal=True):
        yield notification_event(event)
