"""A minimal WebSocket client (RFC 6455) for the fan-out benchmark's subscribers: cheap enough per
received frame that tens of thousands of deliveries a second fit beside the server on one machine.

The `websockets` library costs the load client ~70 µs of CPU per received message (a task hop per
message, UTF-8 validation, a queue): at 30,000 deliveries/s the client alone would need two cores,
and the measurement would show the client, not the server. Here an `asyncio.Protocol` splits the
bytes of each read into frames in one loop and hands each text payload (bytes, not decoded) to a
callback with one clock reading per read. It speaks only what a subscriber needs: the opening
handshake with a subprotocol, masked text frames out, unmasked text/close/ping frames in (with
fragmentation), pong, close. No compression, no TLS.
"""

from __future__ import annotations

import asyncio
import base64
import os
import time
from collections.abc import Callable
from urllib.parse import urlsplit

_TEXT, _CLOSE, _PING, _PONG, _CONTINUATION = 0x1, 0x8, 0x9, 0xA, 0x0


def _frame(opcode: int, payload: bytes) -> bytes:
    """A client frame: FIN set, masked (RFC 6455 5.3: every client frame is)."""
    mask = os.urandom(4)
    length = len(payload)
    if length < 126:
        head = bytes((0x80 | opcode, 0x80 | length))
    elif length < 1 << 16:
        head = bytes((0x80 | opcode, 0x80 | 126)) + length.to_bytes(2, "big")
    else:
        head = bytes((0x80 | opcode, 0x80 | 127)) + length.to_bytes(8, "big")
    repeated = (mask * (length // 4 + 1))[:length]
    masked = (int.from_bytes(payload, "big") ^ int.from_bytes(repeated, "big")).to_bytes(length, "big")
    return head + mask + masked


class RawWebSocket(asyncio.Protocol):
    """One client connection. `on_text(payload, received_at)` runs for every text message."""

    def __init__(self, on_text: Callable[[bytes, float], None]):
        self.on_text = on_text
        self.transport: asyncio.Transport | None = None
        self.close_code: int | None = None
        self._buffer = bytearray()
        self._handshaking = True
        self._fragments: list[bytes] | None = None
        self._opened: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    @classmethod
    async def connect(
        cls, url: str, subprotocol: str, on_text: Callable[[bytes, float], None], timeout: float = 60
    ) -> RawWebSocket:
        parts = urlsplit(url)
        host, port = parts.hostname or "127.0.0.1", parts.port or 80
        loop = asyncio.get_running_loop()
        async with asyncio.timeout(timeout):
            _, protocol = await loop.create_connection(lambda: cls(on_text), host, port)
            key = base64.b64encode(os.urandom(16)).decode()
            request = (
                f"GET {parts.path or '/'} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                f"Sec-WebSocket-Protocol: {subprotocol}\r\n\r\n"
            )
            assert protocol.transport is not None
            protocol.transport.write(request.encode())
            await protocol._opened
        return protocol

    def send_text(self, text: str | bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(_frame(_TEXT, text.encode() if isinstance(text, str) else text))

    def close(self, code: int = 1000) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(_frame(_CLOSE, code.to_bytes(2, "big")))
            self.transport.close()

    # --- asyncio.Protocol ---

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def connection_lost(self, exc: Exception | None) -> None:
        if self.close_code is None:
            self.close_code = 1006  # no close frame: the connection dropped
        if not self._opened.done():
            self._opened.set_exception(ConnectionError(f"connection lost during the handshake: {exc}"))
        if not self.closed.done():
            self.closed.set_result(None)

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer
        buffer += data
        if self._handshaking:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(buffer[:end])
            del buffer[: end + 4]
            self._handshaking = False
            if not head.startswith(b"HTTP/1.1 101"):
                self._opened.set_exception(ConnectionError(head.split(b"\r\n", 1)[0].decode(errors="replace")))
                assert self.transport is not None
                self.transport.close()
                return
            self._opened.set_result(None)
        self._frames(time.time())

    def _frames(self, now: float) -> None:
        buffer = self._buffer
        size = len(buffer)
        position = 0
        while size - position >= 2:
            first, second = buffer[position], buffer[position + 1]
            length = second & 0x7F
            head = 2
            if length == 126:
                if size - position < 4:
                    break
                length = int.from_bytes(buffer[position + 2 : position + 4], "big")
                head = 4
            elif length == 127:
                if size - position < 10:
                    break
                length = int.from_bytes(buffer[position + 2 : position + 10], "big")
                head = 10
            if second & 0x80:
                raise ConnectionError("a server frame is masked (RFC 6455 5.1 forbids it)")
            end = position + head + length
            if end > size:
                break
            payload = bytes(buffer[position + head : end])
            position = end
            opcode = first & 0x0F
            if opcode in (_TEXT, _CONTINUATION):
                if not first & 0x80:  # not the last fragment
                    self._fragments = [*(self._fragments or ()), payload]
                    continue
                if self._fragments is not None:
                    payload, self._fragments = b"".join([*self._fragments, payload]), None
                self.on_text(payload, now)
            elif opcode == _PING:
                assert self.transport is not None
                self.transport.write(_frame(_PONG, payload))
            elif opcode == _CLOSE:
                self.close_code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else 1005
                self.close(self.close_code if self.close_code not in (1005, 1006) else 1000)
                break
        del buffer[:position]
