"""The GraphQL endpoint: builds the typed Context, authenticates HTTP and WebSocket callers."""
from __future__ import annotations

import logging
from typing import Any

import orjson

from starlette.requests import Request
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.types.unset import UNSET

from schema.context import AppServices, Context
from services import auth
from services.access import Action, allowed
from web.ws import LegacyWSHandler, Refused, TransportWSHandler

log = logging.getLogger("tandem.web")


def bearer(value: str | None) -> str | None:
    if not value:
        return None
    scheme, _, credential = value.strip().partition(" ")
    return credential.strip() or None if scheme.lower() == "bearer" else None


async def authenticate(services: AppServices, credential: str) -> Any:
    """Short transaction of its own: it may record an API key's use, which must commit."""
    async with services.db.sessions() as session, session.begin():
        return await auth.authenticate(session, services.tokens, credential, services.clock.now())


class TandemGraphQL(GraphQL):
    graphql_transport_ws_handler_class = TransportWSHandler
    graphql_ws_handler_class = LegacyWSHandler

    def __init__(self, services: AppServices, **kwargs: Any):
        super().__init__(**kwargs)
        self.services = services

    def encode_json(self, data: object) -> str:
        # orjson: every HTTP response and every WebSocket message is encoded here, once per subscriber
        # per event, so it is on the fan-out's hot path. Text (not bytes) keeps WebSocket frames textual.
        return orjson.dumps(data).decode()

    async def run(self, request: Any, context: Any = UNSET, root_value: Any = UNSET) -> Any:
        if isinstance(request, WebSocket):
            return await super().run(request, context=context, root_value=root_value)
        ctx = await self._http_context(request)
        try:
            return await super().run(request, context=ctx, root_value=root_value)
        finally:
            await ctx.close()

    async def _http_context(self, request: Request) -> Context:
        ctx = Context(services=self.services, request=request)
        ctx.request_id = request.scope.get("state", {}).get("request_id", ctx.request_id)
        credential = bearer(request.headers.get("authorization"))
        if credential:
            ctx.principal = await authenticate(self.services, credential)
            if ctx.principal is None:
                ctx.auth_error = "invalid, expired or revoked credential"
        return ctx

    async def get_context(self, request: Any, response: Any) -> Context:
        # Only WebSocket connections come here (HTTP builds its context in `run`); the principal is
        # set from `connection_init` in on_ws_connect.
        return Context(services=self.services, request=request, response=response)

    async def on_ws_connect(self, context: Context) -> Any:
        params = context.connection_params or {}
        raw = params.get("authorization") or params.get("Authorization") if isinstance(params, dict) else None
        credential = bearer(raw) if isinstance(raw, str) else None
        principal = await authenticate(self.services, credential) if credential else None
        if principal is None:
            raise Refused(4401, "unauthenticated: send {\"authorization\": \"Bearer <token>\"} in connection_init")
        if not allowed(principal, Action.SUBSCRIBE):
            raise Refused(4403, "forbidden: this credential may not subscribe")
        context.principal = principal
        return None
