"""Service-level helpers for the pre-sale and KPI tests: act as a person, build opportunities in a stage."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select

from db.models import Activity, Event
from schema.context import AppServices
from services import customers as customer_service
from services import opportunities as presale
from services import orders as order_service
from services.auth import principal_of_user
from services.customers import NewCustomer
from services.opportunities import NewOpportunity, RequirementData, ReviewData
from services.orders import ItemData, NewOrder
from services.unit_of_work import unit_of_work
from tests.support.accounts import Account, UserFactory

_names = itertools.count(1)

# The labelled states an opportunity can be in: the stages, and the sub-states the guards tell apart.
STATES = (
    "REQUIREMENTS",
    "SOLUTION",
    "REVIEW",
    "REVIEW_APPROVED",
    "REGISTERED",
    "REGISTERED_ACKNOWLEDGED",
    "WON",
    "LOST",
)


async def act(services: AppServices, who: Account, fn, *args, **kwargs):
    """Run one service call as `who`, in its own transaction (like one mutation)."""
    async with unit_of_work(services.db.sessions, principal_of_user(who.user), services.clock) as uow:
        return await fn(uow, *args, **kwargs)


@dataclass
class Team:
    seller: Account
    service: Account

    @classmethod
    async def create(cls, users: UserFactory) -> Team:
        return cls(await users.create("MARKETING"), await users.create("SERVICE"))


async def customer(services: AppServices, owner: Account, name: str | None = None):
    return await act(
        services, owner, customer_service.create_customer, NewCustomer(name=name or f"Customer {next(_names)}")
    )


async def order(
    services: AppServices,
    owner: Account,
    customer_id: uuid.UUID,
    value: str = "1000.00",
    *,
    opportunity_id: uuid.UUID | None = None,
):
    data = NewOrder(
        customer_id=customer_id,
        items=[ItemData(product_model="X-1", quantity=1)],
        contract_value=Decimal(value),
        delivery_date="2026-06-01",
        opportunity_id=opportunity_id,
    )
    return await act(services, owner, order_service.create_order, data)


async def opportunity_in(services: AppServices, team: Team, customer_id: uuid.UUID, state: str):
    """A new opportunity of the customer, driven through the services into `state` (see STATES)."""
    s, m = team.service, team.seller
    opp = await act(
        services,
        m,
        presale.create_opportunity,
        NewOpportunity(
            customer_id=customer_id, title=f"Project {next(_names)}", requirements=[RequirementData("10 units", "MUST")]
        ),
    )
    steps = [
        ("SOLUTION", m, presale.confirm_requirements, ("Anna Buyer",)),
        ("REVIEW", m, presale.submit_solution, ("Solution summary", "details")),
        ("REVIEW_APPROVED", s, presale.review_solution, (ReviewData("APPROVED", "feasible", "serviceable"),)),
        ("REGISTERED", m, presale.register_project, ()),
        ("REGISTERED_ACKNOWLEDGED", s, presale.acknowledge_registration, (s.user.id, "2 technicians, test rig")),
    ]
    if state == "LOST":
        return await act(services, m, presale.mark_lost, opp.id, None, "budget cut")
    target = STATES.index("REGISTERED_ACKNOWLEDGED" if state == "WON" else state)
    for reached, who, fn, args in steps:
        if STATES.index(reached) > target:
            break
        opp = await act(services, who, fn, opp.id, None, *args)
    if state == "WON":
        signed = await order(services, m, customer_id)
        opp = await act(services, m, presale.mark_won, opp.id, None, signed.id)
    return opp


async def log_counts(services: AppServices) -> tuple[int, int]:
    """(activity rows, events): what every accepted change adds one of each to."""
    async with services.db.sessions() as session:
        return (
            await session.scalar(select(func.count()).select_from(Activity)),
            await session.scalar(select(func.count()).select_from(Event)),
        )


async def events_of(services: AppServices, entity_id: uuid.UUID) -> list[Event]:
    async with services.db.sessions() as session:
        return list((await session.scalars(select(Event).where(Event.entity_id == entity_id).order_by(Event.id))).all())
