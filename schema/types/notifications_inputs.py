"""The write side of notifications: marking them read."""

from __future__ import annotations

import strawberry

from schema.types.common import UserError


@strawberry.input
class MarkNotificationsReadInput:
    notification_ids: list[strawberry.ID] | None = None
    all: bool | None = None


@strawberry.type
class MarkNotificationsReadPayload:
    unread_count: int
    errors: list[UserError]
