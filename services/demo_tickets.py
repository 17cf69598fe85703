"""Demo tickets for `seed-demo`: every status, replies of both visibilities, joint consultations open and
closed, SLAs met, at risk and breached, spread over the last 90 days.

Everything goes through the ticket services with a ManualClock set to past instants, so the audit
trail, the event log and the SLA columns are exactly what real use would have produced. All steps of
all tickets run in time order, so the event log reads chronologically too.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.models import User
from services import escalations, tickets
from services.auth import principal_of_user
from services.clock import Clock, ManualClock
from services.demo_events import demo_unit_of_work
from services.tickets import NewTicket
from services.unit_of_work import UnitOfWork

SUBJECTS = {
    "COMPLAINT": [
        "Delivery arrived two weeks late",
        "Machine stops after an hour",
        "Invoice does not match the order",
        "Technician missed the appointment",
        "Noise level far above the datasheet",
    ],
    "QUALITY_ISSUE": [
        "Seal leaks oil after installation",
        "Sensor readings drift",
        "Cracked housing on arrival",
        "Controller reboots under load",
    ],
    "INQUIRY": [
        "How to export production reports?",
        "Spare parts price list",
        "Maintenance interval question",
        "Can the unit run on 110 V?",
    ],
    "SUGGESTION": ["Add a German user manual", "Offer remote diagnostics", "Shorter training sessions"],
    "SERVICE_REQUEST": ["Annual maintenance visit", "Recalibrate the line", "Move the unit to hall 3"],
}
CUSTOMER_REPLIES = [
    "Thank you, we are looking into it.",
    "A technician will call you tomorrow morning.",
    "The replacement part has shipped.",
    "Could you send a photo of the type plate?",
]
INTERNAL_NOTES = [
    "Checked the order: the serial number matches the faulty batch.",
    "Customer is a key account.",
    "Same symptom as last month at another site.",
    "Waiting for the factory's answer.",
]
CONSULTATION_NOTES = [
    "Marketing: the customer expects a goodwill gesture.",
    "Service: a firmware fix is ready.",
    "Proposal: swap the unit and extend the warranty.",
    "Agreed with the account manager.",
]
ROOT_CAUSES = ["PRODUCT_DEFECT", "INSTALLATION", "USAGE", "LOGISTICS", "DOCUMENTATION", "OTHER"]

Step = Callable[[UnitOfWork, uuid.UUID], Awaitable[Any]]


@dataclass
class Plan:
    """One ticket: when it opens, what it is about, and its later steps (minutes after opening)."""

    opened_at: datetime
    data: NewTicket
    opener: User
    steps: list[tuple[float, User, Step]] = field(default_factory=list)


@dataclass
class Cast:
    service: list[User]
    marketing: list[User]
    supervisor: User | None
    rng: random.Random

    def pick(self, people: list[User]) -> User:
        return self.rng.choice(people)


def _cast(users: Iterable[User], rng: random.Random) -> Cast:
    people = [u for u in users if u.active]
    service = [u for u in people if u.department == "SERVICE"]
    marketing = [u for u in people if u.department == "MARKETING"]
    supervisor = next((u for u in people if u.role == "SUPERVISOR"), None)
    if not service or not marketing:
        raise ValueError("demo tickets need active service and marketing users")
    return Cast(service, marketing, supervisor, rng)


# ----------------------------------------------------------------------------- the steps


def ack() -> Step:
    return lambda uow, t: tickets.acknowledge(uow, t, None)


def assign(user: User) -> Step:
    return lambda uow, t: tickets.assign(uow, t, user.id, None)


def start() -> Step:
    return lambda uow, t: tickets.start_work(uow, t, None)


def reply(rng: random.Random, visibility: str) -> Step:
    body = rng.choice(CUSTOMER_REPLIES if visibility == "CUSTOMER" else INTERNAL_NOTES)
    return lambda uow, t: tickets.add_comment(uow, t, body, visibility)


def escalate(reason: str, participants: list[User]) -> Step:
    return lambda uow, t: escalations.escalate(uow, t, reason, [p.id for p in participants], None)


def note(body: str) -> Step:
    return lambda uow, t: escalations.add_note(uow, t, body)


def close_escalation(plan: str) -> Step:
    return lambda uow, t: escalations.close_escalation(uow, t, plan, None)


def resolve(rng: random.Random) -> Step:
    cause = rng.choice(ROOT_CAUSES)
    return lambda uow, t: tickets.resolve(uow, t, cause, "Fixed on site and confirmed with the customer.", None)


def close() -> Step:
    return lambda uow, t: tickets.close(uow, t, None)


def reopen() -> Step:
    return lambda uow, t: tickets.reopen(uow, t, None)


def priority(value: str) -> Step:
    return lambda uow, t: tickets.change_priority(uow, t, value, None)


# ----------------------------------------------------------------------------- the stories


def _story(kind: str, c: Cast, rng: random.Random) -> list[tuple[float, User, Step]]:
    """Steps as (minutes after opening, who takes it, step) for one kind of story."""
    handler = c.pick(c.service)
    seller = c.pick(c.marketing)
    fast = rng.uniform(5, 25)  # a prompt first response
    steps: list[tuple[float, User, Step]] = []
    work = [
        (fast, handler, ack()),
        (fast + 1, handler, assign(c.pick(c.service))),
        (fast + 30, handler, start()),
        (fast + 45, handler, reply(rng, "CUSTOMER")),
        (fast + 50, seller, reply(rng, "INTERNAL")),
    ]
    consult = [
        (
            fast + 120,
            handler,
            escalate("Complex case: needs the account manager and a technical decision", [seller, c.pick(c.service)]),
        ),
        (fast + 180, seller, note(CONSULTATION_NOTES[0])),
        (fast + 240, handler, note(CONSULTATION_NOTES[1])),
    ]
    if c.supervisor is not None:
        consult.append((fast + 300, c.supervisor, note(CONSULTATION_NOTES[3])))
    match kind:
        case "resolved_on_time":
            steps = [*work, (fast + 200, handler, resolve(rng))]
        case "closed":
            steps = [*work, (fast + 200, handler, resolve(rng)), (fast + 2 * 1440, handler, close())]
        case "closed_after_consultation":
            steps = (
                work
                + consult
                + [
                    (fast + 400, handler, close_escalation(CONSULTATION_NOTES[2])),
                    (fast + 600, handler, resolve(rng)),
                    (fast + 3 * 1440, handler, close()),
                ]
            )
        case "resolved_in_consultation":
            steps = work + consult + [(fast + 500, handler, resolve(rng))]
        case "resolved_late":  # first response late, resolution days late: BREACHED for good
            steps = [
                (600, handler, ack()),
                (700, handler, start()),
                (720, handler, reply(rng, "CUSTOMER")),
                (9 * 1440, handler, resolve(rng)),
            ]
        case "reopened":
            steps = [
                *work,
                (fast + 200, handler, resolve(rng)),
                (fast + 1440, handler, close()),
                (fast + 3 * 1440, seller, reopen()),
                (fast + 3 * 1440 + 30, handler, reply(rng, "CUSTOMER")),
            ]
        case "escalated_open":
            steps = work + consult
        case "in_progress":
            steps = [*work, (fast + 60, handler, priority("HIGH"))]
        case "acknowledged":
            steps = [(fast, handler, ack()), (fast + 5, seller, reply(rng, "INTERNAL"))]
        case "new":
            steps = []
    return steps


# Old stories are finished; recent ones are still open, so their SLA clocks run against today.
FINISHED = [
    "resolved_on_time",
    "closed",
    "closed_after_consultation",
    "resolved_in_consultation",
    "resolved_late",
    "reopened",
    "closed",
    "resolved_on_time",
]
RUNNING = [  # (story, priority, minutes before now it opened) -> the SLA state it shows today
    ("new", "LOW", 60),  # ON_TRACK
    ("new", "HIGH", 100),  # first response AT_RISK (83 % of 2 h)
    ("new", "URGENT", 180),  # first response BREACHED
    ("acknowledged", "NORMAL", 300),  # MET first response, resolution ON_TRACK
    ("in_progress", "NORMAL", 2 * 1440),  # re-prioritised to HIGH: resolution (24 h from opening) BREACHED
    ("in_progress", "LOW", 3 * 1440),  # ON_TRACK
    ("escalated_open", "HIGH", 20 * 60),  # resolution AT_RISK (20 h of 24 h)
    ("escalated_open", "NORMAL", 5 * 1440),  # resolution BREACHED
    ("acknowledged", "NORMAL", 62 * 60),  # resolution AT_RISK (62 h of 72 h)
]


async def seed_tickets(
    sessions: async_sessionmaker[AsyncSession],
    clock: Clock,
    users: Any,
    customers: Iterable[Any],
    orders: Iterable[Any],
    rng: random.Random,
    *,
    finished: int = 36,
    event_horizon: datetime | None = None,
) -> list[uuid.UUID]:
    """Create the demo tickets; returns their ids. `users`: User rows (or a dict of them); `customers`:
    Customer rows or ids; `orders`: Order rows (tickets about an order use the order's customer);
    `event_horizon`: the earliest instant an event may carry (services/demo_events.py)."""
    now = clock.now()
    c = _cast(users.values() if isinstance(users, dict) else users, rng)
    customer_ids = [getattr(x, "id", x) for x in customers]
    order_rows = list(orders)
    if not customer_ids:
        return []

    def about() -> tuple[uuid.UUID, uuid.UUID | None]:
        if order_rows and rng.random() < 0.6:
            order = rng.choice(order_rows)
            return order.customer_id, order.id
        return rng.choice(customer_ids), None

    def new_plan(opened_at: datetime, prio: str, story: str) -> Plan:
        kind = rng.choice(list(SUBJECTS))
        customer_id, order_id = about()
        data = NewTicket(
            customer_id=customer_id,
            order_id=order_id,
            kind=kind,
            priority=prio,
            subject=rng.choice(SUBJECTS[kind]),
            description="Reported by the customer by phone; details in the comments.",
        )
        plan = Plan(opened_at, data, rng.choice(c.marketing + c.service))
        plan.steps = [(minutes, who, step) for minutes, who, step in _story(story, c, rng)]
        return plan

    plans = []
    span = timedelta(days=78)  # finished stories open between 90 and 12 days ago
    for i in range(finished):
        opened = now - timedelta(days=90) + span * (i / max(finished, 1)) + timedelta(minutes=rng.randint(0, 600))
        plans.append(
            new_plan(opened, rng.choice(["LOW", "NORMAL", "NORMAL", "HIGH", "URGENT"]), FINISHED[i % len(FINISHED)])
        )
    for story, prio, minutes_ago in RUNNING:
        plans.append(new_plan(now - timedelta(minutes=minutes_ago), prio, story))

    # Every step of every ticket, in time order (steps that would lie in the future are left out).
    agenda: list[tuple[datetime, int, int, User, Step | None]] = []
    for n, plan in enumerate(plans):
        agenda.append((plan.opened_at, n, -1, plan.opener, None))
        for k, (minutes, who, step) in enumerate(plan.steps):
            at = plan.opened_at + timedelta(minutes=minutes)
            if at < now:
                agenda.append((at, n, k, who, step))
    agenda.sort(key=lambda item: (item[0], item[1], item[2]))

    past = ManualClock(now)
    ids: dict[int, uuid.UUID] = {}
    for at, n, _, who, action in agenda:
        past.set(at)
        async with demo_unit_of_work(sessions, principal_of_user(who), past, event_horizon) as uow:
            if action is None:
                ids[n] = (await tickets.open_ticket(uow, plans[n].data)).id
            else:
                await action(uow, ids[n])
    return [ids[n] for n in range(len(plans))]
