"""Demo meetings (例會), recorded through the real service: last month's monthly review (chaired by the
supervisor; one of its action items already done, one overdue), this week's weekly meeting (led by the
marketing lead; its action items open and due next week) and an ad-hoc meeting with decisions but
nothing to do. Each meeting's action items are real action items (source MEETING)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from db.models import User
from db.repositories import meetings as meetings_repo
from services import action_items
from services.auth import principal_of_user
from services.clock import ManualClock
from services.demo_events import demo_unit_of_work
from services.demo_world import DemoWorld
from services.meetings import MeetingAction, NewMeeting, record_meeting


@dataclass(frozen=True)
class _Demo:
    kind: str
    title: str
    days_ago: int
    chair: str  # the email of who records it
    attendees: tuple[str, ...]
    minutes: str
    decisions: tuple[str, ...]
    actions: tuple[tuple[str, str, int], ...]  # (title, owner's email, days after the meeting it is due)


_LEADS = ("marketing.lead@tandem.example", "service.lead@tandem.example")
_MEETINGS = (
    _Demo(
        "MONTHLY",
        "Monthly service and sales review",
        25,
        "supervisor@tandem.example",
        ("supervisor@tandem.example", *_LEADS, "marketing@tandem.example", "service@tandem.example"),
        "Satisfaction dipped on installation jobs; two handoffs were returned for missing delivery dates.",
        (
            "Every handoff names a confirmed delivery date",
            "Installation crews leave a checklist copy with the customer",
        ),
        (
            ("Add the delivery-date check to the handoff form", "marketing.lead@tandem.example", 7),
            ("Print and hand out installation checklists", "service.lead@tandem.example", 14),
        ),
    ),
    _Demo(
        "WEEKLY",
        "Weekly joint meeting",
        2,
        "marketing.lead@tandem.example",
        (*_LEADS, "marketing2@tandem.example", "technician@tandem.example"),
        "Walked through the open tickets and this week's handoffs; one escalation is still waiting for parts.",
        ("Call every complaining customer back within 24 h", "Share the spare-parts stock list with sales weekly"),
        (
            ("Set up the call-back rota", "service@tandem.example", 5),
            ("Send the spare-parts list every Monday", "technician2@tandem.example", 7),
        ),
    ),
    _Demo(
        "AD_HOC",
        "Pump recall: what we tell customers",
        9,
        "service.lead@tandem.example",
        (*_LEADS, "supervisor@tandem.example"),
        "The supplier recalls one pump batch; no customer of ours has reported a failure yet.",
        ("Sales answers recall questions with the supplier's notice",),
        (),
    ),
)


async def seed_meetings(world: DemoWorld) -> None:
    users = world.users
    now = world.clock.now()
    for demo in _MEETINGS:
        held = now - timedelta(days=demo.days_ago)
        clock = ManualClock(held + timedelta(hours=2))  # written up after the meeting
        chair = users[demo.chair]
        async with demo_unit_of_work(world.sessions, principal_of_user(chair), clock, world.event_horizon) as uow:
            meeting = await record_meeting(
                uow,
                NewMeeting(
                    kind=demo.kind,
                    title=demo.title,
                    held_at=held,
                    attendee_ids=[users[email].id for email in demo.attendees],
                    minutes=demo.minutes,
                    decisions=list(demo.decisions),
                    actions=[
                        MeetingAction(title=title, owner_id=users[owner].id, due_at=held + timedelta(days=days))
                        for title, owner, days in demo.actions
                    ],
                ),
            )
        if demo.kind == "MONTHLY":
            await _first_one_done(world, meeting.id, users, clock)


async def _first_one_done(world: DemoWorld, meeting_id: uuid.UUID, users: dict[str, User], clock: ManualClock) -> None:
    """The monthly review's first action item is done by its owner; the second is left overdue."""
    owner = users["marketing.lead@tandem.example"]
    async with world.sessions() as session:
        items = await meetings_repo.action_items_of(session, [meeting_id])
    first = items[0]
    for step in ("start", "complete"):
        clock.advance(days=2)
        async with demo_unit_of_work(world.sessions, principal_of_user(owner), clock, world.event_horizon) as uow:
            if step == "start":
                await action_items.start_action_item(uow, first.id, None)
            else:
                await action_items.complete_action_item(uow, first.id, None, "The handoff form refuses a missing date")
