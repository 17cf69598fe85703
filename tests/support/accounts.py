"""Accounts for tests: through the real service (production-like hashing) or inserted directly with a
cheap hash (for the many accounts that authorization and workflow tests need)."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass

from argon2 import PasswordHasher

from db.models import User
from schema.context import AppServices
from schema.ids import to_global_id
from services import accounts
from services.unit_of_work import unit_of_work

PASSWORD = "correct horse battery"
TEST_SECRET = "test-secret-key-that-is-long-enough-for-hs256"  # signs the tokens of the `services` fixture

# The clock stands still in tests, so a key's rate-limit window never ends: a test sending many requests
# with one key (hypothesis over both executors) would hit the limit by accident. The limits themselves are
# tested with small ones of their own (tests/web/test_rate_limits.py). Environment of Settings.from_env.
UNLIMITED_KEYS = {"TANDEM_RATE_LIMIT_REPORTING": "1000000", "TANDEM_RATE_LIMIT_BOARD": "1000000"}

# A real argon2 hash of PASSWORD with tiny parameters: tests that are not about sign-in skip the
# deliberately slow production hashing (tests/web/test_auth.py covers it).
FAST_HASH = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
_counter = itertools.count(1)

# The callers the authorization tests try: people (by department and role), then API keys (by scope).
PERSON_OF = {
    "marketing staff": ("MARKETING", "STAFF"),
    "service staff": ("SERVICE", "STAFF"),
    "management staff": ("MANAGEMENT", "STAFF"),
    "supervisor": ("MANAGEMENT", "SUPERVISOR"),
    "admin": ("MANAGEMENT", "ADMIN"),
}
PEOPLE = list(PERSON_OF)
KEYS = ["reporting key", "board key"]
PRINCIPALS = PEOPLE + KEYS


@dataclass
class Account:
    user: User
    token: str

    @property
    def gid(self) -> str:
        return to_global_id("User", self.user.id)


async def fast_account(
    services,
    department: str = "MARKETING",
    role: str = "STAFF",
    *,
    name: str | None = None,
    email: str | None = None,
    active: bool = True,
) -> Account:
    """A user inserted directly, whose password is PASSWORD (hashed cheaply), with a login token."""
    n = uuid.uuid4().hex[:8]
    user = User(
        id=uuid.uuid4(),
        email=(email or f"{department}.{role}.{n}@example.com").lower(),
        name=name or f"{department.title()} {role.title()} {n}",
        department=department,
        role=role,
        active=active,
        password_hash=FAST_HASH,
        token_generation=0,
    )
    async with services.db.sessions() as session, session.begin():
        session.add(user)
    return Account(user, services.tokens.issue(user, services.clock.now()))


async def credential(services, users: UserFactory, principal: str) -> str:
    """What `principal` (one of PRINCIPALS) sends: a new person's login token, or a new API key."""
    if principal in KEYS:
        return await users.api_key(principal.split()[0], name=principal)
    return (await fast_account(services, *PERSON_OF[principal])).token


class UserFactory:
    """Users created through `services.accounts` (the `users` fixture)."""

    def __init__(self, services: AppServices):
        self.services = services

    async def create(
        self,
        department: str = "MARKETING",
        role: str = "STAFF",
        *,
        name: str | None = None,
        email: str | None = None,
        password: str = PASSWORD,
    ) -> Account:
        n = next(_counter)
        data = accounts.NewUser(
            email=email or f"user{n}.{department.lower()}@example.com",
            name=name or f"{department.title()} {role.title()} {n}",
            department=department,
            role=role,
            password=password,
        )
        async with unit_of_work(self.services.db.sessions, None, self.services.clock) as uow:
            user = await accounts.create_user(uow, data)
        return Account(user, self.services.tokens.issue(user, self.services.clock.now()))

    async def api_key(self, scope: str, name: str | None = None) -> str:
        async with unit_of_work(self.services.db.sessions, None, self.services.clock) as uow:
            _, secret = await accounts.create_api_key(uow, name or f"{scope} key", scope)
        return secret
