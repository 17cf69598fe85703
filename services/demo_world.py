"""What every demo seeder works on: the database, the clock, the demo's people and customers, one random
source (so the demo is the same on every machine) and the event horizon (services/demo_events.py)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.models import Customer, User
from services.clock import Clock


@dataclass
class DemoWorld:
    sessions: async_sessionmaker[AsyncSession]
    clock: Clock
    users: dict[str, User]  # by email
    customers: list[Customer]
    rng: random.Random
    event_horizon: datetime | None = None  # the earliest instant an event may carry
