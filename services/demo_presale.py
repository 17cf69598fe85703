"""Demo pre-sale data: opportunities in every stage over the last 60 days, and sales targets.

Made through the real services. Like the demo orders, every opportunity follows a scenario of timed
steps and all steps run in time order on a ManualClock, so the timeline, the events and the handoff
clocks (24 h to review a solution or acknowledge a registration) tell one consistent story: some
answers in time, some late, one still waiting past its due time. The won opportunities are won with
demo orders that exist already (their customer's, signed an hour before the win); without any, the
won scenarios stop at an acknowledged registration.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.models import Customer, Order, User
from db.models.presale import Opportunity
from db.repositories import opportunities as opportunities_repo
from services import opportunities as presale
from services import sales_targets
from services.auth import principal_of_user
from services.clock import ManualClock
from services.demo_events import demo_unit_of_work
from services.demo_people import sellers as demo_sellers
from services.demo_world import DemoWorld
from services.opportunities import NewOpportunity, RequirementData, ReviewData
from services.unit_of_work import UnitOfWork

_TITLES = [
    "Production line retrofit",
    "Cold-store expansion",
    "Compressed-air upgrade",
    "Packaging hall automation",
    "Second plant equipment",
    "Energy-saving chillers",
    "Press shop modernisation",
]
_NEEDS = [
    ("Throughput of 40 units per hour", "MUST"),
    ("Fits the existing 380 V supply", "MUST"),
    ("Operator training for two shifts", "SHOULD"),
    ("Remote monitoring", "COULD"),
    ("Installation during the summer shutdown", "MUST"),
    ("Spare parts on site for 2 years", "SHOULD"),
]
_BUYERS = ["Anna Schmidt (purchasing)", "Chen Wei (plant manager)", "Dana Novak (CTO)", "Emil Okafor (operations)"]

# Scenario steps: (hours after the opportunity's start, step). The name says the stage it ends in.
Step = tuple[float, str]
_TO_REVIEW: list[Step] = [(0, "create"), (4, "record"), (30, "confirm"), (52, "submit")]
SCENARIOS: dict[str, list[Step]] = {
    "requirements": [(0, "create")],
    "requirements_recorded": [(0, "create"), (6, "record")],
    "solution": [(0, "create"), (4, "record"), (30, "confirm")],
    "review_waiting": _TO_REVIEW,  # the review is overdue when the scenario starts early enough
    "changes_requested": [*_TO_REVIEW, (70, "request_changes")],
    "approved": [*_TO_REVIEW, (64, "request_changes"), (90, "submit"), (100, "approve")],
    "registered": [*_TO_REVIEW, (60, "approve"), (72, "register")],
    "registered_acknowledged": [*_TO_REVIEW, (60, "approve"), (72, "register"), (80, "acknowledge")],
    "won": [
        *_TO_REVIEW,
        (66, "request_changes"),
        (80, "submit"),
        (95, "approve"),
        (100, "register"),
        (130, "acknowledge"),
        (170, "win"),
    ],
    "won_first_time": [*_TO_REVIEW, (58, "approve"), (60, "register"), (70, "acknowledge"), (120, "win")],
    "lost_early": [(0, "create"), (5, "record"), (40, "lose")],
    "lost_after_review": [*_TO_REVIEW, (75, "request_changes"), (120, "lose")],
}
_SERVICE_STEPS = ("request_changes", "approve", "acknowledge")


@dataclass
class _Run:
    customer: Customer
    seller: User
    service: User
    opportunity: Opportunity | None = None
    order: Order | None = None  # the signed order a won scenario is won with

    @property
    def current(self) -> Opportunity:
        assert self.opportunity is not None, "every scenario creates its opportunity first"
        return self.opportunity

    async def take(self, uow: UnitOfWork, step: Callable[..., Awaitable[Opportunity]], *args: Any) -> None:
        """Take one step of the opportunity's workflow (at whatever version it is now) with `args`."""
        self.opportunity = await step(uow, self.current.id, None, *args)


async def seed_presale(world: DemoWorld) -> list[Opportunity]:
    """Opportunities in every stage (with solution revisions; the won ones with their order) and monthly
    sales targets of the last 3 months, for the department and each seller."""
    if not world.customers:
        return []
    sessions, clock, users, customers, rng = world.sessions, world.clock, world.users, world.customers, world.rng
    event_horizon = world.event_horizon
    now = clock.now()
    sellers = demo_sellers(users)
    service = [users[e] for e in ("service.lead@tandem.example", "service@tandem.example")]
    manual = ManualClock(now)
    await _targets(sessions, manual, users["supervisor@tandem.example"], sellers, rng, event_horizon)
    async with sessions() as session:
        signed = await opportunities_repo.unlinked_orders(session)
    by_id = {c.id: c for c in customers}
    names = list(SCENARIOS)
    count = max(len(names), len(customers) // 2)
    timeline: list[tuple[datetime, int, int, str]] = []
    runs: list[_Run] = []
    for i in range(count):
        run = _Run(
            customer=customers[(i * 5 + 1) % len(customers)],
            seller=sellers[i % len(sellers)],
            service=service[i % len(service)],
        )
        start = now - timedelta(days=60) + timedelta(hours=(50 * 24) * i / count + rng.uniform(0, 10))
        steps = SCENARIOS[names[i % len(names)]]
        if steps[-1][1] == "win":
            order = signed.pop(rng.randrange(len(signed))) if signed else None
            if order is None or order.customer_id not in by_id:
                steps = steps[:-1]
            else:  # the opportunity the order came from: won an hour after the order was signed
                run.customer, run.order = by_id[order.customer_id], order
                start = order.created_at + timedelta(hours=1) - timedelta(hours=steps[-1][0])
        runs.append(run)
        for n, (hours, step) in enumerate(steps):
            timeline.append((start + timedelta(hours=hours), i, n, step))
    timeline.sort()
    for at, i, _, step in timeline:
        manual.set(at)
        run = runs[i]
        actor = run.service if step in _SERVICE_STEPS else run.seller
        async with demo_unit_of_work(sessions, principal_of_user(actor), manual, event_horizon) as uow:
            await _STEPS[step](uow, run, rng)
    return [run.opportunity for run in runs if run.opportunity is not None]


async def _targets(
    sessions: async_sessionmaker[AsyncSession],
    manual: ManualClock,
    supervisor: User,
    sellers: list[User],
    rng: random.Random,
    event_horizon: datetime | None,
) -> None:
    first = manual.now().date().replace(day=1)
    for back in (2, 1, 0):
        start = _add_months(first, -back)
        end = _add_months(start, 1) - timedelta(days=1)
        manual.set(datetime(start.year, start.month, 1, 8, tzinfo=manual.now().tzinfo) - timedelta(days=3))
        scopes = [(None, Decimal("900000"))] + [(s.id, Decimal(rng.choice([250000, 300000, 350000]))) for s in sellers]
        for user_id, amount in scopes:
            async with demo_unit_of_work(sessions, principal_of_user(supervisor), manual, event_horizon) as uow:
                await sales_targets.set_sales_target(uow, sales_targets.TargetData(start, end, amount, user_id=user_id))


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


async def _create(uow: UnitOfWork, run: _Run, rng: random.Random) -> None:
    needs = rng.sample(_NEEDS, 2)
    run.opportunity = await presale.create_opportunity(
        uow,
        NewOpportunity(
            customer_id=run.customer.id,
            title=f"{rng.choice(_TITLES)} — {run.customer.name}",
            requirements=[RequirementData(text, priority) for text, priority in needs],
        ),
    )


async def _record(uow: UnitOfWork, run: _Run, rng: random.Random) -> None:
    needs = rng.sample(_NEEDS, 3)
    await run.take(uow, presale.record_requirements, [RequirementData(t, p) for t, p in needs])


async def _confirm(uow: UnitOfWork, run: _Run, rng: random.Random) -> None:
    await run.take(uow, presale.confirm_requirements, rng.choice(_BUYERS))


async def _submit(uow: UnitOfWork, run: _Run, rng: random.Random) -> None:
    revision = "revised " if run.current.stage == "SOLUTION" and run.current.solution_review_due_at else ""
    summary = f"{revision}proposal: 2 lines, commissioning in 6 weeks"
    details = "Bill of materials, layout drawing and service plan attached in the shared folder."
    await run.take(uow, presale.submit_solution, summary, details)


_CHANGES = [
    "Add a local spare-parts stock",
    "Plan the installation outside the peak season",
    "Include operator training in the offer",
]


async def _request_changes(uow: UnitOfWork, run: _Run, rng: random.Random) -> None:
    review = ReviewData(
        "CHANGES_REQUESTED",
        "Feasible with a reinforced foundation",
        "Spare parts lead time is 10 weeks",
        rng.choice(_CHANGES),
    )
    await run.take(uow, presale.review_solution, review)


async def _approve(uow: UnitOfWork, run: _Run, rng: random.Random) -> None:
    review = ReviewData("APPROVED", "Feasible", "Serviceable from the regional hub", "Approved for registration")
    await run.take(uow, presale.review_solution, review)


async def _register(uow: UnitOfWork, run: _Run, rng: random.Random) -> None:
    await run.take(uow, presale.register_project)


async def _acknowledge(uow: UnitOfWork, run: _Run, rng: random.Random) -> None:
    preparation = presale.Preparation(
        staff_ids=[run.service.id],
        tools=rng.sample(["lifting gear", "calibration kit", "vacuum pump", "torque wrench set"], 2),
        materials=rng.sample(["R-32 refrigerant", "mounting brackets", "sealant", "cable trays"], 2),
    )
    notes = "Second technician on call for the commissioning day"
    await run.take(uow, presale.acknowledge_registration, run.service.id, notes, preparation)


async def _win(uow: UnitOfWork, run: _Run, rng: random.Random) -> None:
    assert run.order is not None
    await run.take(uow, presale.mark_won, run.order.id)


_LOSS_REASONS = ["Budget frozen for this year", "Went with a cheaper competitor", "Project postponed indefinitely"]


async def _lose(uow: UnitOfWork, run: _Run, rng: random.Random) -> None:
    await run.take(uow, presale.mark_lost, rng.choice(_LOSS_REASONS))


_STEPS: dict[str, Callable[[UnitOfWork, _Run, random.Random], Awaitable[None]]] = {
    "create": _create,
    "record": _record,
    "confirm": _confirm,
    "submit": _submit,
    "request_changes": _request_changes,
    "approve": _approve,
    "register": _register,
    "acknowledge": _acknowledge,
    "win": _win,
    "lose": _lose,
}
