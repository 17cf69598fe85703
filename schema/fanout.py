"""The execution context of every operation: renders each subscription event once per distinct
(operation, variables, permission scope), and hands mutation payloads to the compiled path.

Strawberry executes a subscription's selection set for every subscriber and every event (~200 µs
each here: 5,000 wall boards would cost a second per event). Subscribers with the same operation,
the same variables and the same access column of the authorization matrix would get identical
results, so the first of them renders it — in a fresh read snapshot of its own — and the others
reuse the result. The cache holds the recent events only.
"""

from __future__ import annotations

import asyncio
import inspect
from collections import OrderedDict
from typing import Any

from graphql import OperationType
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from schema.compiled import payloads
from services.access import column_of

_MAX_ENTRIES = 4096


class _RenderCache:
    def __init__(self) -> None:
        self.entries: OrderedDict[tuple, tuple[Any, asyncio.Future]] = OrderedDict()
        self.renders = 0
        self.hits = 0

    def clear(self) -> None:
        self.entries.clear()


RENDERS = _RenderCache()


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
            executor._fanout_key = (event_id, id(self.operation), repr(sorted(coerced.items())), column_of(principal))
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
            RENDERS.hits += 1
            return await asyncio.shield(entry[1])
        future = asyncio.get_running_loop().create_future()
        RENDERS.entries[key] = (self.operation, future)  # keeps the operation alive: its id stays unique
        if len(RENDERS.entries) > _MAX_ENTRIES:
            RENDERS.entries.popitem(last=False)
        RENDERS.renders += 1
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
