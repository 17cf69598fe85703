"""The WebSocket protocol handlers, graphql-transport-ws and the legacy graphql-ws: strawberry's, with
Tandem's admission, refusal codes and delivery.

Admission and refusals: 4401 for a missing or bad credential, 4403 for one that may not subscribe
(strawberry uses 4403 for every refusal on graphql-transport-ws, and 1011 on the legacy graphql-ws),
4429 for a credential that already holds its cap of sockets on this process. Once its credential is
accepted, each socket is registered in the process's ConnectionRegistry (services/realtime/
connections.py), which closes it when the credential is revoked or expires and re-scopes it when the
person's role changes.

Delivery: a subscription does not stream through strawberry. Its first message runs strawberry's
whole pre-execution (parsing, validation, limits, the root field's permission, its arguments) and the
resolver, which — finding `JOINING` set for its task — joins the subscription's cohort (replaying
from its cursor first) and ends (resolvers/events.py). From then on the hub's cohort renders each
event once and pushes the member's frame into the connection's `Outbox` (web/outbox.py): no task,
queue or GraphQL execution per subscription remains. A later subscription whose cohort exists
already and that has nothing to replay joins it at once, without GraphQL: every member of a cohort
has the same document, variables and permission scope, so strawberry's answer would be the same.
A subscriber too slow for its outbox is closed with 4413 (it resumes with `after`).
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress
from typing import Any

import orjson
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
    _OperationStreamClosed,
)
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler
from strawberry.types.execution import PreExecutionError
from strawberry.utils.aio import aclosing

from schema import fanout
from schema.context import Context
from services import i18n, outage
from services.auth import API_KEY_PREFIX
from services.realtime import cohorts
from services.realtime.cohorts import Joining, Member
from services.realtime.connections import TOO_MANY_CONNECTIONS, Connection, TooManyConnections
from web import rate_limit
from web.outbox import Outbox
from web.ws import DEFAULT_GRACE, SERVER_SEND, Refused, close_socket

log = logging.getLogger("tandem.ws")

SLOW_SUBSCRIBER_CLOSE_CODE = 4413  # also resolvers/events.py, for subscriptions streamed one by one
# Frames waiting in an outbox while its client does not read, beyond the transport's own buffer.
DEFAULT_BUFFER_BYTES = 1024 * 1024
_MAX_CURSOR_DIGITS = 19  # a bigint; longer cursors take the full way, which says what is wrong


class _Registered:
    """Both protocols: admission against the credential's cap, and delivery through cohorts."""

    connection: Connection | None = None
    _seen_up_to: int | None = None
    _outbox: Outbox | None = None
    _members: dict[str, Member] | None = None
    # What each live subscription was started with (query, variables, operation name), to rejoin it.
    _started: dict[str, tuple[str, dict[str, Any], str | None]] | None = None
    _done: asyncio.Future[None] | None = None

    # --- the connection ---

    async def handle(self) -> None:
        try:
            await super().handle()  # type: ignore[misc]
        finally:
            self._leave_all()
            if self._outbox is not None:
                await self._outbox.aclose()
            self._release()

    async def handle_connection_init(self, message: Any) -> None:
        hub = self.view.services.hub  # type: ignore[attr-defined]
        # The hub's position before the credential is checked: see ConnectionRegistry.admit.
        self._seen_up_to = hub.position if hub is not None else None
        try:
            await super().handle_connection_init(message)  # type: ignore[misc]
        except Refused as refused:
            await self.refuse(refused)

    async def refuse(self, refused: Refused) -> None:
        await self.websocket.close(code=refused.code, reason=refused.reason)  # type: ignore[attr-defined]

    async def send_message(self, message: Any) -> None:
        connection = self.connection
        if connection is not None and connection.closing:
            return  # revoked or expired: nothing more goes out; its close frame is on the way
        if message.get("type") == "connection_ack":
            self._admit()  # raises Refused(4429): strawberry then never marks the socket acknowledged
        await super().send_message(message)  # type: ignore[misc]

    def _admit(self) -> None:
        services = self.view.services  # type: ignore[attr-defined]
        registry = getattr(services.hub, "connections", None)
        context = self.context  # type: ignore[attr-defined]
        if registry is None or context.principal is None:
            return
        self._release()  # a repeated connection_init (legacy protocol) may bring another credential
        now = services.clock.now()
        generation = expires_at = None
        token = _credential(context.connection_params)
        if context.principal.is_user and token and not token.startswith(API_KEY_PREFIX):
            decoded = services.tokens.decode_with_expiry(token, now)
            if decoded is not None:
                _, generation, expires_at = decoded
        grace = self._grace()
        websocket = context.request

        def close(code: int, reason: str) -> None:
            if self._outbox is not None:
                self._outbox.close()  # a revoked socket gets nothing more, not even what was queued
            close_socket(websocket, code, reason, grace)

        _forget_handshake(websocket)
        try:
            self.connection = registry.admit(
                context,
                closer=close,
                generation=generation,
                expires_at=expires_at,
                now=now,
                seen_up_to=self._seen_up_to,
            )
        except TooManyConnections as exc:
            raise Refused(TOO_MANY_CONNECTIONS, str(exc)) from None
        self.connection.on_rescope = self._rescope

    async def rate_limited(self, message: Any) -> bool:
        """A subscribe (`start`) of an API key over its requests per minute (services/rate_limits.py):
        answered with an `error` message for its id, code RATE_LIMITED and `retryAfter`; nothing runs.
        Only a subscribe strawberry would run counts: before the ack, or with an id in use, it closes
        the socket instead (the legacy protocol restarts an id in use: that counts)."""
        operation_id = message.get("id")
        context = self.context  # type: ignore[attr-defined]
        in_use = operation_id in getattr(self, "operations", ())  # graphql-transport-ws closes with 4409
        if not self.connection_acknowledged or context.principal is None or in_use:  # type: ignore[attr-defined]
            return False
        try:
            refused = await rate_limit.refusal(self.view.services, context.principal)  # type: ignore[attr-defined]
        except Exception as exc:
            if not outage.is_database_unavailable(exc):
                raise
            error = {"message": i18n.render(outage.MESSAGE, context.language), "extensions": {"code": outage.CODE}}
        else:
            if refused is None:
                return False
            error = refused.graphql_error(context.language)
        await self.send_message(self.error_message(operation_id, error))
        return True

    def error_message(self, operation_id: str, error: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def _release(self) -> None:
        if self.connection is not None:
            registry = getattr(self.view.services.hub, "connections", None)  # type: ignore[attr-defined]
            if registry is not None:
                registry.release(self.connection)
            self.connection = None

    def _grace(self) -> float:
        settings = self.view.services.settings  # type: ignore[attr-defined]
        return settings.slow_subscriber_grace if settings is not None else DEFAULT_GRACE

    # --- delivery ---

    def outbox(self) -> Outbox:
        if self._outbox is None:
            settings = self.view.services.settings  # type: ignore[attr-defined]
            websocket = self.context.request  # type: ignore[attr-defined]
            send = websocket.scope.get(SERVER_SEND) or websocket._send
            self._outbox = Outbox(
                send,
                max_frames=settings.subscriber_queue if settings is not None else 1000,
                max_bytes=settings.ws_buffer_bytes if settings is not None else DEFAULT_BUFFER_BYTES,
                on_overflow=self._too_slow,
            )
        return self._outbox

    @property
    def members(self) -> dict[str, Member]:
        if self._members is None:
            self._members = {}
        return self._members

    def frame_prefix(self, operation_id: str) -> bytes:
        raise NotImplementedError

    def joining(self, operation_id: str, query: str, variables: Any, operation_name: str | None) -> Joining:
        variables = variables if isinstance(variables, dict) else {}

        def joined(member: Member) -> None:
            self._joined(operation_id, member, query, variables, operation_name)

        return Joining(
            sink=self.outbox(),
            prefix=self.frame_prefix(operation_id),
            query=query,
            variables=variables,
            operation_name=operation_name,
            on_cut_off=self._too_slow,
            on_joined=joined,
        )

    def _joined(
        self, operation_id: str, member: Member, query: str, variables: dict[str, Any], name: str | None
    ) -> None:
        self.members[operation_id] = member
        if self._started is None:
            self._started = {}
        self._started[operation_id] = (query, variables, name)

    def leave(self, operation_id: str) -> None:
        if self._started is not None:
            self._started.pop(operation_id, None)
        if self._members is not None:
            member = self._members.pop(operation_id, None)
            if member is not None:
                member.leave()

    def _leave_all(self) -> None:
        for operation_id in list(self._members or ()):
            self.leave(operation_id)

    def _too_slow(self) -> None:
        """The client stopped reading: its subscriptions leave the hub, and it gets 4413 if it reads
        again within the grace, or loses its TCP connection after it in any case."""
        if self._outbox is not None:
            self._outbox.close()
        self._leave_all()
        close_socket(
            self.context.request,  # type: ignore[attr-defined]
            SLOW_SUBSCRIBER_CLOSE_CODE,
            "subscriber too slow: reconnect with after=<last cursor>",
            self._grace(),
        )

    def joins_at_once(self, message: Any, running: dict[str, Any]) -> str | None:
        """The id of a subscribe/start message that joined its cohort at once (see `fast_join`), after
        the checks strawberry makes first (acknowledged, id free, under the limit); None: strawberry
        handles the message, refusals included. `running`: the handler's operations."""
        operation_id = message.get("id") if isinstance(message, dict) else None
        limit = self.max_subscriptions_per_connection  # type: ignore[attr-defined]
        if (
            self.connection_acknowledged  # type: ignore[attr-defined]
            and isinstance(operation_id, str)
            and operation_id not in running
            and (limit is None or len(running) < limit)
            and self.fast_join(operation_id, message.get("payload")) is not None
        ):
            return operation_id
        return None

    def fast_join(self, operation_id: str, payload: Any) -> Member | None:
        """Join the existing cohort of this subscription without GraphQL, when it has one and nothing
        to replay; None: take the full way."""
        hub = self.view.services.hub  # type: ignore[attr-defined]
        principal = self.context.principal  # type: ignore[attr-defined]
        if hub is None or principal is None or not isinstance(payload, dict):
            return None
        query, variables, name = payload.get("query"), payload.get("variables"), payload.get("operationName")
        if not isinstance(query, str) or not (name is None or isinstance(name, str)):
            return None
        if variables is None:
            variables = {}
        elif not isinstance(variables, dict):
            return None
        source = hub.cohorts.documents.get((query, name))
        if source is None:
            return None
        raw = source.literal if source.variable is None else variables.get(source.variable)
        if raw is None:
            cursor = None
        elif isinstance(raw, str) and raw.isascii() and raw.isdigit() and len(raw) <= _MAX_CURSOR_DIGITS:
            cursor = int(raw)
        else:
            return None
        language = self.context.language  # type: ignore[attr-defined]
        cohort = hub.cohorts.cohorts.get(
            fanout.cohort_key(query, name, variables, source, principal, language=language)
        )
        if cohort is None:
            return None
        member: Member | None = hub.join_live(
            cohort, self.outbox(), self.frame_prefix(operation_id), cursor, self._too_slow
        )
        if member is not None:
            self._joined(operation_id, member, query, variables, name)
        return member

    def done(self) -> asyncio.Future[None]:
        """A finished future standing for the task of an operation that needs none."""
        if self._done is None:
            self._done = asyncio.get_running_loop().create_future()
            self._done.set_result(None)
        return self._done

    def _rescope(self) -> None:
        """The person's permission scope changed: each subscription leaves its cohort and joins the one
        of the new scope, through the full way again (the new scope's cohort may not exist yet),
        resuming after the last event it was given: no gap, no duplicate."""
        for operation_id, member in list((self._members or {}).items()):
            started = (self._started or {}).get(operation_id)
            self.leave(operation_id)
            if started is not None:
                query, variables, name = started
                self.rejoin(operation_id, query, variables, name, member.last)

    def rejoin(self, operation_id: str, query: str, variables: dict[str, Any], name: str | None, last: int) -> None:
        raise NotImplementedError


def _forget_handshake(websocket: Any) -> None:
    """uvicorn (websockets-sansio) keeps the handshake's request and response — two header sets,
    ~3 KiB — for the socket's whole life, though it reads them only until the handshake is done."""
    protocol = getattr(websocket.scope.get(SERVER_SEND), "__self__", None)
    if protocol is not None and getattr(protocol, "handshake_complete", False):
        for attribute in ("request", "response"):
            if hasattr(protocol, attribute):
                setattr(protocol, attribute, None)


def _credential(params: Any) -> str | None:
    from web.graphql_view import bearer  # the view imports this module

    raw = params.get("authorization") or params.get("Authorization") if isinstance(params, dict) else None
    return bearer(raw) if isinstance(raw, str) else None


def _id_json(operation_id: str) -> bytes:
    return orjson.dumps(operation_id)


class TransportWSHandler(_Registered, BaseGraphQLTransportWSHandler[Context, None]):
    def frame_prefix(self, operation_id: str) -> bytes:
        return b'{"id":' + _id_json(operation_id) + b',"type":"next","payload":'

    def error_message(self, operation_id: str, error: dict[str, Any]) -> dict[str, Any]:
        return {"id": operation_id, "type": "error", "payload": [error]}

    async def handle_subscribe(self, message: Any) -> None:
        if await self.rate_limited(message):
            return
        operation_id = self.joins_at_once(message, self.operations)
        if operation_id is not None:
            payload = message["payload"]
            operation = Operation(
                self, operation_id, payload["query"], payload.get("variables"), payload.get("operationName")
            )
            operation.task = self.done()  # type: ignore[assignment]
            self.operations[operation_id] = operation
            return
        await super().handle_subscribe(message)

    async def run_operation(self, operation: Operation[Context, None], resume_from: int | None = None) -> None:
        """strawberry's, with the subscription joining its cohort: a stream that ended with the
        subscription live sends no `complete`."""
        joining = self.joining(operation.id, operation.query, operation.variables, operation.operation_name)
        joining.resume_from = resume_from
        try:
            with cohorts.joining(joining):
                result_source = await self.schema.stream(
                    operation.query,
                    variable_values=operation.variables,
                    context_value=self.context,
                    root_value=self.root_value,
                    operation_name=operation.operation_name,
                )
                async with aclosing(result_source):
                    await self._send_result_stream(operation, result_source)
            if joining.member is not None and joining.member.active:
                return  # live in its cohort: the hub delivers from now on
            await operation.send_operation_message({"id": operation.id, "type": "complete"})
        except _OperationStreamClosed:
            return
        except Exception as error:  # pragma: no cover - as strawberry's
            await self.handle_task_exception(error)
            with suppress(Exception):
                await operation.send_operation_message({"id": operation.id, "type": "complete"})
            self.operations.pop(operation.id, None)
            raise

    async def cleanup_operation(self, operation_id: str) -> None:
        self.leave(operation_id)
        await super().cleanup_operation(operation_id)

    def rejoin(self, operation_id: str, query: str, variables: dict[str, Any], name: str | None, last: int) -> None:
        operation = self.operations.get(operation_id)
        if operation is None:
            return
        operation.task = asyncio.get_running_loop().create_task(self.run_operation(operation, resume_from=last))
        operation.task.add_done_callback(self._task_done)


class LegacyWSHandler(_Registered, BaseGraphQLWSHandler[Context, None]):
    def frame_prefix(self, operation_id: str) -> bytes:
        return b'{"type":"data","id":' + _id_json(operation_id) + b',"payload":'

    async def handle(self) -> None:
        try:
            await super().handle()
        finally:
            self.view.keep_alive_ticker().discard(self)  # type: ignore[attr-defined]

    async def handle_connection_init(self, message: Any) -> None:
        # strawberry would start a keep-alive task for this socket: the process's one ticker sends
        # `ka` instead (web/keep_alive.py).
        wanted, self.keep_alive = self.keep_alive, False
        try:
            await super().handle_connection_init(message)
        finally:
            self.keep_alive = wanted
        if wanted and self.connection_acknowledged:
            self.view.keep_alive_ticker().add(self, self.outbox().push)  # type: ignore[attr-defined]

    async def refuse(self, refused: Refused) -> None:
        await self.send_message({"type": "connection_error", "payload": {"message": refused.reason}})
        await self.websocket.close(code=refused.code, reason=refused.reason)

    def error_message(self, operation_id: str, error: dict[str, Any]) -> dict[str, Any]:
        return {"type": "error", "id": operation_id, "payload": error}

    async def handle_start(self, message: Any) -> None:
        if await self.rate_limited(message):
            return
        operation_id = self.joins_at_once(message, self.tasks)
        if operation_id is not None:
            self.tasks[operation_id] = self.done()  # type: ignore[assignment]
            return
        await super().handle_start(message)

    async def handle_async_results(
        self,
        operation_id: str,
        query: str,
        operation_name: str | None,
        variables: dict[str, object] | None,
        resume_from: int | None = None,
    ) -> None:
        """strawberry's, with the subscription joining its cohort: a stream that ended with the
        subscription live sends no `complete` and keeps its place in `tasks` (the subscription limit
        counts it; `stop` ends it)."""
        joining = self.joining(operation_id, query, variables, operation_name)
        joining.resume_from = resume_from
        live = False
        try:
            with cohorts.joining(joining):
                result_source = await self.schema.subscribe(
                    query=query,
                    variable_values=variables,
                    operation_name=operation_name,
                    context_value=self.context,
                    root_value=self.root_value,
                )
                self.subscriptions[operation_id] = result_source
                is_first_result = True
                async for result in result_source:
                    if is_first_result and isinstance(result, PreExecutionError):
                        assert result.errors
                        await self.send_message(
                            {"type": "error", "id": operation_id, "payload": result.errors[0].formatted}
                        )
                        return
                    await self.send_data_message(result, operation_id)
                    is_first_result = False
            if joining.member is not None and joining.member.active:
                live = True
                return
            await self.send_message({"type": "complete", "id": operation_id})
        except asyncio.CancelledError:
            await self.send_message({"type": "complete", "id": operation_id})
        finally:
            self.subscriptions.pop(operation_id, None)
            if not live:
                self.tasks.pop(operation_id, None)

    async def cleanup_operation(self, operation_id: str) -> None:
        live = operation_id in (self._members or {})
        self.leave(operation_id)
        task = self.tasks.get(operation_id)
        await super().cleanup_operation(operation_id)
        if live and task is not None and task.done():
            # strawberry answers `stop` with `complete` from the cancelled streaming task; a live
            # member has no such task, so it is said here.
            with suppress(Exception):
                await self.send_message({"type": "complete", "id": operation_id})

    def rejoin(self, operation_id: str, query: str, variables: dict[str, Any], name: str | None, last: int) -> None:
        if operation_id not in self.tasks:
            return
        self.tasks[operation_id] = asyncio.get_running_loop().create_task(
            self.handle_async_results(operation_id, query, name, variables, resume_from=last)
        )
