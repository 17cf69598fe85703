"""What every repository does to single rows: read one under a row lock, mark one as changed."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol, TypeVar

from sqlalchemy import Select
from sqlalchemy.orm.attributes import flag_modified

S = TypeVar("S", bound=Select[Any])


class Stamped(Protocol):
    """A row with an `updated_at` column (every versioned row)."""

    updated_at: datetime


def for_update(stmt: S) -> S:
    """FOR UPDATE, and re-read: a row loaded earlier in this session may be older than the lock."""
    return stmt.with_for_update().execution_options(populate_existing=True)


def touch(row: Stamped, now: datetime) -> None:
    """Mark a versioned row as changed at `now`: its UPDATE (and version bump) happens even when only
    its child rows changed or the clock did not move."""
    row.updated_at = now
    flag_modified(row, "updated_at")
