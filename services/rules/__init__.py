"""The domain's value sets, stated once: pure modules (no db, schema or service imports).

Each `services/rules/<domain>.py` states its statuses, kinds and priorities once, as a `StrEnum` in
canonical order, and derives the tuples of plain strings from it. Everything else uses these:
- the db models build their CHECK constraints from the tuples (migrations keep a literal copy);
- the GraphQL schema uses the `StrEnum` classes themselves as its enums (same names, same order);
- the services validate against the tuples and write their state machines over these values.
"""

from __future__ import annotations

from enum import StrEnum


def values(enum: type[StrEnum]) -> tuple[str, ...]:
    """The members' values as plain strings, in definition order (fit for `f"x IN {values}"`)."""
    return tuple(member.value for member in enum)
