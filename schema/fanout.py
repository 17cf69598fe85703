"""Rendering subscription events once per cohort, and the execution context of every operation.

Over WebSockets a subscription joins a cohort (services/realtime/cohorts.py): the subscriptions with
the same operation, the same variables (the cursor aside) and the same access column of the
authorization matrix, which would get identical results. `cohort_renderer` renders an event for a
cohort — graphql-core's per-event execution of the operation, in a fresh read snapshot, with the
cohort's principal, its errors masked as MaskUnexpectedErrors masks them — and encodes it once.
`cohort_key` and `cursor_source` say which cohort a subscription belongs to.

`FanoutExecutor` hands mutation payloads to the compiled path, and still shares renders between
subscribers that stream through strawberry one by one (a subscription started outside a WebSocket
handler): the first of them renders, the others reuse the result.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import re
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

import orjson
from graphql import (
    ExecutionResult,
    Executor,
    FieldNode,
    OperationType,
    StringValueNode,
    VariableNode,
    located_error,
    parse,
)
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from schema.compiled import payloads
from schema.context import Context
from schema.errors import masked
from services.access import column_of
from services.realtime.cohorts import RENDERS as COUNTERS
from services.realtime.cohorts import CursorSource, Render
from services.realtime.hub import LoggedEvent

_MAX_ENTRIES = 4096


class _RenderCache:
    def __init__(self) -> None:
        self.entries: OrderedDict[tuple, tuple[Any, asyncio.Future]] = OrderedDict()

    @property
    def renders(self) -> int:
        return COUNTERS.renders

    @property
    def hits(self) -> int:
        return COUNTERS.hits

    def clear(self) -> None:
        self.entries.clear()


RENDERS = _RenderCache()


# --- Cohorts ---


def cursor_source(field: FieldNode, query: str) -> CursorSource:
    """How the subscription field `field` of `query` takes its `after:` argument. A variable counts as
    the cursor only if nothing else in the document uses it (so leaving it out of the cohort key
    cannot merge subscriptions that render differently)."""
    for argument in field.arguments or ():
        if argument.name.value != "after":
            continue
        value = argument.value
        if isinstance(value, VariableNode):
            name = value.name.value
            uses = len(re.findall(r"\$" + re.escape(name) + r"(?![_0-9A-Za-z])", query))
            return CursorSource(variable=name if uses == 2 else None)  # its definition and this use
        if isinstance(value, StringValueNode):
            return CursorSource(literal=value.value)
    return CursorSource()


def cohort_key(
    query: str,
    operation_name: str | None,
    variables: dict[str, Any] | None,
    source: CursorSource,
    principal: Any,
    *,
    personal: bool = False,
    language: str = "en",
) -> Hashable:
    """Subscriptions with equal keys get identical payloads for every event. A `personal` stream (one
    person's own events) is a cohort of that person's subscriptions only. Errors are in the
    subscribers' language, so the language is part of the key."""
    rendering = {k: v for k, v in (variables or {}).items() if k != source.variable}
    try:
        canonical = orjson.dumps(rendering, option=orjson.OPT_SORT_KEYS)
    except TypeError:
        canonical = json.dumps(rendering, sort_keys=True, default=repr).encode()
    key = (query, operation_name, canonical, column_of(principal), language)
    return (*key, principal.user_id) if personal else key


def cohort_renderer(
    schema: Any,
    query: str,
    variables: dict[str, Any] | None,
    operation_name: str | None,
    principal: Any,
    services: Any,
    wrap: Callable[[LoggedEvent], Any],
    language: str = "en",
) -> Render:
    """Render an event for a cohort: its payload bytes (`{"data": …, "errors": […]}`), as strawberry's
    subscription would produce it for any member. `schema` is graphql-core's (validated already: the
    cohort's first member passed strawberry's whole pre-execution)."""
    built = FanoutExecutor.build(schema, parse(query), None, None, variables, operation_name)
    if isinstance(built, list):
        raise ValueError(f"a validated subscription failed to build: {built}")
    template: Executor = built

    async def render(event: LoggedEvent) -> bytes:
        context = Context(services=services, principal=principal, language=language)
        try:
            executor = Executor.build_per_event_executor(template, wrap(event))
            executor.context_value = context
            outcome: Any = executor.execute_operation(False)
            if inspect.isawaitable(outcome):
                outcome = await outcome
            result: ExecutionResult = outcome
        except Exception as exc:  # noqa: BLE001 - graphql-core catches field errors; this is anything else
            result = ExecutionResult(data=None, errors=[located_error(exc)])
        finally:
            await context.close()
        body: dict[str, Any] = {"data": result.data}
        if result.errors:
            body["errors"] = [e.formatted for e in masked(list(result.errors), context)]
        return encode(body)

    return render


def encode(body: dict[str, Any]) -> bytes:
    try:
        return orjson.dumps(body)
    except orjson.JSONEncodeError:  # a lone surrogate in a message: the standard encoder escapes it
        return json.dumps(body, ensure_ascii=True, default=str).encode()


def _event_id(payload: Any) -> int | None:
    event = getattr(payload, "_event", None)
    return getattr(event, "id", None)


class FanoutExecutor(StrawberryGraphQLCoreExecutionContext):
    _fanout_key: tuple[Any, ...] | None = None

    def build_per_event_executor(self, payload: Any) -> Any:
        executor = super().build_per_event_executor(payload)
        event_id = _event_id(payload)
        context = executor.context_value
        principal = getattr(context, "principal", None)
        if (
            isinstance(executor, FanoutExecutor)  # graphql-core builds it as `self.__class__(...)`
            and event_id is not None
            and principal is not None
            and self.operation.operation is OperationType.SUBSCRIPTION
        ):
            coerced = executor.variable_values.coerced if executor.variable_values else {}
            language = getattr(context, "language", "en")  # errors are rendered in it
            coerced_key = repr(sorted(coerced.items()))
            executor._fanout_key = (event_id, id(self.operation), coerced_key, column_of(principal), language)
        return executor

    def complete_value(
        self,
        return_type: Any,
        field_details_list: Any,
        info: Any,
        path: Any,
        result: Any,
        position_context: Any,
    ) -> Any:
        if isinstance(result, payloads.Committed):  # a mutation's payload object (schema/compiled/payloads.py)
            return payloads.complete(self, return_type, field_details_list, info, path, result, position_context)
        return super().complete_value(return_type, field_details_list, info, path, result, position_context)

    def execute_operation(self, serially: bool | None = None) -> Any:
        if self._fanout_key is None:
            return super().execute_operation(serially)
        return self._shared(self._fanout_key, serially)

    async def _shared(self, key: tuple[Any, ...], serially: bool | None) -> Any:
        entry = RENDERS.entries.get(key)
        if entry is not None and entry[0] is self.operation:  # same operation object, not a reused id
            COUNTERS.hits += 1
            return await asyncio.shield(entry[1])
        future = asyncio.get_running_loop().create_future()
        RENDERS.entries[key] = (self.operation, future)  # keeps the operation alive: its id stays unique
        if len(RENDERS.entries) > _MAX_ENTRIES:
            RENDERS.entries.popitem(last=False)
        COUNTERS.renders += 1
        subscriber_context = self.context_value
        self.context_value = subscriber_context.for_rendering()
        try:
            result = super().execute_operation(serially)
            if inspect.isawaitable(result):
                result = await result
            future.set_result(result)
            return result
        except BaseException as error:
            RENDERS.entries.pop(key, None)
            future.set_exception(error)
            future.exception()  # retrieved: waiting subscribers get it, nobody else logs it as lost
            raise
        finally:
            await self.context_value.close()
            self.context_value = subscriber_context
