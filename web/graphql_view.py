"""The GraphQL endpoint: builds the typed Context, authenticates HTTP and WebSocket callers."""

from __future__ import annotations

import json
import logging
from collections.abc import MutableMapping
from typing import Any

import orjson
from cross_web import HTTPException
from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult
from strawberry.types.execution import PreExecutionError
from strawberry.types.unset import UNSET

from schema.compiled import executor as compiled_reads
from schema.context import AppServices, Context
from services import auth, i18n, outage, rate_limits
from services.access import Action, allowed
from services.negotiation import weighted
from services.realtime.connections import TOO_MANY_CONNECTIONS
from settings import Settings
from web import compiled_http, logging_setup, rate_limit
from web.keep_alive import KeepAlive
from web.ws import Refused
from web.ws_handlers import LegacyWSHandler, TransportWSHandler

log = logging.getLogger("tandem.web")


def bearer(value: str | None) -> str | None:
    if not value:
        return None
    scheme, _, credential = value.strip().partition(" ")
    return credential.strip() or None if scheme.lower() == "bearer" else None


def unavailable_response(request_id: str, retry_after: int) -> Response:
    """503 for a request refused before any GraphQL ran (its credential could not be checked)."""
    body = {"errors": [{"message": outage.MESSAGE, "extensions": {"code": outage.CODE, "requestId": request_id}}]}
    return Response(
        orjson.dumps(body), status_code=503, media_type="application/json", headers={"Retry-After": str(retry_after)}
    )


async def authenticate(services: AppServices, credential: str) -> Any:
    """Short transaction of its own: it may record an API key's use, which must commit."""
    async with services.db.sessions() as session, session.begin():
        return await auth.authenticate(session, services.tokens, credential, services.clock.now())


class TandemGraphQL(GraphQL[Context, None]):
    graphql_transport_ws_handler_class = TransportWSHandler
    graphql_ws_handler_class = LegacyWSHandler

    def __init__(self, services: AppServices | None, settings: Settings | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self._services = services
        # The app's settings, those its schema was built with (limits, executor); the services' own
        # settings may differ where a test builds an app over shared services.
        self.settings = settings
        self._keep_alive: KeepAlive | None = None

    def keep_alive_ticker(self) -> KeepAlive:
        """The legacy protocol's one keep-alive ticker for all of this app's sockets."""
        if self._keep_alive is None:
            self._keep_alive = KeepAlive(self.keep_alive_interval or 15)
        return self._keep_alive

    async def aclose(self) -> None:
        if self._keep_alive is not None:
            await self._keep_alive.aclose()

    @property
    def services(self) -> AppServices:
        """The app's services: given, or set by the app's lifespan when it builds its own."""
        if self._services is None:
            raise RuntimeError("the GraphQL view has no services before the app has started")
        return self._services

    @services.setter
    def services(self, services: AppServices) -> None:
        self._services = services

    def encode_json(self, data: object) -> str:
        # orjson: every HTTP response and every WebSocket message is encoded here, once per subscriber
        # per event, so it is on the fan-out's hot path. Text (not bytes) keeps WebSocket frames textual.
        try:
            return orjson.dumps(data).decode()
        except orjson.JSONEncodeError:
            # A lone surrogate a client sent (e.g. in operationName) echoed back in an error message:
            # orjson refuses it; the standard encoder escapes it as \udXXX, which is still valid JSON.
            return json.dumps(data, ensure_ascii=True, default=str)

    # --- GraphQL over HTTP: the response media type (tests/test_http_audit.py) ---
    # A client that accepts application/graphql-response+json gets it, and with it the status codes of
    # the GraphQL-over-HTTP spec: a request that fails before execution (parse or validation error,
    # variable coercion error, no operation to run) is answered 400 without a `data` entry. Everyone
    # else (application/json, */*, no Accept, or an Accept naming neither type: no 406) gets
    # application/json as before, where such failures are 200 with `"data": null`.
    GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
    APPLICATION_JSON = "application/json"
    _MEDIA_TYPES = (APPLICATION_JSON, GRAPHQL_RESPONSE_JSON)  # on a complete tie the first wins

    @classmethod
    def negotiate_media_type(cls, accept: str | None) -> str:
        """The media type to answer with (RFC 9110 content negotiation): each type takes the q-value of
        the most specific range that matches it (exact, then type/*, then */*); the highest q wins,
        then the more specific match, then the range listed first (`Accept: application/graphql-
        response+json, application/json` picks the former), then application/json (so `*/*` does)."""
        ranges: list[tuple[str, str, float, int]] = []
        for media_range, q, position in weighted(accept):  # a malformed q-value drops its range
            media_range = "*/*" if media_range == "*" else media_range.lower()
            kind, slash, subtype = media_range.partition("/")
            if kind and slash and subtype:
                ranges.append((kind, subtype, q, position))
        best, best_key = cls.APPLICATION_JSON, None
        for preference, candidate in enumerate(cls._MEDIA_TYPES):
            kind, subtype = candidate.split("/")
            specificity = {(kind, subtype): 2, (kind, "*"): 1, ("*", "*"): 0}
            matches = [(specificity[(k, s)], q, pos) for k, s, q, pos in ranges if (k, s) in specificity]
            if not matches:
                continue
            level, q, position = max(matches, key=lambda m: (m[0], -m[2]))
            key = (q, level, -position, -preference)
            if q > 0 and (best_key is None or key > best_key):
                best, best_key = candidate, key
        return best

    @staticmethod
    def failed_before_execution(result: ExecutionResult) -> bool:
        """Nothing was executed: parse and validation errors, variable coercion errors and refusals
        before execution carry no path, while every error raised during execution has its field's."""
        errors = result.errors or []
        return result.data is None and bool(errors) and all(e.path is None for e in errors)

    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        sub_response = await super().get_sub_response(request)
        # The negotiated type travels with the sub-response to create_response (Starlette has no slot for it).
        sub_response.graphql_media_type = self.negotiate_media_type(request.headers.get("accept"))  # type: ignore[attr-defined]
        request.state.graphql_sub_response = sub_response  # for process_result, which gets the request only
        return sub_response

    async def execute_single(
        self,
        request: Request,
        request_adapter: Any,
        sub_response: Response,
        context: Any,
        root_value: Any,
        request_data: Any,
    ) -> ExecutionResult:
        name = getattr(request_data, "operation_name", None)
        if name is not None and not (isinstance(name, str) and compiled_http.GRAPHQL_NAME.fullmatch(name)):
            # Refused before strawberry echoes it in a plain-text error: a lone surrogate there could not
            # even be encoded (an unhandled UnicodeEncodeError), and a name that no operation can have
            # needs no look-up.
            sub_response.status_code = 400
            return PreExecutionError(
                data=None,
                errors=[
                    GraphQLError("operationName is not a valid GraphQL name", extensions={"code": "BAD_USER_INPUT"})
                ],
            )
        if (record := logging_setup.current()) is not None:
            record.operation = logging_setup.operation_label(name, getattr(request_data, "query", None))
        # Reads that compile to one SQL statement are answered from it (schema/compiled), the rest by strawberry.
        if (compiled := await compiled_reads.for_view(self).execute(request_data, context)) is not None:
            return compiled
        try:
            return await super().execute_single(
                request=request,
                request_adapter=request_adapter,
                sub_response=sub_response,
                context=context,
                root_value=root_value,
                request_data=request_data,
            )
        except HTTPException as error:
            # No operation to run (none sent, an unknown operationName, several without a name, a
            # mutation over GET): strawberry's plain-text 400, or a GraphQL response with errors only.
            if getattr(sub_response, "graphql_media_type", None) != self.GRAPHQL_RESPONSE_JSON:
                raise
            sub_response.status_code = error.status_code
            return PreExecutionError(data=None, errors=[GraphQLError(error.reason)])

    async def process_result(self, request: Request, result: ExecutionResult) -> GraphQLHTTPResponse:
        response_data = await super().process_result(request, result)
        if (record := logging_setup.current()) is not None and isinstance(result, ExecutionResult):
            record.outcome = logging_setup.outcome_of(result.errors, self.failed_before_execution(result))
        sub_response = getattr(request.state, "graphql_sub_response", None) if isinstance(request, Request) else None
        if sub_response is None or getattr(sub_response, "graphql_media_type", None) != self.GRAPHQL_RESPONSE_JSON:
            return response_data
        if isinstance(result, ExecutionResult) and self.failed_before_execution(result):
            response_data.pop("data", None)
            if not sub_response.status_code:
                errors = result.errors or []
                internal = any((e.extensions or {}).get("code") == "INTERNAL_SERVER_ERROR" for e in errors)
                sub_response.status_code = 500 if internal else 400
        return response_data

    def create_response(self, response_data: Any, sub_response: Response) -> Response:
        response = super().create_response(response_data, sub_response)
        media_type = getattr(sub_response, "graphql_media_type", self.APPLICATION_JSON)
        if media_type != self.APPLICATION_JSON:
            response.headers["content-type"] = media_type
        response.headers.add_vary_header("Accept")  # the body and status depend on it
        return response

    async def run(self, request: Any, context: Any = UNSET, root_value: Any = UNSET) -> Any:
        if isinstance(request, WebSocket):
            return await super().run(request, context=context, root_value=root_value)
        credential = bearer(request.headers.get("authorization"))
        if (record := logging_setup.current()) is not None:
            record.operation = "unknown"  # until the operation is known: a request refused before still counts
        if (fast := await compiled_http.answer(self, request, credential)) is not None:
            return fast
        ctx = await self._http_context(request, credential)
        if record is not None:
            record.principal = ctx.principal
            if ctx.database_unavailable:
                record.outcome = outage.CODE.lower()
        settings = self.services.settings
        retry_after = settings.retry_after_seconds if settings else Settings.retry_after_seconds
        if ctx.database_unavailable:
            return unavailable_response(ctx.request_id, retry_after)
        media_type = self.negotiate_media_type(request.headers.get("accept"))
        limited = await rate_limit.refusal_response(self.services, request, ctx.principal, media_type)
        if limited is not None:
            await ctx.close()
            return limited  # an API key over its requests per minute: 429, nothing ran
        try:
            response = await super().run(request, context=ctx, root_value=root_value)
        finally:
            await ctx.close()
        if ctx.database_unavailable:
            # A resolver lost the database (the error mask set the flag): the body says so per
            # field; the status and Retry-After let clients and proxies back off and retry.
            response.status_code = 503
            response.headers["Retry-After"] = str(retry_after)
        return response

    async def _http_context(self, request: Request, credential: str | None) -> Context:
        ctx = Context(services=self.services, request=request, language=self.language_of(request.headers))
        if (reads := compiled_reads.for_view(self)).mode != "reference":
            ctx.compiled = reads
        ctx.request_id = request.scope.get("state", {}).get("request_id", ctx.request_id)
        if credential:
            try:
                ctx.principal = await self._principal_of(credential, request.scope)
            except Exception as exc:
                if not outage.is_database_unavailable(exc):
                    raise
                log.warning("database unreachable checking a credential (request %s): %r", ctx.request_id, exc)
                ctx.database_unavailable = True
                return ctx
            if ctx.principal is None:
                ctx.auth_error = i18n.T("invalid, expired or revoked credential")
        return ctx

    async def _principal_of(self, credential: str, counted: MutableMapping[str, Any] | None = None) -> Any:
        """Who `credential` is. A credential that authenticated before (schema/compiled/credentials.py)
        is checked by one autocommit statement, the stored rows against what was remembered; otherwise,
        or when they no longer agree, it is authenticated in full (its own transaction) and remembered."""
        reads = compiled_reads.for_view(self)
        now = self.services.clock.now()
        if reads.mode != "reference":
            known = reads.credentials.get(credential, now)
            if known is not None:
                # The same statement counts an API key's request (noted in `counted`: web/rate_limit.py).
                if await rate_limit.credential_holds(self.services, reads, known, now, counted):
                    return known.principal
                reads.credentials.forget(credential)  # deactivated, revoked, role changed: in full again
        principal = await authenticate(self.services, credential)
        if principal is not None and reads.mode != "reference":
            reads.credentials.remember(credential, principal, now, rate_limit.key_rate(self.services, principal))
        return principal

    async def get_context(self, request: Any, response: Any) -> Context:
        # Only WebSocket connections come here (HTTP builds its context in `run`); the principal is
        # set from `connection_init` in on_ws_connect.
        return Context(
            services=self.services, request=request, response=response, language=self.language_of(request.headers)
        )

    def language_of(self, headers: Any, asked: Any = None) -> str:
        """The caller's language: `asked` (connection_init's acceptLanguage) when it is a string, else the
        Accept-Language header; the configured default when neither names one we have."""
        settings = self.services.settings
        default = settings.default_language if settings else Settings.default_language
        value = asked if isinstance(asked, str) else headers.get("accept-language")
        return i18n.negotiate(value, default)

    async def on_ws_connect(self, context: Context) -> Any:
        params = context.connection_params or {}
        if isinstance(params, dict) and "acceptLanguage" in params:
            context.language = self.language_of(context.request.headers, params["acceptLanguage"])
        raw = params.get("authorization") or params.get("Authorization") if isinstance(params, dict) else None
        credential = bearer(raw) if isinstance(raw, str) else None
        try:
            # As for HTTP: a credential that authenticated before is re-checked by one statement
            # (10,000 wall boards reconnecting after a restart should not be 10,000 transactions).
            counted: dict[str, Any] = {}
            principal = await self._principal_of(credential, counted) if credential else None
            # connection_init counts as one request of an API key (services/rate_limits.py).
            refused = await rate_limit.refusal(self.services, principal, counted)
        except Exception as exc:
            if not outage.is_database_unavailable(exc):
                raise
            log.warning("database unreachable checking a WebSocket credential: %r", exc)
            raise Refused(1013, outage.MESSAGE) from exc  # 1013 "try again later"
        if principal is None:
            raise Refused(4401, 'unauthenticated: send {"authorization": "Bearer <token>"} in connection_init')
        if not allowed(principal, Action.SUBSCRIBE):
            raise Refused(4403, "forbidden: this credential may not subscribe")
        if refused is not None:
            raise Refused(TOO_MANY_CONNECTIONS, f"{rate_limits.CODE}: {refused.message}")
        context.principal = principal
        return None
