"""Meetings (例會): Meeting and its kind."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry import relay

from db.models import Meeting as MeetingRow
from schema.loaders import node_resolver
from schema.types.accounts import User
from schema.types.action_items import ActionItem
from schema.types.common import FromRow, required, to_many
from services.rules.meetings import MeetingKind

__all__ = ["Meeting", "MeetingKind"]


@strawberry.type(description="A weekly, monthly or ad-hoc joint meeting: who came, what was said and decided.")
class Meeting(relay.Node, FromRow[MeetingRow]):
    id: relay.NodeID[str]
    kind: MeetingKind
    title: str
    held_at: datetime
    attendees: list[User] = to_many("attendees_by_meeting", lambda: User, description="Who attended, by name.")
    minutes: str | None
    decisions: list[str]
    action_items: list[ActionItem] = to_many(
        "action_items_by_meeting",
        lambda: ActionItem,
        description="The action items its decisions opened (source MEETING), in the order opened.",
    )
    recorded_by: User = required("users", "recorded_by_id", lambda: User)
    version: int
    _row: strawberry.Private[MeetingRow]
    resolve_nodes = node_resolver(lambda loaders: loaders.meetings)  # node(id:)
