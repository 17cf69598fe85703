"""One new row as one INSERT … RETURNING sent straight to asyncpg (db/driver.py), for the tables whose
columns SQLAlchemy passes to and from asyncpg unchanged.

`Table.add` (db/repositories/rows.py) writes a lone new row with one INSERT; through SQLAlchemy Core
that statement still costs ~150 µs of Python per row (cache key, parameter and result processing).
For a table where no column has a bind or result processor under the asyncpg dialect, and no default
is SQL (a sequence, an expression), the statement is plain text with positional parameters, and
the only work SQLAlchemy did besides is filling in the Python-side defaults of the columns left out —
which `run` does the same way. Any other table is `None` here and keeps the Core statement.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.ext.asyncio import AsyncSession

from db import driver

_DIALECT = asyncpg_dialect()  # type: ignore[no-untyped-call]


def _plain(column: Any) -> bool:
    """asyncpg's values of this column are SQLAlchemy's, both ways, and its default (if any) is Python's."""
    try:
        processed = column.type._cached_bind_processor(_DIALECT) or column.type._cached_result_processor(_DIALECT, None)
    except Exception:  # noqa: BLE001 - a processor that needs the result's column type (Numeric): not plain
        return False
    default = column.default
    return processed is None and (default is None or default.is_scalar or default.is_callable)


class PlainInsert:
    """INSERT INTO one table RETURNING every column, for the columns given."""

    def __init__(self, table: Table) -> None:
        quote = _DIALECT.identifier_preparer.quote
        self._quote = quote
        self._table = quote(table.name)
        self._names = [column.name for column in table.columns]
        self._returning = ", ".join(quote(name) for name in self._names)
        # Python-side defaults of a column left out, as SQLAlchemy fills them in: a scalar as it is, a
        # callable called (SQLAlchemy wraps a no-argument one to take the execution context, unused).
        self._defaults: dict[str, Any] = {c.name: c.default for c in table.columns if c.default is not None}
        self._sql: dict[tuple[str, ...], str] = {}

    @classmethod
    def of(cls, table: Table) -> PlainInsert | None:
        return cls(table) if all(_plain(column) for column in table.columns) else None

    async def run(self, session: AsyncSession, given: Mapping[str, Any]) -> dict[str, Any]:
        """Insert the row of `given` (column name → value) in the session's transaction; returns every
        column as stored."""
        values = dict(given)
        for name, default in self._defaults.items():
            if name not in values:
                values[name] = default.arg if default.is_scalar else default.arg(None)
        names = tuple(values)
        sql = self._sql.get(names)
        if sql is None:
            columns = ", ".join(self._quote(name) for name in names)
            placeholders = ", ".join(f"${n}" for n in range(1, len(names) + 1))
            sql = f"INSERT INTO {self._table} ({columns}) VALUES ({placeholders}) RETURNING {self._returning}"
            if len(self._sql) < 64:  # a table is added with few different column sets
                self._sql[names] = sql
        stored = await (await driver.of_session(session)).fetchrow(sql, *values.values())
        return dict(zip(self._names, stored, strict=True))
