"""A list the compiler answers at the root (`RootList`: keyset page, totalCount, cursors as
db/repositories/pagination.py `fetch_page`), and the two with rules of their own: `tickets(first,
after, filter)` and `customers(first, after, search)`, with the repositories' filters, orderings and
cursors (db/repositories/tickets.py `page`, customers.py `page`). The lists whose arguments are plain
filters (`Where`) are in lists.py, which also holds the registry of all of them (`ROOTS`).

`values` reads one request's arguments the way the reference resolvers do and returns the statement's
shape (`features`) with the parameter values; None when the reference would answer with an error.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, ClassVar

from graphql import FieldNode
from graphql.execution.values import get_argument_values
from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Integer,
    Numeric,
    String,
    Text,
    Uuid,
    any_,
    exists,
    false,
    func,
    or_,
    select,
    true,
    tuple_,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql.elements import BindParameter

from db.models import Customer, Escalation, Ticket
from db.repositories.customers import ORDERINGS as CUSTOMER_ORDERINGS
from db.repositories.customers import PAGE_KEYS as CUSTOMER_KEYS  # the reference's own ordering, by construction
from db.repositories.customers import escape_like
from db.repositories.pagination import (
    InvalidCursor,
    Ordering,
    SortKey,
    aware_datetime,
    decimal_value,
    decode_cursor,
    int64_value,
)
from db.repositories.tickets import ORDERINGS as TICKET_ORDERINGS
from db.repositories.tickets import TICKET_PAGE_KEYS as TICKET_KEYS
from schema.compiled import sql
from schema.ids import decode_id
from schema.types.common import BadUserInput, page_window
from services import sla
from services.access import Action
from services.clock import utc
from services.errors import DomainError


def _enum_values(values: Any) -> list[str]:
    return [getattr(v, "value", v) for v in values or []]


@dataclass(frozen=True)
class Where:
    """One argument of a list that narrows it, as its resolver and repository read it: `kind` is
    `enums` (a list of enum values; null or empty: any), `enum` (one value; null: any), `bool` (null:
    any, else `column IS value`), or the type name of a global id (null: any; a malformed id or one of
    another type is the reference's BAD_USER_INPUT, so it is not compiled)."""

    arg: str
    column: Any
    kind: str


def _is_date_key(key: SortKey) -> bool:
    return isinstance(getattr(key.expr, "type", None), Date)


class RootList:
    table: Any
    keys: list[SortKey]
    descending = False
    # A list with `orderBy`: the repository's orderings by name (the argument picks one; `keys` and
    # `descending` are then its default's). Without: one order, `keys`.
    orderings: ClassVar[dict[str, Ordering]] = {}
    action = Action.READ  # the root field's permission (schema/roots): without it, the reference's FORBIDDEN
    where: tuple[Where, ...] = ()

    def __init__(
        self, prefix: str, field: Any, node: FieldNode, variables: Any, actions: frozenset[Action] = frozenset()
    ):
        self.prefix, self.field, self.node = prefix, field, node
        self.actions = actions  # the caller's (one plan per caller's column): a list may narrow by them
        bound = self.values(self.arguments(variables))
        if bound is None:
            from schema.compiled.planner import RefusedArguments

            raise RefusedArguments("these arguments are answered with an error")
        self.features: tuple[Any, ...] = bound[0]
        shape = dict(self.features)
        self.backward: bool = shape["backward"]  # last/before: the page is read from the cursor towards the start
        self.ordering: Ordering | None = self.orderings[shape["orderBy"]] if self.orderings else None
        self.sort_keys = list(self.ordering.keys) if self.ordering else self.keys
        self.sort_descending = self.ordering.descending if self.ordering else self.descending

    def connection_field(self, name: str) -> Any:
        """A field of the connection besides totalCount, pageInfo and edges (`unreadCount`)."""
        from schema.compiled.planner import NotCompilable

        raise NotCompilable(f"{name} of {self.field.type}")

    def arguments(self, variables: Any) -> dict[str, Any]:
        return get_argument_values(self.field, self.node, variables)

    def bind(self, variables: Any) -> dict[str, Any] | None:
        """Parameter values for another request of the same plan; None: not this statement's shape."""
        try:
            bound = self.values(self.arguments(variables))
        except Exception:  # noqa: BLE001 - anything odd goes to the reference, which reports it
            return None
        if bound is None or bound[0] != self.features:
            return None
        return {self.prefix + name: value for name, value in bound[1].items()}

    def param(self, name: str, type_: Any) -> BindParameter[Any]:
        return BindParameter(self.prefix + name, None, type_=type_)

    def values(self, args: dict[str, Any]) -> tuple[tuple[Any, ...], dict[str, Any]] | None:
        try:  # the reference's own rules: a size out of range, both directions at once
            window = page_window(args.get("first"), args.get("after"), args.get("last"), args.get("before"))
        except BadUserInput:
            return None  # answered with the reference's error
        backward = "last" in window
        size = window["last"] if backward else window["first"]
        cursor = window.get("before") if backward else window.get("after")
        assert size is not None  # page_window gives the default size
        order_by = getattr(args.get("orderBy"), "value", args.get("orderBy")) if self.orderings else None
        if self.orderings and order_by not in self.orderings:
            return None
        ordering = self.orderings[order_by] if order_by is not None else None
        values: dict[str, Any] = {"first": size, "first1": size + 1, "has_cursor": bool(cursor)}
        if cursor:
            try:
                decoded = decode_cursor(cursor, ordering.keys if ordering else self.keys, ordering)
            except InvalidCursor:
                return None
            values.update({f"a{i}": v for i, v in enumerate(decoded)})
        filtered = self.filter_values(args, values)
        if filtered is None:
            return None
        shape = (("after", bool(cursor)), ("backward", backward), ("orderBy", order_by))
        return (*shape, *filtered), values

    def filter_values(self, args: dict[str, Any], values: dict[str, Any]) -> tuple[Any, ...] | None:
        """The features and parameters of `where` (a list with rules of its own overrides this)."""
        features: list[tuple[str, Any]] = []
        for w in self.where:
            raw = args.get(w.arg)
            if w.kind == "enums":
                listed = _enum_values(raw)
                features.append((w.arg, bool(listed)))
                if listed:
                    values[w.arg] = listed
            elif w.kind == "enum":
                features.append((w.arg, raw is not None))
                if raw is not None:
                    values[w.arg] = getattr(raw, "value", raw)
            elif w.kind == "bool":
                features.append((w.arg, raw))
            else:
                features.append((w.arg, raw is not None))
                if raw is not None:
                    try:
                        values[w.arg] = decode_id(raw, w.kind, w.arg)
                    except DomainError:
                        return None  # the reference's BAD_USER_INPUT
        return tuple(features)

    def filters(self) -> list[Any]:
        features, out = dict(self.features), []
        for w in self.where:
            on = features[w.arg]
            if w.kind == "bool":
                if on is not None:
                    out.append(w.column.is_(true() if on else false()))
            elif on:
                if w.kind == "enums":
                    out.append(w.column == any_(self.param(w.arg, ARRAY(String()))))
                elif w.kind == "enum":
                    out.append(w.column == self.param(w.arg, String()))
                else:
                    out.append(w.column == self.param(w.arg, Uuid()))
        return out

    def _key_type(self, key: SortKey) -> Any:
        if key.parse is aware_datetime:
            return DateTime(timezone=True)
        if _is_date_key(key):
            return Date()
        if key.parse is int64_value:
            return BigInteger()  # Activity.seq, ranks (its cursor value is a JSON number, as to_json writes it)
        if key.parse is decimal_value:
            return Numeric()
        return Uuid() if key.parse is uuid.UUID else Text()

    @staticmethod
    def _cursor_value(key: SortKey, value: Any) -> Any:
        if key.parse is aware_datetime:
            return sql.iso_datetime(value)
        if _is_date_key(key):
            return sql.iso_date(value)  # orjson writes a date as date.isoformat()
        # orjson writes a Decimal as its str(), which is numeric::text for the values asyncpg reads back.
        return value.cast(Text) if key.parse in (uuid.UUID, decimal_value) else value

    def cursor(self, page: Any) -> Any:
        """The cursor of a row of `page` (the CTE of `statements`), from its sort values `_k0`, `_k1`, ….
        Written where a cursor is asked for (an edge's, start/endCursor): computing it inside the CTE
        would cost the base64 of every row when pageInfo needs one."""
        values = [self._cursor_value(k, page.c[f"_k{i}"]) for i, k in enumerate(self.sort_keys)]
        return sql.cursor(values, self.ordering.tag if self.ordering else None)

    def position(self, page: Any) -> Any:
        """The page's rows in the list's order: `_rn` counts from the cursor, so backwards it runs the
        other way (fetch_page turns such a page back the same way)."""
        return page.c._rn.desc() if self.backward else page.c._rn

    def statements(self) -> tuple[Any, Any, Any, Any]:
        """(page CTE with `_rn` (1 = the row nearest the cursor, or the list's first or last row without
        one) and the sort values `_k0`, …, totalCount subquery, the page size parameter, whether a cursor
        was given)."""
        base = select(self.table).where(*self.filters())
        count = select(func.count()).select_from(base.subquery()).scalar_subquery()
        keys = self.sort_keys
        exprs = [k.expr for k in keys]
        page = base
        scan_descending = self.sort_descending != self.backward  # as fetch_page scans
        if dict(self.features)["after"]:
            cursor_values = tuple_(*(self.param(f"a{i}", self._key_type(k)) for i, k in enumerate(keys)))
            page = page.where(tuple_(*exprs) < cursor_values if scan_descending else tuple_(*exprs) > cursor_values)
        order = [e.desc() for e in exprs] if scan_descending else exprs
        first = self.param("first", Integer())
        page_cte = (
            page.add_columns(
                func.row_number().over(order_by=order).label("_rn"),
                *(e.label(f"_k{i}") for i, e in enumerate(exprs)),
            )
            .order_by(*order)
            .limit(self.param("first1", Integer()))
            .cte(self.prefix + "page")
        )
        return page_cte, count, first, self.param("has_cursor", Boolean())


def _search(term: Any) -> str | None:
    return f"%{escape_like(term.strip())}%" if term and term.strip() else None


class TicketList(RootList):
    table = Ticket.__table__
    keys = TICKET_KEYS
    descending = True
    orderings = TICKET_ORDERINGS

    def filter_values(self, args: dict[str, Any], values: dict[str, Any]) -> tuple[Any, ...] | None:
        f = args.get("filter") or {}
        features: list[tuple[str, Any]] = []
        for name in ("status", "kind", "priority"):
            listed = _enum_values(f.get(name))
            features.append((name, bool(listed)))
            if listed:
                values[name] = listed
        for name, type_name in (("assigneeId", "User"), ("customerId", "Customer")):
            raw = f.get(name)
            features.append((name, raw is not None))
            if raw is not None:
                try:
                    values[name] = decode_id(raw, type_name, f"filter.{name}")
                except DomainError:
                    return None  # the reference's BAD_USER_INPUT
        features.append(("escalated", f.get("escalated")))
        pattern = _search(f.get("search"))
        features.append(("search", pattern is not None))
        if pattern is not None:
            values["search"] = pattern
        state = f.get("slaState")
        features.append(("slaState", state is not None))
        if state is not None:
            values["slaState"] = sla.SlaState(getattr(state, "value", state)).value
        for start_name, end_name in (("createdFrom", "createdTo"), ("resolvedFrom", "resolvedTo")):
            start, end = utc(f.get(start_name)), utc(f.get(end_name))
            if start is not None and end is not None and end < start:
                return None  # the reference's BAD_USER_INPUT (schema/types/tickets.py period)
            for name, value in ((start_name, start), (end_name, end)):
                features.append((name, value is not None))
                if value is not None:
                    values[name] = value
        root_cause = f.get("rootCause")
        features.append(("rootCause", root_cause is not None))
        if root_cause is not None:
            values["rootCause"] = root_cause
        return tuple(features)

    def filters(self) -> list[Any]:
        features, out = dict(self.features), []
        for name, column in (("status", Ticket.status), ("kind", Ticket.kind), ("priority", Ticket.priority)):
            if features[name]:
                out.append(column == any_(self.param(name, ARRAY(String()))))
        ids: list[tuple[str, Any]] = [("assigneeId", Ticket.assignee_id), ("customerId", Ticket.customer_id)]
        for name, column in ids:
            if features[name]:
                out.append(column == self.param(name, Uuid()))
        if features["escalated"] is not None:
            has_escalation = exists().where(Escalation.ticket_id == Ticket.id)
            out.append(has_escalation if features["escalated"] else ~has_escalation)
        if features["search"]:
            pattern = self.param("search", Text())
            customers = select(Customer.id).where(Customer.name.ilike(pattern, escape="\\"))
            out.append(
                or_(
                    Ticket.number.ilike(pattern, escape="\\"),
                    Ticket.subject.ilike(pattern, escape="\\"),
                    Ticket.customer_id.in_(customers),
                )
            )
        if features["slaState"]:
            # sla.ticket_state_is(state, now) with both the state and `now` as parameters.
            state = sql.with_now_param(sla.ticket_state_sql(sql.NOW_STAND_IN))
            out.append(state == self.param("slaState", String()))
        instant = DateTime(timezone=True)
        periods: list[tuple[Any, str, str]] = [
            (Ticket.created_at, "createdFrom", "createdTo"),
            (Ticket.resolved_at, "resolvedFrom", "resolvedTo"),
        ]
        for column, start_name, end_name in periods:  # half-open periods, as tickets.filtered
            if features[start_name]:
                out.append(column >= self.param(start_name, instant))
            if features[end_name]:
                out.append(column < self.param(end_name, instant))
        if features["rootCause"]:
            out.append(Ticket.root_cause_code == self.param("rootCause", Text()))
        return out


class CustomerList(RootList):
    table = Customer.__table__
    keys = CUSTOMER_KEYS
    orderings = CUSTOMER_ORDERINGS

    def filter_values(self, args: dict[str, Any], values: dict[str, Any]) -> tuple[Any, ...] | None:
        pattern = _search(args.get("search"))
        if pattern is not None:
            values["search"] = pattern
        return (("search", pattern is not None),)

    def filters(self) -> list[Any]:
        if not dict(self.features)["search"]:
            return []
        pattern = self.param("search", Text())
        return [or_(Customer.name.ilike(pattern, escape="\\"), Customer.code.ilike(pattern, escape="\\"))]


ROOTS: dict[str, type[RootList]] = {"tickets": TicketList, "customers": CustomerList}
