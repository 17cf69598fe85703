"""A WebSocket's outgoing data frames: written at once while the client keeps up, held in a bounded
byte buffer while it does not, and the connection cut off (4413) when that buffer is full.

The hub's cohorts (services/realtime/cohorts.py) push each member's frame here synchronously: no task
and no queue of Python objects per subscription. Under uvicorn's default WebSocket protocol
(websockets-sansio) the frame is handed straight to the protocol's sans-I/O connection and the
transport, exactly what uvicorn's own `send` does for a `websocket.send` once the transport is
writable — without the coroutine, the message dict and the text decoding/encoding round trip; with
no extension negotiated, the frame's two to ten header bytes are written here too. When
the transport has paused writing (its buffer above the high-water mark: the client is not reading),
frames wait here, in order, and one drain task (only while frames wait) sends them through the ASGI
`send` as the client takes them. Under any other server every frame takes that second way.

The bound: at most `max_frames` frames or `max_bytes` bytes waiting here, on top of the transport's
own buffer (its high-water mark, 64 KiB by default). Beyond it `on_overflow` runs once and everything
queued is dropped: the client resumes with its last cursor.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable
from typing import Any

log = logging.getLogger("tandem.ws")


def _sansio_protocol(send: Any) -> Any:
    """uvicorn's websockets-sansio protocol behind `send`, when that is what `send` is bound to."""
    protocol: Any = getattr(send, "__self__", None)
    if protocol is None:
        return None
    for attribute in ("conn", "transport", "writable", "close_sent", "disconnected"):
        if not hasattr(protocol, attribute):
            return None
    if not callable(getattr(protocol.conn, "send_text", None)):
        return None
    return protocol


def _raw_framing(protocol: Any) -> bool:
    """Whether this socket's text frames can be written as bytes here: a server side that negotiated
    no extension (permessage-deflate must compress each frame, so it keeps the library's way)."""
    try:
        from websockets.protocol import SERVER
    except ImportError:  # pragma: no cover - uvicorn's sans-I/O protocol needs websockets
        return False
    conn = protocol.conn
    return getattr(conn, "side", None) is SERVER and not getattr(conn, "extensions", True)


def _text_frame_head(length: int) -> bytes:
    """RFC 6455 5.2: FIN + text opcode, then the unmasked payload length (a server never masks)."""
    if length < 126:
        return bytes((0x81, length))
    if length < 1 << 16:
        return b"\x81\x7e" + length.to_bytes(2, "big")
    return b"\x81\x7f" + length.to_bytes(8, "big")


class Outbox:
    __slots__ = (
        "_bytes",
        "_direct",
        "_drain",
        "_open",
        "_pending",
        "_raw",
        "_send",
        "closed",
        "max_bytes",
        "max_frames",
        "on_overflow",
    )

    def __init__(self, send: Any, *, max_frames: int, max_bytes: int, on_overflow: Callable[[], None]):
        self._send = send
        self._direct = _sansio_protocol(send)
        self._raw = self._direct is not None and _raw_framing(self._direct)
        self._open: Any = None
        if self._raw:
            from websockets.protocol import OPEN

            self._open = OPEN
        self._pending: deque[bytes] | None = None  # made when first needed: ~0.7 KiB per idle socket otherwise
        self._bytes = 0
        self._drain: asyncio.Task[None] | None = None
        self.max_frames = max_frames
        self.max_bytes = max_bytes
        self.on_overflow = on_overflow
        self.closed = False

    @property
    def direct(self) -> bool:
        """Frames go straight to the transport while it is writable (uvicorn's websockets-sansio)."""
        return self._direct is not None

    @property
    def waiting(self) -> int:
        """Frames held back because the client is not reading."""
        return len(self._pending) if self._pending else 0

    def push(self, frame: bytes) -> None:
        if self.closed:
            return
        protocol = self._direct
        if (
            protocol is not None
            and not self._pending
            and protocol.writable.is_set()
            and not protocol.close_sent
            and not protocol.disconnected
        ):
            try:
                conn = protocol.conn
                if self._raw and conn.state is self._open and not conn.expect_continuation_frame:
                    # What conn.send_text + data_to_send produce for this frame, without the Frame
                    # object, its checks and its serializer: a fifth of a delivery's CPU otherwise.
                    protocol.transport.write(_text_frame_head(len(frame)) + frame)
                else:
                    conn.send_text(frame)
                    protocol.transport.write(b"".join(conn.data_to_send()))
            except Exception:  # noqa: BLE001 - closing under us (the client's close frame): nothing more goes out
                self.close()
            return
        if self._pending is None:
            self._pending = deque()
        self._pending.append(frame)
        self._bytes += len(frame)
        if len(self._pending) > self.max_frames or self._bytes > self.max_bytes:
            self.close()
            self.on_overflow()
            return
        if self._drain is None:
            self._drain = asyncio.get_running_loop().create_task(self._drain_pending(), name="tandem-outbox")

    def close(self) -> None:
        """Nothing more goes out (the connection is being closed); what waits is dropped."""
        self.closed = True
        self._pending = None
        self._bytes = 0

    async def _drain_pending(self) -> None:
        try:
            while self._pending and not self.closed:
                frame = self._pending[0]
                # uvicorn's send waits while the transport is paused: the client is reading again after it.
                await self._send({"type": "websocket.send", "text": frame.decode()})
                if self._pending and self._pending[0] is frame:
                    self._pending.popleft()
                    self._bytes -= len(frame)
            if not self.closed:
                self._pending = None
        except Exception:  # noqa: BLE001 - the connection is gone: its handler ends and releases it
            self.close()
        finally:
            self._drain = None

    async def aclose(self) -> None:
        """The connection ended: stop the drain task, if one runs."""
        self.close()
        task = self._drain
        if task is not None:
            task.cancel()
            with contextlib.suppress(BaseException):
                await task
