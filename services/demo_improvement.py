"""Demo action items (the improvement loop) in every state, made through the real services.

Low demo feedback has opened FEEDBACK actions by itself (services/action_items.py); here the oldest
ones are carried through the loop (started, done, sent back once, verified) and a supervisor's own
findings show the other states: one awaiting verification, one cancelled, one open and due soon, one
overdue.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import select

from db.models import ActionItem, User
from services import action_items as service
from services.action_items import NewActionItem
from services.auth import principal_of_user
from services.clock import ManualClock
from services.demo_events import demo_unit_of_work
from services.demo_world import DemoWorld

_FINDINGS = (
    # (title, days before now it was found, days it had, the steps its owner and the supervisor took)
    ("Technicians log spare parts used on site", 30, 10, ("start", "complete", "reject", "complete", "verify")),
    ("Confirm delivery dates with service before quoting", 20, 14, ("start", "complete")),
    ("Review the noisy-pump complaints with the supplier", 12, 20, ("cancel",)),
    ("Call back every customer within 24 h of a complaint", 3, 5, ()),
    ("Refresh the installation checklist", 15, 7, ("start",)),  # overdue, in progress
)


async def seed_improvement(world: DemoWorld) -> None:
    users = world.users
    supervisor = users["supervisor@tandem.example"]
    owners = [users["service.lead@tandem.example"], users["marketing@tandem.example"]]
    now = world.clock.now()
    async with world.sessions() as session:
        automatic = list(
            (await session.scalars(select(ActionItem).order_by(ActionItem.created_at, ActionItem.id))).all()
        )
    by_id = users_by_id(users)
    # The oldest automatic actions: carried through the whole loop, the next one started.
    for item, steps in zip(automatic, (("start", "complete", "verify"), ("start",)), strict=False):
        owner = by_id[item.owner_id]
        await _walk(world, item.id, owner, supervisor, item.created_at + timedelta(hours=6), steps)
    for i, (title, ago, days, steps) in enumerate(_FINDINGS):
        found = now - timedelta(days=ago)
        owner = owners[i % len(owners)]
        clock = ManualClock(found)
        async with demo_unit_of_work(world.sessions, principal_of_user(supervisor), clock, world.event_horizon) as uow:
            item = await service.create_action_item(
                uow,
                NewActionItem(
                    title=title,
                    source="SUPERVISION" if i % 2 == 0 else "ROOT_CAUSE_REVIEW",
                    owner_id=owner.id,
                    due_at=found + timedelta(days=days),
                    customer_id=world.customers[i % len(world.customers)].id if world.customers else None,
                ),
            )
        await _walk(world, item.id, owner, supervisor, found + timedelta(hours=4), steps)


def users_by_id(users: dict[str, User]) -> dict[uuid.UUID, User]:
    return {u.id: u for u in users.values()}


async def _walk(
    world: DemoWorld, item_id: uuid.UUID, owner: User, supervisor: User, start: datetime, steps: tuple[str, ...]
) -> None:
    clock = ManualClock(start)
    for step in steps:
        actor = supervisor if step in ("verify", "reject", "cancel") else owner
        async with demo_unit_of_work(world.sessions, principal_of_user(actor), clock, world.event_horizon) as uow:
            if step == "start":
                await service.start_action_item(uow, item_id, None)
            elif step == "complete":
                await service.complete_action_item(uow, item_id, None, "Checklist updated and shared with both teams")
            elif step in ("verify", "reject"):
                note = "Checked on the next three jobs" if step == "verify" else "Not yet used on site: redo"
                await service.verify_action_item(uow, item_id, None, step == "verify", note)
            else:
                await service.cancel_action_item(uow, item_id, None)
        clock.advance(days=1)
