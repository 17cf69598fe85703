"""Meetings (例會): the weekly, monthly and ad-hoc joint meetings of marketing and service.

A lead, a supervisor or an admin records one after it was held: its attendees, minutes and decisions,
and the action items its decisions call for. The meeting and its action items are one unit of work: the
items are made by services/action_items.py (source MEETING, linked to the meeting), each with its own
activity and ACTION_ITEM_CREATED event, and any invalid one refuses the whole meeting (nothing is
written: no meeting, no item, no activity, no event).

Who may record: the permission matrix (services/access.py, RECORD_MEETINGS) lets the marketing and
service columns, supervisors and admins through; the columns cannot tell a lead from staff, so the role
is checked here, as `accept_order_completion` does for service leads.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from db.models import ActionItem, Meeting
from db.repositories import accounts as accounts_repo
from db.repositories import meetings as repo
from services import action_items
from services.errors import DomainError, ErrorCode
from services.rules.meetings import MEETING_KINDS, RECORDING_ROLES
from services.unit_of_work import UnitOfWork
from services.validation import Validator

# A meeting is recorded once it was held; a client clock a little ahead of ours is not a mistake.
HELD_AT_TOLERANCE = timedelta(minutes=5)
MAX_MINUTES = 20_000
MAX_DECISION = 1_000


@dataclass
class MeetingAction:
    """An action item a decision calls for: what, who, by when."""

    title: str
    owner_id: uuid.UUID
    due_at: datetime


@dataclass
class NewMeeting:
    kind: str
    title: str
    held_at: datetime
    attendee_ids: list[uuid.UUID]
    minutes: str | None = None
    decisions: list[str] = field(default_factory=list)
    actions: list[MeetingAction] = field(default_factory=list)


async def record_meeting(uow: UnitOfWork, data: NewMeeting) -> Meeting:
    _may_record(uow)
    v = Validator()
    v.require(data.kind in MEETING_KINDS, "unknown meeting kind", "kind")
    title = v.text(data.title, "the title", "title", required=True)
    minutes = v.text(data.minutes, "the minutes", "minutes", max_len=MAX_MINUTES)
    v.require(
        data.held_at <= uow.now + HELD_AT_TOLERANCE,
        "a meeting is recorded once held: heldAt is in the future",
        "heldAt",
    )
    decisions = [
        v.text(d, "a decision", "decisions", str(i), required=True, max_len=MAX_DECISION) or ""
        for i, d in enumerate(data.decisions)
    ]
    await _check_attendees(uow, v, data.attendee_ids)
    await _check_actions(uow, v, data.actions)
    v.raise_if_any()
    assert uow.actor_id is not None and title is not None
    meeting = Meeting(
        id=uuid.uuid4(),
        kind=data.kind,
        title=title,
        held_at=data.held_at,
        minutes=minutes,
        decisions=decisions,
        recorded_by_id=uow.actor_id,
    )
    await repo.add(uow.session, meeting, data.attendee_ids, uow.now)
    uow.record(
        action="meeting.recorded",
        entity_type="Meeting",
        entity_id=meeting.id,
        summary=f"{data.kind.replace('_', '-').lower()} meeting recorded: {title} "
        f"({len(data.attendee_ids)} attendees, {len(decisions)} decisions, {len(data.actions)} action items)",
        changes={
            "kind": data.kind,
            "title": title,
            "heldAt": data.held_at,
            "attendeeIds": sorted(str(u) for u in data.attendee_ids),
            "decisions": decisions,
        },
        event="MEETING_RECORDED",
        payload={"meetingId": meeting.id, "kind": data.kind, "actionItemCount": len(data.actions)},
    )
    for action in data.actions:
        await _open_action(uow, meeting, action)
    return meeting


def _may_record(uow: UnitOfWork) -> None:
    actor = uow.actor
    if actor is None or actor.role not in RECORDING_ROLES:
        raise DomainError(ErrorCode.FORBIDDEN, "only a lead, a supervisor or an admin may record a meeting")


async def _check_attendees(uow: UnitOfWork, v: Validator, attendee_ids: list[uuid.UUID]) -> None:
    v.require(bool(attendee_ids), "a meeting needs at least one attendee", "attendeeIds")
    v.require(len(set(attendee_ids)) == len(attendee_ids), "each attendee may be named only once", "attendeeIds")
    people = {u.id: u for u in await accounts_repo.users_by_ids(uow.session, set(attendee_ids))}
    v.require(
        all(u in people and people[u].active for u in attendee_ids),
        "every attendee must be an active user",
        "attendeeIds",
    )


async def _check_actions(uow: UnitOfWork, v: Validator, actions: list[MeetingAction]) -> None:
    """Every problem of every action at once, with its place (`actions.1.ownerId`), before anything is
    written; services/action_items.py checks each again as it makes it (the same rules)."""
    if not actions:
        return
    owners = {u.id: u for u in await accounts_repo.users_by_ids(uow.session, {a.owner_id for a in actions})}
    for i, action in enumerate(actions):
        at = ("actions", str(i))
        v.text(action.title, "an action item's title", *at, "title", required=True)
        v.require(action.due_at > uow.now, "an action item's due time must be in the future", *at, "dueAt")
        owner = owners.get(action.owner_id)
        v.require(owner is not None and owner.active, "an action item's owner must be an active user", *at, "ownerId")


async def _open_action(uow: UnitOfWork, meeting: Meeting, action: MeetingAction) -> ActionItem:
    return await action_items.create_action_item(
        uow,
        action_items.NewActionItem(
            title=action.title,
            source="MEETING",
            owner_id=action.owner_id,
            due_at=action.due_at,
            description=f"Decided at the meeting “{meeting.title}” of {meeting.held_at:%Y-%m-%d}",
            meeting_id=meeting.id,
        ),
    )
