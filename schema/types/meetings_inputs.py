"""Meetings' write side: the input and payload of recordMeeting."""

from __future__ import annotations

from datetime import datetime

import strawberry

from schema.types.common import UserError
from schema.types.meetings import Meeting, MeetingKind


@strawberry.input(description="An action item a decision calls for (source MEETING, linked to the meeting).")
class MeetingActionItemInput:
    title: str
    owner_id: strawberry.ID
    due_at: datetime


@strawberry.input
class RecordMeetingInput:
    kind: MeetingKind
    title: str
    held_at: datetime
    attendee_ids: list[strawberry.ID]
    minutes: str | None = None
    decisions: list[str] | None = None
    actions: list[MeetingActionItemInput] | None = None
    idempotency_key: str | None = None


@strawberry.type
class MeetingPayload:
    meeting: Meeting | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)
