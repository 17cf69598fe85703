"""Refuses HTTP request bodies over `settings.max_body_bytes` with 413 while reading them.

Without it anyone could make the server buffer a body of any size before parsing (five 100 MB
posts took a server from 711 MB to 1.6 GB). A declared Content-Length over the limit is refused
before a byte is read; a chunked body is counted as it arrives and refused as soon as it passes
the limit, so at most the limit plus one chunk is ever held. WebSocket messages have the same
limit in uvicorn (`ws_max_size`, close 1009), set by `main.py serve`.
"""

from __future__ import annotations

import asyncio
import contextlib

import orjson

# After a 413 the client is usually still sending (most clients send the whole body before they
# read). Closing with unread data makes the kernel send a reset, which can destroy the 413 before
# the client reads it; so the rest is read and thrown away (nothing is kept) before closing, for
# at most this long: a client that goes on sending after that is cut off.
LINGER_SECONDS = 5.0


class BodyTooLarge(Exception):
    """Raised out of `receive` into the app, which stops reading; turned into the 413 here."""


class BodyLimitMiddleware:
    def __init__(self, app, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = scope.get("headers") or ()
        declared = _content_length(headers)
        if declared is not None and declared > self.max_bytes:
            # With `Expect: 100-continue` the client waits for our answer and never sends the body.
            expects = any(n == b"expect" and v.lower() == b"100-continue" for n, v in headers)
            return await self._refuse(receive, send, body_pending=not expects)

        received = 0
        body_pending = True
        response_started = False

        async def counting_receive():
            nonlocal received, body_pending
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                body_pending = message.get("more_body", False)
                if received > self.max_bytes:
                    raise BodyTooLarge()
            else:
                body_pending = False
            return message

        async def tracking_send(message):
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if response_started:  # an app that answers before reading its body: nothing left to fix
                raise
            await self._refuse(receive, send, body_pending=body_pending)

    async def _refuse(self, receive, send, *, body_pending: bool) -> None:
        body = orjson.dumps(
            {
                "errors": [
                    {
                        "message": f"request body larger than {self.max_bytes} bytes",
                        "extensions": {"code": "PAYLOAD_TOO_LARGE"},
                    }
                ]
            }
        )
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),  # never read another request after an unread body
                ],
            }
        )
        # The whole response goes out now; the connection stays open only while we drain.
        await send({"type": "http.response.body", "body": body, "more_body": True})
        if body_pending:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(LINGER_SECONDS):
                    while True:
                        message = await receive()
                        if message["type"] != "http.request" or not message.get("more_body", False):
                            break
        await send({"type": "http.response.body", "body": b""})


def _content_length(headers) -> int | None:
    for name, value in headers:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the HTTP server refuses malformed framing itself
    return None
