"""Meetings (例會), their attendees, and the action items their decisions opened."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Unpack

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import ActionItem, Meeting, MeetingAttendee, User
from db.repositories import rows
from db.repositories.pagination import Page, Window, by_datetime, by_uuid, fetch_page

# Newest held first; the id breaks ties.
PAGE_KEYS = [by_datetime(Meeting.held_at), by_uuid(Meeting.id)]

_meetings = rows.Table(Meeting)
get = _meetings.get
by_ids = _meetings.by_ids
exists = _meetings.exists


async def add(session: AsyncSession, meeting: Meeting, attendee_ids: Sequence[uuid.UUID], now: datetime) -> Meeting:
    """Insert the meeting and its attendees (one statement for all of them)."""
    await _meetings.add(session, meeting, now)
    await session.execute(
        insert(MeetingAttendee), [{"meeting_id": meeting.id, "user_id": user_id} for user_id in attendee_ids]
    )
    return meeting


async def page(session: AsyncSession, *, kinds: Sequence[str] | None = None, **window: Unpack[Window]) -> Page[Meeting]:
    stmt = select(Meeting)
    if kinds:
        stmt = stmt.where(Meeting.kind.in_(list(kinds)))
    return await fetch_page(session, stmt, PAGE_KEYS, descending=True, **window)


async def attendees_of(session: AsyncSession, meeting_ids: Iterable[uuid.UUID]) -> list[Any]:
    """Rows (meeting_id, User) for all the given meetings in one statement, by name."""
    return await rows.pairs_of(
        session,
        MeetingAttendee.meeting_id,
        meeting_ids,
        User,
        User.id == MeetingAttendee.user_id,
        User.name,
        User.id,
    )


async def action_items_of(session: AsyncSession, meeting_ids: Iterable[uuid.UUID]) -> list[ActionItem]:
    """The action items the given meetings opened, in one statement, in the order they were opened."""
    # (rows.children_of wants a non-null parent column; an action item's meeting is optional.)
    stmt = select(ActionItem).where(ActionItem.meeting_id.in_(list(meeting_ids))).order_by(ActionItem.number)
    return list((await session.scalars(stmt)).all())
