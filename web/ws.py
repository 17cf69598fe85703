"""WebSocket protocol handlers that close refused connections with the codes OPERATIONS.md promises:
4401 for a missing or bad credential, 4403 for one that may not subscribe (strawberry uses 4403
for every refusal on graphql-transport-ws, and 1011 on the legacy graphql-ws), 4429 for a credential
that already holds its cap of sockets on this process.

Once its credential is accepted, each socket is registered in the process's ConnectionRegistry
(services/realtime/connections.py), which closes it when the credential is revoked or expires and
re-scopes it when the person's role changes. Sockets closed by the server (those, and subscribers too
slow to keep up) get their close frame when they can take it and lose their TCP connection after a
grace period regardless (`close_socket`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import struct
from typing import Any

from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler

from schema.context import Context
from services.auth import API_KEY_PREFIX
from services.realtime.connections import TOO_MANY_CONNECTIONS, Connection, TooManyConnections

log = logging.getLogger("tandem.ws")

DEFAULT_GRACE = 5.0  # seconds, when the app runs without settings
ABORT_TRANSPORT = "tandem.abort_transport"  # scope key: a callable that drops the TCP connection


class Refused(Exception):
    """Raised by on_ws_connect; deliberately not a ConnectionRejectionError, whose code is fixed."""

    def __init__(self, code: int, reason: str):
        super().__init__(reason)
        self.code = code
        self.reason = reason


# --- Closing a socket whose client may have stopped reading ---


class TransportAbort:
    """ASGI middleware, outermost: gives each WebSocket scope a way to drop its TCP connection.

    ASGI can only ask for a close frame. uvicorn (websockets-sansio and wsproto alike) writes it only
    once the transport is writable again, which for a client that stopped reading is never; and its
    transport's close() waits for the buffered bytes to drain first, so the connection and its send
    queue would stay forever. The `send` uvicorn hands the app is its protocol's bound method, whose
    `transport` can abort. Under another server (or a wrapping `send`) there is no hook, and closes
    are only bounded in time (see `_close`)."""

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket":
            transport = getattr(getattr(send, "__self__", None), "transport", None)
            if transport is not None and callable(getattr(transport, "abort", None)):
                scope[ABORT_TRANSPORT] = lambda: _abort(transport)
        await self.app(scope, receive, send)


def _abort(transport: Any) -> None:
    if transport.is_closing() and not transport.get_write_buffer_size():
        return  # closed, or closing with nothing left to send: it ends on its own
    sock = transport.get_extra_info("socket")
    if sock is not None:
        # Reset rather than FIN: the kernel drops the unsent bytes at once instead of retrying them
        # for minutes against the client's zero window.
        with contextlib.suppress(OSError, ValueError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


_closing: set[asyncio.Task] = set()  # keeps close tasks referenced until done


def close_socket(websocket: Any, code: int, reason: str, grace: float) -> None:
    """Close a (Starlette) WebSocket from outside its handler — the hub's reader, a timer — without
    waiting: the close frame goes out as soon as the client can take it, and after `grace` seconds
    the TCP connection is dropped whether it did or not."""
    task = asyncio.get_running_loop().create_task(_close(websocket, code, reason, grace))
    _closing.add(task)
    task.add_done_callback(_closing.discard)


async def _close(websocket: Any, code: int, reason: str, grace: float) -> None:
    abort = websocket.scope.get(ABORT_TRANSPORT)
    if abort is not None:
        # A no-op for a connection that closed cleanly within the grace (see `_abort`).
        asyncio.get_running_loop().call_later(grace, abort)
    # uvicorn's send of the close waits while the client's buffers are full; the abort ends that
    # wait (the send fails). The timeout only matters without the abort hook.
    with contextlib.suppress(Exception):
        async with asyncio.timeout(grace + 1):
            await websocket.close(code=code, reason=reason)


# --- The handlers ---


class _Registered:
    """Both protocols: admit the socket against its credential's cap when connection_init succeeded
    (just before the ack, so a refused socket is never acknowledged), register it for revocation,
    and release it when the socket ends."""

    connection: Connection | None = None
    _seen_up_to: int | None = None

    async def handle(self) -> None:
        try:
            await super().handle()  # type: ignore[misc]
        finally:
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
        settings = services.settings
        grace = settings.slow_subscriber_grace if settings is not None else DEFAULT_GRACE
        websocket = context.request
        try:
            self.connection = registry.admit(
                context,
                closer=lambda code, reason: close_socket(websocket, code, reason, grace),
                generation=generation,
                expires_at=expires_at,
                now=now,
                seen_up_to=self._seen_up_to,
            )
        except TooManyConnections as exc:
            raise Refused(TOO_MANY_CONNECTIONS, str(exc)) from None

    def _release(self) -> None:
        if self.connection is not None:
            registry = getattr(self.view.services.hub, "connections", None)  # type: ignore[attr-defined]
            if registry is not None:
                registry.release(self.connection)
            self.connection = None


def _credential(params: Any) -> str | None:
    from web.graphql_view import bearer  # the view imports this module

    raw = params.get("authorization") or params.get("Authorization") if isinstance(params, dict) else None
    return bearer(raw) if isinstance(raw, str) else None


class TransportWSHandler(_Registered, BaseGraphQLTransportWSHandler[Context, None]):
    pass


class LegacyWSHandler(_Registered, BaseGraphQLWSHandler[Context, None]):
    async def refuse(self, refused: Refused) -> None:
        await self.send_message({"type": "connection_error", "payload": {"message": refused.reason}})
        await self.websocket.close(code=refused.code, reason=refused.reason)
