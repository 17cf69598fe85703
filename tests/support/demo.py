"""The demo data in a test's database, seeded once per run and variant, then copied.

`demo.seed` plays 90 days of history through the services: 8 to 25 seconds, which dozens of tests
(tests/compiled, tests/services/test_demo_*.py) used to pay each. `seed_demo` gives a test the same
database it would have got by seeding its own: the first test asking for a variant seeds its database
itself and a copy of it is kept (a PostgreSQL template); every later test asking for that variant has
its database replaced by a fresh clone of the copy, so what a test writes stays its own.

A variant is everything the seed's output depends on: its keywords (`customers`,
`event_retention_days` ...), the clock's instant (the seed draws from one seeded random.Random and
never moves the caller's clock, only clocks of its own) and the password hasher's parameters (the
demo users' hashes). Two seeds of one variant differ only in their uuid4 ids, the salts of the hashes,
the `created_at` PostgreSQL fills with now() (users, contacts), and in the few choices made in uuid
order (compared on a seed of 8 customers: which of two service jobs a problem report names, the order
of two SLA breaches at one instant). A clone is one such seed, so each test sees what a seed of its
own could have given it; no test compares these across tests, or to the wall clock. A clone is only
swapped in for a database still exactly as migrated (`fingerprint`): a test that wrote anything first,
or whose database is not one of the suite's clones, or whose clock is not a ManualClock, seeds in
place as before. So does a test that patches what the seed does: it passes `copy=False`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from copy import deepcopy
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from services import auth, demo
from services.clock import ManualClock
from services.event_retention import DEFAULT_RETENTION_DAYS
from tests.support.database import copy_database, database_url, run_sql_autocommit

_OBJECTS = """
SELECT n.nspname, c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
ORDER BY 1, 2"""
_SEQUENCES = "SELECT schemaname, sequencename, last_value FROM pg_sequences ORDER BY 1, 2"
_ROUTINES = """
SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')"""
_TRIGGERS = "SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal"


async def fingerprint(url: str) -> tuple:
    """What a write or a DDL statement would change: the relations, the row count of every table, every
    sequence's last value, the number of functions and triggers."""
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as conn:
            objects = [tuple(r) for r in (await conn.execute(text(_OBJECTS))).all()]
            tables = [f'"{schema}"."{name}"' for schema, name, kind in objects if kind in ("r", "p")]
            counts = "SELECT " + ", ".join(f"(SELECT count(*) FROM {t})" for t in tables) if tables else "SELECT 0"
            return (
                tuple(objects),
                tuple((await conn.execute(text(counts))).one()),
                tuple(tuple(r) for r in (await conn.execute(text(_SEQUENCES))).all()),
                (await conn.execute(text(_ROUTINES))).scalar(),
                (await conn.execute(text(_TRIGGERS))).scalar(),
            )
    finally:
        await engine.dispose()


@dataclass
class DemoCopies:
    """One run's seeded copies (by variant) and the test databases they may replace (by name)."""

    server_url: str
    migrated: tuple  # the migrated template's fingerprint
    copies: dict[tuple, tuple[str, Any]] = field(default_factory=dict)  # -> (database, what seed returned)
    # A test database's name -> databases to drop with it (the migrated clone a seeded one replaced).
    tracked: dict[str, list[str]] = field(default_factory=dict)

    def track(self, name: str) -> None:
        self.tracked[name] = []

    def untrack(self, name: str) -> list[str]:
        """The databases to drop when the test that owned `name` is over: it and any it replaced."""
        return [name, *self.tracked.pop(name, [])]

    def names(self) -> Iterator[str]:
        return iter(name for name, _ in self.copies.values())


_copies: DemoCopies | None = None  # set for the run by tests/conftest.py


def install(copies: DemoCopies | None) -> None:
    global _copies
    _copies = copies


def _variant(clock: Any, options: dict[str, Any]) -> tuple | None:
    if type(clock) is not ManualClock:
        return None  # a clock that moves by itself: no two seeds are the same
    h = auth._hasher
    hasher = (h.time_cost, h.memory_cost, h.parallelism, h.hash_len, h.salt_len, h.type)
    return (tuple(sorted(options.items())), clock.now(), hasher)


async def seed_demo(
    services: Any,
    clock: Any = None,
    *,
    customers: int = 40,
    event_retention_days: int = DEFAULT_RETENTION_DAYS,
    copy: bool = True,
    **options: Any,
) -> Any:
    """`demo.seed(services.db.sessions, clock, ...)` into the test's database (`clock`: services.clock
    by default; `options`: demo.seed's other keywords), from a copy when one of this variant exists;
    what demo.seed returned. `services.db` stays usable: its connections are closed and it reconnects
    to the database of the same name."""
    clock = services.clock if clock is None else clock
    options = {"customers": customers, "event_retention_days": event_retention_days, **options}
    name = services.db.engine.url.database
    variant = _variant(clock, options)
    copies = _copies
    if not copy or copies is None or variant is None or name not in copies.tracked:
        return await demo.seed(services.db.sessions, clock, **options)
    pristine = await fingerprint(database_url(copies.server_url, name)) == copies.migrated
    kept = copies.copies.get(variant)
    if pristine and kept is not None and await _replace(copies, services, name, kept[0]):
        return deepcopy(kept[1])  # the test's own, as a seed of its own would be
    seeded = await demo.seed(services.db.sessions, clock, **options)
    if pristine and kept is None:
        await _keep_copy(copies, services, name, (variant, seeded))
    return seeded


async def _replace(copies: DemoCopies, services: Any, name: str, source: str) -> bool:
    """Swap the database `name` for a clone of `source`; False (nothing changed) when something else
    is still connected to it."""
    await services.db.dispose()
    replaced = f"{name}_m"
    try:
        await run_sql_autocommit(copies.server_url, f'ALTER DATABASE "{name}" RENAME TO "{replaced}"')
    except DBAPIError:
        return False
    try:
        await copy_database(copies.server_url, source, name)
    except BaseException:
        await run_sql_autocommit(copies.server_url, f'ALTER DATABASE "{replaced}" RENAME TO "{name}"')
        raise
    copies.tracked[name].append(replaced)
    return True


async def _keep_copy(copies: DemoCopies, services: Any, name: str, seeded: tuple[tuple, Any]) -> None:
    """Keep a copy of the freshly seeded database `name` for the next tests of `variant` (none when
    something is still connected to it: the next test seeds its own and tries again)."""
    await services.db.dispose()
    kept = f"tandem_demo_{uuid.uuid4().hex[:12]}"
    try:
        await copy_database(copies.server_url, name, kept)
    except DBAPIError:
        return
    variant, result = seeded
    copies.copies[variant] = (kept, deepcopy(result))
