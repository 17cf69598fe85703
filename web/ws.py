"""Closing WebSockets the way OPERATIONS.md promises, whatever the client does: `Refused` (a close code
and reason for a refused connection_init), `close_socket` (the close frame when the client can take
it, the TCP connection dropped after a grace period regardless) and the `TransportAbort` middleware
that makes the drop possible. The protocol handlers are in web/ws_handlers.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import struct
from typing import Any

log = logging.getLogger("tandem.ws")

DEFAULT_GRACE = 5.0  # seconds, when the app runs without settings
ABORT_TRANSPORT = "tandem.abort_transport"  # scope key: a callable that drops the TCP connection
SERVER_SEND = "tandem.server_send"  # scope key: the server's own `send`, before any middleware wrapped it


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
            prepare_websocket(scope, send)
        await self.app(scope, receive, send)


def prepare_websocket(scope: dict, send: Any) -> None:
    """Keep the server's own `send` on the scope (data frames go straight to it: web/outbox.py) and
    the hook that drops the TCP connection."""
    scope[SERVER_SEND] = send
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if transport is not None and callable(getattr(transport, "abort", None)):
        scope[ABORT_TRANSPORT] = lambda: _abort(transport)


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
