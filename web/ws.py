"""WebSocket protocol handlers that close refused connections with the codes OPERATIONS.md promises:
4401 for a missing or bad credential, 4403 for one that may not subscribe (strawberry uses 4403
for every refusal on graphql-transport-ws, and 1011 on the legacy graphql-ws)."""
from __future__ import annotations

from typing import Any

from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler


class Refused(Exception):
    """Raised by on_ws_connect; deliberately not a ConnectionRejectionError, whose code is fixed."""

    def __init__(self, code: int, reason: str):
        super().__init__(reason)
        self.code = code
        self.reason = reason


class TransportWSHandler(BaseGraphQLTransportWSHandler):
    async def handle_connection_init(self, message: Any) -> None:
        try:
            await super().handle_connection_init(message)
        except Refused as refused:
            await self.websocket.close(code=refused.code, reason=refused.reason)


class LegacyWSHandler(BaseGraphQLWSHandler):
    async def handle_connection_init(self, message: Any) -> None:
        try:
            await super().handle_connection_init(message)
        except Refused as refused:
            await self.send_message({"type": "connection_error", "payload": {"message": refused.reason}})
            await self.websocket.close(code=refused.code, reason=refused.reason)
