"""Realistic demo data, created through the same services the API uses (so audit and events exist)."""

from __future__ import annotations

import random

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.models import User
from db.repositories import accounts as accounts_repo
from services import accounts
from services import customers as customer_service
from services.auth import principal_of_user
from services.clock import Clock
from services.customers import ContactData, NewCustomer
from services.demo_bulk import seed_bulk, use_bulk
from services.demo_comments import seed_comments
from services.demo_events import event_horizon
from services.demo_improvement import seed_improvement
from services.demo_intel import seed_market_intel
from services.demo_meetings import seed_meetings
from services.demo_notifications import seed_notifications
from services.demo_orders import seed_orders
from services.demo_people import DEMO_PASSWORD, DEMO_USERS, sellers
from services.demo_presale import seed_presale
from services.demo_surveys import seed_surveys
from services.demo_tickets import seed_tickets
from services.demo_world import DemoWorld
from services.event_retention import DEFAULT_RETENTION_DAYS
from services.unit_of_work import unit_of_work

_PREFIXES = [
    "Northwind",
    "Bluewater",
    "Granite",
    "Silverline",
    "Redwood",
    "Evergreen",
    "Summit",
    "Harbor",
    "Ironclad",
    "Brightpath",
    "Cedar",
    "Falcon",
    "Golden Gate",
    "Lakeside",
    "Meridian",
    "Orion",
]
_SUFFIXES = [
    "Manufacturing",
    "Logistics",
    "Foods",
    "Hospital",
    "Energy",
    "Retail Group",
    "Pharma",
    "Textiles",
    "Hotels",
    "Labs",
    "Packaging",
    "Automotive",
]
_INDUSTRIES = ["manufacturing", "logistics", "food & beverage", "healthcare", "energy", "retail", "pharmaceuticals"]
_REGIONS = ["North", "South", "East", "West", "Central"]
_FIRST = ["Anna", "Ben", "Chen", "Dana", "Emil", "Fatima", "Georg", "Hana", "Ivan", "Julia", "Kenji", "Lena"]
_LAST = ["Schmidt", "Wang", "Okafor", "Silva", "Novak", "Kim", "Jensen", "Moreau", "Kowalski", "Tanaka"]
_TITLES = ["Purchasing Manager", "Plant Engineer", "Facility Manager", "CTO", "Operations Lead", "Buyer"]


async def seed(
    sessions: async_sessionmaker[AsyncSession],
    clock: Clock,
    *,
    customers: int = 40,
    only_if_empty: bool = False,
    event_retention_days: int = DEFAULT_RETENTION_DAYS,
    bulk: bool | None = None,
) -> list[tuple[str, str, str]] | None:
    """Returns the demo logins (email, department, role), or None when skipped because users exist.

    The history goes back 90 days; its events stay within `event_retention_days` (the server's
    TANDEM_EVENT_RETENTION_DAYS), so the retention job purges none of them (services/demo_events.py).
    `bulk` (None: above BULK_THRESHOLD customers): 12 months written set-wise instead, services/demo_bulk.py."""
    async with sessions() as session:
        if only_if_empty and await accounts_repo.any_user(session):
            return None
    rng = random.Random(20261127)  # the same demo data on every machine
    users: dict[str, User] = {}
    for email, name, department, role in DEMO_USERS:
        async with unit_of_work(sessions, None, clock) as uow:
            existing = await accounts_repo.user_by_email(uow.session, email)
            users[email] = existing or await accounts.create_user(
                uow, accounts.NewUser(email=email, name=name, department=department, role=role, password=DEMO_PASSWORD)
            )
    if use_bulk(customers, bulk):  # 12 months written set-wise (services/demo_bulk.py)
        names = {"prefixes": _PREFIXES, "suffixes": _SUFFIXES, "industries": _INDUSTRIES, "regions": _REGIONS}
        horizon = event_horizon(clock.now(), event_retention_days)
        await seed_bulk(sessions, clock.now(), users, customers=customers, horizon=horizon, names=names)
        return [(email, department, role) for email, _, department, role in DEMO_USERS]
    owners = [principal_of_user(u) for u in sellers(users)]
    created = []
    for i in range(customers):
        name = f"{_PREFIXES[i % len(_PREFIXES)]} {_SUFFIXES[(i * 7 + i // len(_PREFIXES)) % len(_SUFFIXES)]}"
        if i >= len(_PREFIXES) * len(_SUFFIXES):
            name += f" {i}"
        contacts = []
        for j in range(rng.randint(1, 3)):
            person = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
            contacts.append(
                ContactData(
                    name=person,
                    title=rng.choice(_TITLES),
                    phone=f"+49 30 {rng.randint(1000000, 9999999)}",
                    email=person.lower().replace(" ", ".") + "@" + name.split()[0].lower() + ".example",
                    is_primary=(j == 0),
                )
            )
        data = NewCustomer(
            name=name,
            industry=rng.choice(_INDUSTRIES),
            region=rng.choice(_REGIONS),
            lifecycle_stage=rng.choice(["LEAD", "PROSPECT", "ACTIVE", "ACTIVE", "ACTIVE", "DORMANT"]),
            contacts=contacts,
        )
        async with unit_of_work(sessions, owners[i % len(owners)], clock) as uow:
            created.append(await customer_service.create_customer(uow, data))
    horizon = event_horizon(clock.now(), event_retention_days)
    world = DemoWorld(sessions, clock, users, created, rng, event_horizon=horizon)
    orders = await seed_orders(world)
    await seed_tickets(sessions, clock, users, created, orders, rng, event_horizon=horizon)
    await seed_presale(world)
    await seed_improvement(world)
    await seed_surveys(world)  # after: its action item is not one of the oldest the loop walks
    await seed_meetings(world)
    await seed_market_intel(world)
    await seed_comments(world)  # on the subjects every seeder above made
    await seed_notifications(world)  # last: the watcher's first scan sees everything above
    return [(email, department, role) for email, _, department, role in DEMO_USERS]
