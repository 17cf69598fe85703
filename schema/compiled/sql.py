"""SQL building blocks whose text output must equal what the reference executor writes.

Every helper here is a SQLAlchemy Core expression, so the statement is built and compiled once per plan
and only its parameters change per request.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Text, cast, func, literal_column
from sqlalchemy.sql import visitors
from sqlalchemy.sql.elements import BindParameter, ColumnElement


def quoted(text: str) -> ColumnElement[Any]:
    """A SQL string literal (for JSON keys and type names: GraphQL names, never user input)."""
    return literal_column("'" + text.replace("'", "''") + "'")


def iso_datetime(column: Any) -> ColumnElement[str]:
    """A timestamptz as Python's `datetime.isoformat()` writes the UTC value asyncpg returns
    (what strawberry's DateTime and orjson both write): microseconds only when non-zero, `+00:00`.
    PostgreSQL's own JSON form trims trailing zeros of the fraction, hence not `to_json(column)`.
    One to_char with the fraction, whose `.000000` is dropped (the only "." in the text); NULL stays
    NULL through to_char and `||`."""
    text = func.to_char(func.timezone("UTC", column), quoted('YYYY-MM-DD"T"HH24:MI:SS.US'))
    return func.replace(text, quoted(".000000"), quoted("")).op("||")(quoted("+00:00"))


def iso_date(column: Any) -> ColumnElement[str]:
    """A date as `date.isoformat()` writes it (the Date scalar, orjson): YYYY-MM-DD (years 1-9999)."""
    return func.to_char(column, quoted("YYYY-MM-DD"))


def decimal_text(column: Any) -> ColumnElement[str]:
    """A numeric as strawberry's Decimal writes it, `str(Decimal)`: for money (numeric(14, 2)) that is
    numeric's own text, the scale kept ("12.50", "0.00"); no exponent form at that scale."""
    return cast(column, Text)


def _base64(text: ColumnElement[Any]) -> ColumnElement[str]:
    # encode(…, 'base64') breaks lines every 76 characters: the reference's base64 never does.
    return func.encode(func.convert_to(text, quoted("UTF8")), quoted("base64"))


def global_id(type_name: str, column: Any) -> ColumnElement[str]:
    """relay.GlobalID as strawberry writes it: standard base64 of "TypeName:uuid", with padding."""
    encoded = _base64(quoted(type_name + ":").op("||")(cast(column, Text)))
    return func.replace(encoded, func.chr(10), quoted(""))


def cursor(values: list[ColumnElement[Any]]) -> ColumnElement[str]:
    """db.repositories.pagination.encode_cursor in SQL: urlsafe base64 (no padding) of the compact JSON
    list of the sort values. `to_json(text)` escapes exactly as orjson does (tests/compiled prove it);
    timestamps go through `iso_datetime` first, which is orjson's datetime form too."""
    parts: Any = quoted("[")
    for i, value in enumerate(values):
        if i:
            parts = parts.op("||")(quoted(","))
        parts = parts.op("||")(cast(func.to_json(value), Text))
    parts = parts.op("||")(quoted("]"))
    return func.translate(_base64(parts), quoted("+/=").op("||")(func.chr(10)), quoted("-_"))


# The business clock's "now" goes in as a parameter. services/sla.py builds its expressions around a
# Python datetime (a literal); they are built once with this stand-in and the stand-in is swapped for
# the bind parameter below, so the rules stay the ones of services/sla.py.
NOW_STAND_IN = datetime(1111, 11, 11, 11, 11, 11, tzinfo=UTC)
NOW = "now"


def now_param() -> BindParameter[datetime]:
    return BindParameter(NOW, None, type_=DateTime(timezone=True))


def with_now_param(expression: ColumnElement[Any]) -> ColumnElement[Any]:
    def swap(element: Any) -> Any:
        if isinstance(element, BindParameter) and element.value == NOW_STAND_IN:
            return now_param()
        return None

    swapped: ColumnElement[Any] = visitors.replacement_traverse(expression, {}, swap)  # type: ignore[call-overload]
    return swapped


def json_object(pairs: list[tuple[str, Any]]) -> ColumnElement[Any]:
    args: list[Any] = []
    for key, value in pairs:
        args += [quoted(key), value]
    return func.json_build_object(*args)


def inline_constants(statement: Any, dialect: Any) -> Any:
    """`statement` with every bind parameter that holds a value (the rules' constants: enum values,
    'UTC', ratios, chr(10)) written as a typed SQL literal; only the per-request parameters (bound with
    no value) stay `$n`. Fewer parameters to encode per request, and constants the planner can fold."""

    def inline(element: Any) -> Any:
        if isinstance(element, BindParameter) and element.value is not None and element.callable is None:
            text = cast(element, element.type).compile(dialect=dialect, compile_kwargs={"literal_binds": True})
            return literal_column(str(text), type_=element.type)
        return None

    return visitors.replacement_traverse(statement, {}, inline)  # type: ignore[call-overload]
