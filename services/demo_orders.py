"""Demo orders, service jobs and feedback over the last 90 days, made through the real services.

Every order follows a scenario (a list of timed steps); all steps of all orders run in time order
on a ManualClock set to each step's instant, so activity rows, events and timestamps tell one
consistent story: every order status, returned and re-handed-off orders, every job status, passed
and failed quality checks, and feedback.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from db.models import Customer, Order, User
from db.repositories import orders as orders_repo
from services import feedback as feedback_service
from services import orders as order_service
from services import service_jobs as job_service
from services.auth import principal_of_user
from services.clock import ManualClock
from services.demo_events import demo_unit_of_work
from services.demo_people import sellers as demo_sellers
from services.demo_world import DemoWorld
from services.feedback import NewFeedback
from services.orders import ItemData, NewOrder
from services.service_jobs import NewServiceJob
from services.unit_of_work import UnitOfWork

_PRODUCTS = [
    ("TX-200 hydraulic press", Decimal("48500.00")),
    ("CNC-5 milling centre", Decimal("126000.00")),
    ("AirFlow 900 compressor", Decimal("18900.00")),
    ("ColdLine 3 chiller", Decimal("35200.00")),
    ("PackMaster 40 wrapper", Decimal("27400.00")),
    ("Spare parts kit", Decimal("1200.00")),
    ("Remote monitoring licence (1 year)", Decimal("2400.00")),
]
_REQUIREMENTS = [
    "Installation on the 2nd floor, freight lift available",
    "Night shift installation only",
    "Customer provides crane",
    "Training in Mandarin for 6 operators",
    None,
    None,
]
_RETURN_REASONS = [
    "Delivery date is before the earliest installation slot",
    "Quantity differs from the signed contract (3 vs 2)",
    "Power supply 380 V not confirmed on site",
    "Special requirements missing the floor load limit",
]
_FAILED_NOTES = [
    "Pressure test failed at valve 3, repair scheduled",
    "Calibration out of tolerance",
    "Noise above spec, bearing replaced next visit",
]
_COMMENTS = {
    5: "Excellent team, on time and tidy",
    4: "Good job, small delay at the start",
    3: "OK, but we had to call twice",
    2: "Installation took far longer than promised",
    1: "Machine failed the acceptance test",
}

# Scenario steps: (hours after the order's start, step name, argument). The argument's type is the one
# its step function (`_STEPS`) takes.
Step = tuple[float, str, Any]
SCENARIOS: dict[str, list[Step]] = {
    "completed": [
        (0, "create", None),
        (2, "hand_off", None),
        (6, "confirm", None),
        (7, "schedule", "INSTALLATION"),
        (8, "schedule", "TRAINING"),
        (50, "start", 0),
        (56, "complete", (0, "PASSED")),
        (75, "start", 1),
        (78, "complete", (1, "PASSED")),
        (120, "feedback", 5),
    ],
    # The repair is booked while the failing installation is still open (else the order would complete).
    "completed_after_failed_check": [
        (0, "create", None),
        (1, "hand_off", None),
        (20, "confirm", None),
        (21, "schedule", "INSTALLATION"),
        (70, "start", 0),
        (75, "schedule", "REPAIR"),
        (76, "complete", (0, "FAILED")),
        (120, "start", 1),
        (123, "complete", (1, "PASSED")),
        (150, "feedback", 3),
    ],
    "completed_with_cancelled_job": [
        (0, "create", None),
        (3, "hand_off", None),
        (10, "confirm", None),
        (11, "schedule", "COMMISSIONING"),
        (12, "schedule", "TRAINING"),
        (60, "start", 0),
        (64, "complete", (0, "PASSED")),
        (65, "cancel_job", 1),
        (100, "feedback", 4),
    ],
    "in_service": [
        (0, "create", None),
        (4, "hand_off", None),
        (9, "confirm", None),
        (10, "schedule", "INSTALLATION"),
        (11, "schedule", "TRAINING"),
        (48, "start", 0),
    ],
    "confirmed": [(0, "create", None), (2, "hand_off", None), (30, "confirm", None), (31, "schedule", "INSTALLATION")],
    "handed_off": [(0, "create", None), (1, "hand_off", None)],
    "returned": [(0, "create", None), (2, "hand_off", None), (8, "return", None)],
    "returned_and_handed_off_again": [
        (0, "create", None),
        (2, "hand_off", None),
        (9, "return", None),
        (26, "fix", None),
        (27, "hand_off", None),
    ],
    "returned_then_completed": [
        (0, "create", None),
        (1, "hand_off", None),
        (5, "return", None),
        (20, "fix", None),
        (21, "hand_off", None),
        (26, "confirm", None),
        (27, "schedule", "INSTALLATION"),
        (72, "start", 0),
        (77, "complete", (0, "FAILED")),
        (79, "accept", "The customer signed off; the fault is in their own power supply"),
        (90, "feedback", 2),
    ],
    "draft": [(0, "create_incomplete", None)],
    "cancelled_draft": [(0, "create", None), (30, "cancel", None)],
    "cancelled_in_service": [
        (0, "create", None),
        (2, "hand_off", None),
        (8, "confirm", None),
        (9, "schedule", "INSTALLATION"),
        (10, "schedule", "TRAINING"),
        (40, "start", 0),
        (44, "cancel", None),
    ],
}


@dataclass
class _Run:
    """One order being played: its customer, its people, and what its steps created."""

    customer: Customer
    seller: User
    technician: User
    order: Order | None = None
    jobs: list[uuid.UUID] = field(default_factory=list)

    @property
    def placed(self) -> Order:
        assert self.order is not None, "every scenario creates its order first"
        return self.order


async def seed_orders(world: DemoWorld) -> list[Order]:
    """Orders in every state, with their service jobs and feedback."""
    sessions, clock, users, customers, rng = world.sessions, world.clock, world.users, world.customers, world.rng
    event_horizon = world.event_horizon
    if not customers:
        return []
    now = clock.now()
    sellers = demo_sellers(users)
    service = [users[e] for e in ("service@tandem.example", "service.lead@tandem.example")]
    service_lead = users["service.lead@tandem.example"]
    technicians = [users[e] for e in ("technician@tandem.example", "technician2@tandem.example")]
    names = list(SCENARIOS)
    count = max(len(names), len(customers) * 3 // 4)
    timeline: list[tuple[datetime, int, int, Step]] = []
    runs: list[_Run] = []
    for i in range(count):
        scenario = names[i % len(names)]
        run = _Run(
            customer=customers[(i * 7) % len(customers)],
            seller=sellers[i % len(sellers)],
            technician=technicians[i % len(technicians)],
        )
        runs.append(run)
        # Spread over the last 90 days; the last scenario steps end a few days before now.
        start = now - timedelta(days=90) + timedelta(hours=(80 * 24) * i / count + rng.uniform(0, 12))
        for n, step in enumerate(SCENARIOS[scenario]):
            timeline.append((start + timedelta(hours=step[0]), i, n, step))
    timeline.sort(key=lambda t: (t[0], t[1], t[2]))
    manual = ManualClock(now)
    for at, i, _, (_, name, arg) in timeline:
        manual.set(at)
        run = runs[i]
        actor = (
            service_lead
            if name == "accept"
            else run.seller
            if name in ("create", "create_incomplete", "hand_off", "fix", "cancel")
            else run.technician
            if name in ("start", "complete")
            else service[i % len(service)]
        )
        async with demo_unit_of_work(sessions, principal_of_user(actor), manual, event_horizon) as uow:
            await _STEPS[name](uow, run, arg, rng)
    # Customers' satisfaction beyond the orders: return visits and surveys.
    for j, customer in enumerate(customers[: max(3, len(customers) // 3)]):
        manual.set(now - timedelta(days=rng.uniform(1, 88)))
        score = rng.choice([5, 5, 4, 4, 4, 3, 2])
        async with demo_unit_of_work(
            sessions, principal_of_user(sellers[j % len(sellers)]), manual, event_horizon
        ) as uow:
            await feedback_service.record_feedback(
                uow,
                NewFeedback(
                    customer_id=customer.id,
                    source=rng.choice(["RETURN_VISIT", "SURVEY"]),
                    score=score,
                    comment=_COMMENTS[score] if rng.random() < 0.7 else None,
                ),
            )
    # A maintenance visit without an order (a bare-customer job), done and checked.
    manual.set(now - timedelta(days=12))
    async with demo_unit_of_work(sessions, principal_of_user(service[0]), manual, event_horizon) as uow:
        job = await job_service.schedule_service_job(
            uow,
            NewServiceJob(
                kind="MAINTENANCE",
                customer_id=customers[0].id,
                technician_id=technicians[0].id,
                scheduled_start=manual.now() + timedelta(days=1),
                scheduled_end=manual.now() + timedelta(days=1, hours=3),
            ),
        )
    for action in ("start", "complete"):
        manual.advance(days=1, hours=2)
        async with demo_unit_of_work(sessions, principal_of_user(technicians[0]), manual, event_horizon) as uow:
            if action == "start":
                await job_service.start_service_job(uow, job.id, None)
            else:
                await job_service.complete_service_job(uow, job.id, None, "PASSED", "Annual maintenance done")
    async with sessions() as session:
        return await orders_repo.by_ids(session, [run.order.id for run in runs if run.order is not None])


def _items(rng: random.Random) -> list[ItemData]:
    picked = rng.sample(_PRODUCTS, rng.randint(1, 3))
    return [ItemData(product_model=model, quantity=rng.randint(1, 3), unit_price=price) for model, price in picked]


async def _create(uow: UnitOfWork, run: _Run, arg: None, rng: random.Random, *, complete: bool = True) -> None:
    items = _items(rng)
    value = sum(((i.unit_price or Decimal(0)) * (i.quantity or 0) for i in items), Decimal(0))
    delivery = (uow.now + timedelta(days=rng.randint(14, 45))).date()
    run.order = await order_service.create_order(
        uow,
        NewOrder(
            customer_id=run.customer.id,
            items=items if complete else items[:1],
            contract_value=value if complete else Decimal("0"),
            delivery_date=delivery.isoformat() if complete else None,
            special_requirements=rng.choice(_REQUIREMENTS),
        ),
    )


async def _hand_off(uow: UnitOfWork, run: _Run, arg: None, rng: random.Random) -> None:
    run.order = await order_service.hand_off_order(uow, run.placed.id, None)


async def _confirm(uow: UnitOfWork, run: _Run, arg: None, rng: random.Random) -> None:
    run.order = await order_service.confirm_order(uow, run.placed.id, None)


async def _return(uow: UnitOfWork, run: _Run, arg: None, rng: random.Random) -> None:
    run.order = await order_service.return_order(uow, run.placed.id, None, rng.choice(_RETURN_REASONS))


async def _fix(uow: UnitOfWork, run: _Run, arg: None, rng: random.Random) -> None:
    assert run.placed.delivery_date is not None  # the scenarios fix complete orders only
    later: date = run.placed.delivery_date + timedelta(days=14)
    run.order = await order_service.update_order(
        uow, run.placed.id, None, delivery_date=later.isoformat(), special_requirements="Corrected after service review"
    )


async def _cancel(uow: UnitOfWork, run: _Run, arg: None, rng: random.Random) -> None:
    run.order = await order_service.cancel_order(uow, run.placed.id, None, "Customer postponed the project")


async def _schedule(uow: UnitOfWork, run: _Run, kind: str, rng: random.Random) -> None:
    start = (uow.now + timedelta(days=2)).replace(hour=8, minute=0, second=0, microsecond=0)
    job = await job_service.schedule_service_job(
        uow,
        NewServiceJob(
            kind=str(kind),
            order_id=run.placed.id,
            technician_id=run.technician.id,
            scheduled_start=start,
            scheduled_end=start + timedelta(hours=rng.choice([4, 6, 8])),
        ),
    )
    run.jobs.append(job.id)


async def _start(uow: UnitOfWork, run: _Run, index: int, rng: random.Random) -> None:
    await job_service.start_service_job(uow, run.jobs[int(index)], None)


async def _complete(uow: UnitOfWork, run: _Run, arg: tuple[int, str], rng: random.Random) -> None:
    index, result = arg
    notes = rng.choice(_FAILED_NOTES) if result == "FAILED" else "Acceptance protocol signed"
    await job_service.complete_service_job(uow, run.jobs[index], None, result, notes)


async def _accept(uow: UnitOfWork, run: _Run, reason: str, rng: random.Random) -> None:
    await job_service.accept_order_completion(uow, run.placed.id, None, reason)


async def _cancel_job(uow: UnitOfWork, run: _Run, index: int, rng: random.Random) -> None:
    await job_service.cancel_service_job(uow, run.jobs[int(index)], None)


async def _feedback(uow: UnitOfWork, run: _Run, score: int, rng: random.Random) -> None:
    await feedback_service.record_feedback(
        uow,
        NewFeedback(
            customer_id=run.customer.id,
            order_id=run.placed.id,
            source="SERVICE_JOB",
            score=int(score),
            comment=_COMMENTS[int(score)],
        ),
    )


async def _create_incomplete(uow: UnitOfWork, run: _Run, arg: None, rng: random.Random) -> None:
    await _create(uow, run, arg, rng, complete=False)


_STEPS: dict[str, Callable[[UnitOfWork, _Run, Any, random.Random], Awaitable[None]]] = {
    "create": _create,
    "create_incomplete": _create_incomplete,
    "hand_off": _hand_off,
    "confirm": _confirm,
    "return": _return,
    "fix": _fix,
    "cancel": _cancel,
    "schedule": _schedule,
    "start": _start,
    "complete": _complete,
    "cancel_job": _cancel_job,
    "accept": _accept,
    "feedback": _feedback,
}
