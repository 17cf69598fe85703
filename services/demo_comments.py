"""Demo comments on every kind of work item, both visibilities, made through services/comments.py (so each
is on its subject's and its customer's timeline and in the event log). Service's comments on an
opportunity are its technical advice on the requirements. Tickets have their replies of both
visibilities from services/demo_tickets.py already.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from db.models.comments import SUBJECT_COLUMNS
from db.repositories import activity as activity_repo
from db.repositories import comments as comments_repo
from services import comments
from services.auth import principal_of_user
from services.clock import ManualClock
from services.demo_events import demo_unit_of_work
from services.demo_world import DemoWorld

# Who says what (by demo email), in order, on the oldest subjects of each kind.
_SERVICE, _SELLER, _SUPERVISOR = "service.lead@tandem.example", "marketing@tandem.example", "supervisor@tandem.example"
_REMARKS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "Opportunity": (
        (_SERVICE, "CUSTOMER", "Sealed IP65 drives recommended: the site is dusty and humid all year"),
        (_SERVICE, "INTERNAL", "Our last retrofit at this plant overran by two days; plan a buffer"),
        (_SELLER, "CUSTOMER", "The customer wants the quote before their board meets on Friday"),
    ),
    "Order": (
        (_SELLER, "CUSTOMER", "Delivery window confirmed with the customer: mornings only"),
        (_SERVICE, "INTERNAL", "A crane is needed on site; booked with the usual subcontractor"),
    ),
    "ServiceJob": (
        ("technician@tandem.example", "CUSTOMER", "The technician calls 30 minutes before arriving"),
        (_SERVICE, "INTERNAL", "Bring the spare controller board with firmware 2.4"),
    ),
    "ActionItem": (
        (_SUPERVISOR, "INTERNAL", "Review the effect at next month's joint meeting"),
        (_SERVICE, "CUSTOMER", "The customer was told about the new 24 h call-back rule"),
    ),
}
# A kind of subject registered later without remarks of its own here.
_DEFAULT = (
    (_SELLER, "CUSTOMER", "Shared with the customer's team"),
    (_SUPERVISOR, "INTERNAL", "Keep an eye on this one"),
)
_SUBJECTS_PER_KIND = 3


async def seed_comments(world: DemoWorld) -> None:
    now = world.clock.now()
    # The comments come after the history the other seeders played, a minute apart (at most `now`), so
    # every timeline and the log still read in time order.
    async with world.sessions() as session:
        at = await activity_repo.latest_at(session) or now
    for type_name in SUBJECT_COLUMNS:
        table = comments_repo.subject_table(type_name)
        async with world.sessions() as session:
            oldest = (
                await session.execute(
                    select(table.c.id, table.c.created_at)
                    .order_by(table.c.created_at, table.c.id)
                    .limit(_SUBJECTS_PER_KIND)
                )
            ).all()
        for subject_id, _ in oldest:
            for email, visibility, body in _REMARKS.get(type_name, _DEFAULT):
                author = world.users[email]
                at = min(at + timedelta(minutes=1), now)
                clock = ManualClock(at)
                async with demo_unit_of_work(
                    world.sessions, principal_of_user(author), clock, world.event_horizon
                ) as uow:
                    await comments.add_comment(uow, type_name, subject_id, body, visibility)
