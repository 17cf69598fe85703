"""Answer a query from its compiled statement, or say None and let strawberry (the reference) run it.

`TANDEM_READ_EXECUTOR` (settings.read_executor): `compiled` answers what compiles and falls back for
the rest; `reference` never compiles; `compare` runs both, answers with the reference's result and
fails loudly (an ERROR log and a COMPILED_MISMATCH error) when the two differ after key order.
"""

from __future__ import annotations

import logging
import re
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import orjson
from graphql import (
    GraphQLError,
    OperationType,
    get_nullable_type,
    get_operation_ast,
    is_enum_type,
    parse,
    specified_rules,
    type_from_ast,
    validate,
)
from graphql.execution.values import get_variable_values
from strawberry.types import ExecutionResult

from db import driver
from db.repositories import accounts as accounts_repo
from schema.compiled.credentials import Known, KnownCredentials
from schema.compiled.mapping import unmapped_enums
from schema.compiled.planner import NotCompilable, Plan, Planner, RefusedArguments
from schema.limits import Limits, check_inputs, query_cost, statement_cancelled, stopped, validation_rules
from services import outage
from services.access import MATRIX, column_of

log = logging.getLogger("tandem.compiled")

MODES = ("compiled", "reference", "compare")
# Operations answered per executor since the process started (GET /healthz shows them).
COUNTS = {"compiled": 0, "reference": 0, "compared": 0, "mismatches": 0}
_MAX_ENTRIES = 512
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")  # as schema/limits.py: such inputs go to the reference


class _Lru(OrderedDict[Any, Any]):
    def get_or(self, key: Any, default: Any) -> Any:
        if key in self:
            self.move_to_end(key)
            return self[key]
        return default

    def put(self, key: Any, value: Any) -> None:
        self[key] = value
        if len(self) > _MAX_ENTRIES:
            self.popitem(last=False)


_MISSING = object()
REJECTED = "\0rejected"  # the credential check inside the statement failed (never JSON text)


@dataclass(frozen=True)
class TimedOut:
    """The statement ran past statement_timeout: answered as the reference answers a slow read (a
    TIMEOUT at each list or node, null bubbling to `data` from a non-null one), without running the
    same slow read a second time on the reference. The statement cannot tell which of its lists was
    the slow one, so each has the error."""

    data: dict[str, Any] | None
    errors: list[GraphQLError]

    @classmethod
    def of(cls, plan: Plan, ms: int | None) -> TimedOut:
        errors = [stopped([node], [key], ms) for key, node, _ in plan.reads]
        if any(non_null for _, _, non_null in plan.reads):
            return cls(None, errors)
        if plan.cursors:  # its value came from the cancelled statement too; the field is non-null
            return cls(None, errors + [stopped([node], [key], ms) for key, node in plan.cursors])
        return cls({key: None for key, _, _ in plan.reads} | dict.fromkeys(plan.typenames, "Query"), errors)

    def body(self) -> bytes:
        return orjson.dumps({"data": self.data, "errors": [error.formatted for error in self.errors]})


def _enum_variables(schema: Any, operation: Any) -> set[str]:
    """The operation's variables of a (single) enum type, such as `$order: TicketsOrderBy!`: their value
    picks the statement (an `orderBy` is its ORDER BY and its seek), so the plans are kept per value (an
    enum has few) rather than one plan for all values that refuses every value but its own."""
    names = set()
    for definition in operation.variable_definitions or ():
        type_ = type_from_ast(schema, definition.type)
        if type_ is not None and is_enum_type(get_nullable_type(type_)):
            names.add(definition.variable.name.value)
    return names


def shape(value: Any) -> Any:
    """What of a variable's value can change the statement: null or not, empty or not, booleans
    (@include/@skip, `escalated`), the keys of input objects. Values themselves are parameters. (The
    plan checks its own shape again when binding, so this only has to separate, not to be exact.)"""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return "s" if value.strip() else "e"
    if isinstance(value, list):
        return ("l", bool(value))
    if isinstance(value, dict):
        return tuple(sorted((str(k), shape(v)) for k, v in value.items()))
    return type(value).__name__


class CompiledReads:
    def __init__(self, schema: Any, services: Any, settings: Any = None):
        settings = settings if settings is not None else services.settings
        self.reference_schema, self.schema = schema, schema._schema
        self.db = services.db
        self.mode = getattr(settings, "read_executor", "compiled") if settings is not None else "compiled"
        self.limits = Limits.from_settings(settings)
        limits = self.limits
        self.smallest_cap = min(limits.max_search_length, limits.max_name_length, limits.max_string_length)
        self.rules = [*specified_rules, *validation_rules(limits)]
        self.refused = unmapped_enums(self.schema)
        # One statement in autocommit: no BEGIN/ROLLBACK round trips; a statement is its own snapshot.
        self.engine = services.db.reads_engine or services.db.engine.execution_options(isolation_level="AUTOCOMMIT")
        self.credentials = KnownCredentials(services.tokens)
        self.documents = _Lru()
        self.plans = _Lru()

    async def execute(self, request_data: Any, context: Any) -> ExecutionResult | None:
        if self.mode == "reference":
            COUNTS["reference"] += 1
            return None
        answer = await self._answer(request_data, context)
        if answer is None:
            COUNTS["reference"] += 1
            return None
        if isinstance(answer, TimedOut):
            COUNTS["compiled"] += 1
            return ExecutionResult(data=answer.data, errors=answer.errors)
        if self.mode == "compare":
            return await self._compare(answer, request_data, context)
        COUNTS["compiled"] += 1
        # The statement's JSON goes into the response as it is: nothing is decoded or re-encoded.
        return ExecutionResult(data=orjson.Fragment(answer), errors=None)  # type: ignore[arg-type]

    # ------------------------------------------------------------------ the compiled answer

    def _document(self, query: str) -> Any:
        entry = self.documents.get_or(query, _MISSING)
        if entry is _MISSING:
            try:
                document = parse(query, max_tokens=self.limits.max_tokens)
                entry = None if validate(self.schema, document, self.rules) else document
            except GraphQLError:
                entry = None
            self.documents.put(query, entry)
        return entry

    def _inputs_ok(self, value: Any) -> bool:
        """Conservative: what passes here passes schema/limits.py's checks (the smallest cap of all)."""
        stack, limits = [value], self.limits
        while stack:
            item = stack.pop()
            if isinstance(item, str):
                if len(item) > self.smallest_cap or _UNSTORABLE.search(item):
                    return False
            elif isinstance(item, list):
                if len(item) > limits.max_list_length:
                    return False
                stack.extend(item)
            elif isinstance(item, dict):
                if len(item) > limits.max_list_length:
                    return False
                for key, inner in item.items():
                    if not isinstance(key, str) or len(key) > limits.max_name_length or _UNSTORABLE.search(key):
                        return False
                    stack.append(inner)
        return True

    def _plan(self, document: Any, operation: Any, variables: Any, scope: str) -> Plan | object | None:
        """The plan; None: never compiles (remembered); _MISSING: not for these values (not remembered)."""
        if check_inputs(self.limits, document, operation, {}):
            return None  # the document's own literals are refused by the reference
        try:
            return Planner(self.schema, document, operation, variables, MATRIX[scope], self.refused).plan()
        except RefusedArguments:
            return _MISSING
        except NotCompilable as why:
            log.debug("not compiled: %s", why)
            return None

    async def _answer(self, request_data: Any, context: Any) -> str | TimedOut | None:
        principal = getattr(context, "principal", None)
        if principal is None:
            return None  # no caller: the reference writes the UNAUTHENTICATED errors
        answer = await self.answer(
            getattr(request_data, "query", None),
            getattr(request_data, "variables", None),
            getattr(request_data, "operation_name", None),
            principal,
            context.clock.now(),
        )
        return None if answer is REJECTED else answer

    async def answer(
        self, query: Any, raw: Any, name: str | None, principal: Any, now: Any, known: Known | None = None
    ) -> str | TimedOut | None:
        """The response's `data` as JSON text, None for the reference executor to answer, REJECTED:
        `known`'s credential no longer holds (checked inside the same statement), or TimedOut."""
        raw = raw or {}
        if not isinstance(query, str) or not isinstance(raw, dict):
            return None
        document = self._document(query)
        if document is None:
            return None
        operation = get_operation_ast(document, name)
        if operation is None or operation.operation is not OperationType.QUERY or not self._inputs_ok(raw):
            return None
        coerced = get_variable_values(self.schema, operation.variable_definitions or (), raw)
        if isinstance(coerced, list):
            return None  # coercion errors: the reference reports them
        scope = column_of(principal)
        enums = _enum_variables(self.schema, operation)
        key = (query, name, tuple(sorted((k, v if k in enums else shape(v)) for k, v in raw.items())), scope)
        plan = self.plans.get_or(key, _MISSING)
        if plan is _MISSING:
            plan = self._plan(document, operation, coerced, scope)
            if plan is _MISSING:
                return None  # the reference writes the error; the next values may compile
            self.plans.put(key, plan)
        if plan is None:
            return None
        params = plan.parameters(coerced, now, getattr(principal, "user_id", None))
        if params is None or self._too_costly(plan, document, operation, coerced, raw):
            return None
        statement = plan.sql
        if known is not None:
            statement = plan.guarded.get(known.kind) or plan.guarded.setdefault(
                known.kind, accounts_repo.guarded_by_credential(plan.sql, known.kind, len(plan.order) + 1)
            )
            params = [*params, *known.parameters(now)]
        try:
            async with driver.checked_out(self.engine) as conn:
                answer: str | None = await conn.fetchval(statement, *params)
        except Exception as exc:
            if outage.is_database_unavailable(exc):
                return None  # the reference path answers an outage (503) as it always has
            if statement_cancelled(exc):
                return TimedOut.of(plan, self.db.statement_timeout_ms)
            if self.mode == "compare":
                raise
            log.exception("compiled read failed; answered by the reference executor")
            return None
        return REJECTED if answer is None else answer

    async def credential_holds(self, known: Known, now: Any) -> bool:
        """`known`'s credential still holds (the check compiled statements make, on its own)."""
        statement = accounts_repo.credential_check(known.kind)
        async with driver.checked_out(self.engine) as conn:
            return await conn.fetchval(statement, *known.parameters(now)) is not None

    def _too_costly(self, plan: Plan, document: Any, operation: Any, coerced: Any, raw: dict[str, Any]) -> bool:
        firsts = plan.firsts(coerced)
        cost = plan.costs.get(firsts)
        if cost is None:
            cost = plan.costs[firsts] = query_cost(self.schema, document, operation, raw)
        return cost > self.limits.max_query_cost

    # ------------------------------------------------------------------ compare mode

    async def _compare(self, answer: str, request_data: Any, context: Any) -> ExecutionResult:
        reference = await self.reference_schema.execute(
            request_data.query,
            variable_values=request_data.variables,
            context_value=context,
            operation_name=request_data.operation_name,
        )
        COUNTS["compared"] += 1
        expected = {"data": reference.data, "errors": [e.formatted for e in reference.errors or []]}
        compiled = {"data": orjson.loads(answer), "errors": []}
        sort = orjson.OPT_SORT_KEYS
        if orjson.dumps(expected, option=sort) == orjson.dumps(compiled, option=sort):
            return reference
        COUNTS["mismatches"] += 1
        log.error(
            "compiled and reference executors disagree on %r (variables %r)\nreference: %s\ncompiled:  %s",
            request_data.query,
            request_data.variables,
            orjson.dumps(expected, option=sort).decode(),
            orjson.dumps(compiled, option=sort).decode(),
        )
        error = GraphQLError("compiled and reference executors disagree", extensions={"code": "COMPILED_MISMATCH"})
        return ExecutionResult(data=None, errors=[error])


def for_view(view: Any) -> CompiledReads:
    """The view's compiled reads (made on first use: the app replaces its services in the lifespan)."""
    reads = getattr(view, "_compiled_reads", None)
    if reads is None or reads.db is not view.services.db:
        reads = view._compiled_reads = CompiledReads(view.schema, view.services, getattr(view, "settings", None))
    return reads
