"""SQL building blocks whose text output must equal what the reference executor writes.

Every helper here is a SQLAlchemy Core expression, so the statement is built and compiled once per plan
and only its parameters change per request.

The statement writes its JSON as text, by concatenation (`json_object`, `json_array`), not with
json_build_object / json_agg: PostgreSQL 15 looks up the type's category and output function for every
argument of json_build_object on every row, keys included (~40 arguments a board row); here the keys
and punctuation are literals, values that need no escaping (ids, timestamps, integers: `SafeText`,
Integer) are pasted as they are, and every other value goes through `to_json`, the very encoding
json_build_object gives it. Board statement: ~0.70 -> ~0.53 ms.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import DateTime, Integer, Text, Uuid, case, cast, func, literal_column, type_coerce
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.sql import visitors
from sqlalchemy.sql.elements import BindParameter, ColumnElement


class JsonText(Text):
    """Text that is JSON already (an object, an array, `null`): pasted into its parent as it is."""


class SafeText(Text):
    """Text JSON writes between quotes with nothing escaped: base64, ISO dates and timestamps."""


def quoted(text: str) -> ColumnElement[Any]:
    """A SQL string literal (for JSON keys and type names: GraphQL names, never user input)."""
    return literal_column("'" + text.replace("'", "''") + "'")


def _safe(expression: Any) -> ColumnElement[str]:
    return type_coerce(expression, SafeText())


def iso_datetime(column: Any) -> ColumnElement[str]:
    """A timestamptz as Python's `datetime.isoformat()` writes the UTC value asyncpg returns
    (what strawberry's DateTime and orjson both write): microseconds only when non-zero, `+00:00`.
    PostgreSQL's own JSON form trims trailing zeros of the fraction, hence not `to_json(column)`.
    One to_char with the fraction, whose `.000000` is dropped (the only "." in the text); NULL stays
    NULL through to_char and `||`."""
    text = func.to_char(func.timezone("UTC", column), quoted('YYYY-MM-DD"T"HH24:MI:SS.US'))
    return _safe(func.replace(text, quoted(".000000"), quoted("")).op("||")(quoted("+00:00")))


def iso_date(column: Any) -> ColumnElement[str]:
    """A date as `date.isoformat()` writes it (the Date scalar, orjson): YYYY-MM-DD (years 1-9999)."""
    return _safe(func.to_char(column, quoted("YYYY-MM-DD")))


def decimal_text(column: Any) -> ColumnElement[str]:
    """A numeric as strawberry's Decimal writes it, `str(Decimal)`: for money (numeric(14, 2)) that is
    numeric's own text, the scale kept ("12.50", "0.00"); no exponent form at that scale."""
    return cast(column, Text)


def float_text(value: Any) -> ColumnElement[str]:
    """A float8 in [0, 1e15) as orjson writes the same Python float (NULL stays NULL). PostgreSQL 12+
    writes the shortest text that reads back as the same double (extra_float_digits >= 1, the
    default), as orjson does; the forms differ only in three ways, each rewritten: an integral value
    ("4" for orjson's "4.0"), an exponent of -5 (PostgreSQL's "1.5e-05", orjson's "0.000015"), and the
    padding of smaller exponents ("1e-07", orjson's "1e-7"). tests/compiled/test_surveys.py compares
    the two over every ratio of the survey counts and more."""
    text = cast(value, Text)
    mantissa = func.replace(func.split_part(text, quoted("e"), 1), quoted("."), quoted(""))
    return type_coerce(
        case(
            (
                func.strpos(text, quoted("e")) == 0,
                case((func.strpos(text, quoted(".")) == 0, text.op("||")(quoted(".0"))), else_=text),
            ),
            (func.right(text, 4) == quoted("e-05"), quoted("0.0000").op("||")(mantissa)),
            else_=func.replace(text, quoted("e-0"), quoted("e-")),
        ),
        JsonText(),
    )


def _base64(text: ColumnElement[Any]) -> ColumnElement[str]:
    # encode(…, 'base64') breaks lines every 76 characters: the reference's base64 never does.
    return func.encode(func.convert_to(text, quoted("UTF8")), quoted("base64"))


def global_id(type_name: str, column: Any) -> ColumnElement[str]:
    """relay.GlobalID as strawberry writes it: standard base64 of "TypeName:uuid", with padding."""
    encoded = _base64(quoted(type_name + ":").op("||")(cast(column, Text)))
    return _safe(func.replace(encoded, func.chr(10), quoted("")))


def global_id_of(type_column: Any, column: Any) -> ColumnElement[str]:
    """`global_id` whose type name is a column's value (Activity.entityId: the entity's type)."""
    encoded = _base64(type_column.op("||")(quoted(":")).op("||")(cast(column, Text)))
    return _safe(func.replace(encoded, func.chr(10), quoted("")))


def cursor(values: list[ColumnElement[Any]], tag: str | None = None) -> ColumnElement[str]:
    """db.repositories.pagination.encode_cursor in SQL: urlsafe base64 (no padding) of the compact JSON
    list of the sort values, after the ordering's tag `{"orderBy":…}` when it has one (the tag is a
    constant, written as orjson writes it). `to_json(text)` escapes exactly as orjson does (tests/compiled
    prove it); timestamps go through `iso_datetime` first, which is orjson's datetime form too."""
    parts: Any = quoted("[" + (orjson.dumps({"orderBy": tag}).decode() if tag else ""))
    for i, value in enumerate(values):
        if i or tag:
            parts = parts.op("||")(quoted(","))
        parts = parts.op("||")(cast(func.to_json(value), Text))
    parts = parts.op("||")(quoted("]"))
    return _safe(func.translate(_base64(parts), quoted("+/=").op("||")(func.chr(10)), quoted("-_")))


# The business clock's "now" goes in as a parameter. services/sla.py builds its expressions around a
# Python datetime (a literal); they are built once with this stand-in and the stand-in is swapped for
# the bind parameter below, so the rules stay the ones of services/sla.py.
NOW_STAND_IN = datetime(1111, 11, 11, 11, 11, 11, tzinfo=UTC)
NOW = "now"


def now_param() -> BindParameter[datetime]:
    return BindParameter(NOW, None, type_=DateTime(timezone=True))


# The caller's own user id, bound per request (a list scoped to its person: `notifications`); a plan
# is shared by the callers of one access column, so the person is a parameter, never in the plan.
USER = "user"


def user_param() -> BindParameter[Any]:
    return BindParameter(USER, None, type_=Uuid())


def with_now_param(expression: ColumnElement[Any]) -> ColumnElement[Any]:
    def swap(element: Any) -> Any:
        if isinstance(element, BindParameter) and element.value == NOW_STAND_IN:
            return now_param()
        return None

    swapped: ColumnElement[Any] = visitors.replacement_traverse(expression, {}, swap)  # type: ignore[call-overload]
    return swapped


NULL = quoted("null")


def json_constant(value: Any) -> ColumnElement[str]:
    """A constant (a type name, `[]`) as JSON text."""
    return type_coerce(quoted(json.dumps(value, separators=(",", ":"))), JsonText())


def json_text(expression: Any) -> ColumnElement[str]:
    """`expression` (JSON text, or NULL for `null`) as JSON text (a CASE of objects and NULL, a scalar
    subquery of an object that may find no row)."""
    return type_coerce(expression, JsonText())


def json_value(value: Any) -> ColumnElement[str]:
    """`value` written as JSON text, never NULL: what json_build_object writes for it."""
    type_ = getattr(value, "type", None)
    if isinstance(type_, JsonText):
        return func.coalesce(value, NULL)
    if isinstance(type_, SafeText):
        return func.coalesce(quoted('"').op("||")(value).op("||")(quoted('"')), NULL)
    if isinstance(type_, Integer):
        return func.coalesce(cast(value, Text), NULL)  # an integer's text is its JSON
    return func.coalesce(cast(func.to_json(value), Text), NULL)


def json_object(pairs: list[tuple[str, Any]]) -> ColumnElement[str]:
    """`{"key":value,…}` as JSON text (keys are GraphQL names; values as `json_value`)."""
    if not pairs:
        return json_constant({})
    text: Any = None
    punctuation = "{"
    for key, value in pairs:
        label = quoted(punctuation + json.dumps(key) + ":")
        text = label if text is None else text.op("||")(label)
        text = text.op("||")(json_value(value))
        punctuation = ","
    return json_text(text.op("||")(quoted("}")))


def json_array(element: Any, *order: Any) -> ColumnElement[str]:
    """An aggregate: `[element,…]` in `order` as JSON text, `[]` for no rows (`element` is JSON text
    and never NULL: an object)."""
    joined = func.string_agg(element, aggregate_order_by(quoted(","), *order))
    return json_text(func.coalesce(quoted("[").op("||")(joined).op("||")(quoted("]")), quoted("[]")))


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
