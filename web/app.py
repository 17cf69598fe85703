"""The ASGI application: GraphQL over HTTP and WebSocket, health probes, CORS, request ids."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import text
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute

from db.session import Database
from schema.compiled import executor as compiled_reads
from schema.context import AppServices
from schema.fanout import RENDERS
from schema.schema import build_schema
from services.auth import TokenService
from services.clock import SystemClock
from services.policy import Policy
from services.realtime.connections import ConnectionRegistry
from services.realtime.runtime import Realtime
from services.sla_watcher import SlaWatcher
from settings import Settings
from web import board
from web.body_limit import BodyLimitMiddleware
from web.export import endpoint as export_endpoint
from web.graphql_view import TandemGraphQL
from web.logging_setup import CURRENT, RequestRecord
from web.metrics import Metrics
from web.ws import TransportAbort, prepare_websocket

log = logging.getLogger("tandem.web")


def request_id_of(scope: dict) -> str:
    """A sane X-Request-ID a proxy sent, else a new one."""
    incoming = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")
    return incoming if incoming.isascii() and incoming.isalnum() and len(incoming) <= 64 else uuid.uuid4().hex[:16]


class TandemApp(Starlette):
    """Starlette, with the GraphQL WebSocket taken before the middleware stack. None of that stack
    applies to a WebSocket (request bodies, CORS and X-Request-ID headers are HTTP's), and each layer
    would keep a coroutine frame alive for as long as the socket stays open — days, for a wall board,
    ~5 KiB for each of ten thousand of them."""

    graphql_socket: Any = None
    open_sockets = 0  # GraphQL WebSockets open now (GET /metrics), before connection_init too

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket" and scope.get("path") == "/graphql" and self.graphql_socket is not None:
            scope["app"] = self
            request_id = scope.setdefault("state", {})["request_id"] = request_id_of(scope)
            prepare_websocket(scope, send)
            self.open_sockets += 1
            # The socket's log lines (and its operations' tasks, which copy the context) carry its id.
            token = CURRENT.set(RequestRecord(request_id))
            try:
                await self.graphql_socket(scope, receive, send)
            finally:
                CURRENT.reset(token)
                self.open_sockets -= 1
            return
        await super().__call__(scope, receive, send)


class RequestIdMiddleware:
    """Gives every request an id (or keeps a sane one sent by a proxy), echoed in X-Request-ID, so a
    masked error seen by a client can be found in the server log. Its RequestRecord (web/logging_setup.py)
    gives every log line of the request its fields; a GraphQL request's duration goes to GET /metrics."""

    def __init__(self, app, metrics: Metrics | None = None):
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        request_id = request_id_of(scope)
        scope.setdefault("state", {})["request_id"] = request_id
        record = RequestRecord(request_id)
        token = CURRENT.set(record)

        async def send_with_id(message):
            if message["type"] == "http.response.start":
                message.setdefault("headers", []).append((b"x-request-id", request_id.encode()))
                record.status = message["status"]
                if record.outcome is None and record.operation is not None:
                    record.outcome = "ok" if record.status < 400 else f"http_{record.status}"
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            CURRENT.reset(token)
            if self.metrics is not None and record.operation is not None:  # GraphQL over HTTP
                self.metrics.observe(record.operation, record.outcome or "error", record.elapsed)


def build_services(settings: Settings) -> AppServices:
    if not settings.database_url:
        raise RuntimeError("DATABASE_URL is not set (the CLI's `serve` starts an embedded PostgreSQL and sets it)")
    return AppServices(
        db=Database.connect(
            settings.database_url,
            reads_pool_size=settings.reads_pool_size,
            statement_timeout_ms=settings.statement_timeout_ms,
        ),
        clock=SystemClock(),
        tokens=TokenService(settings.resolved_secret_key(), timedelta(seconds=settings.token_ttl_seconds)),
        settings=settings,
        policy=Policy.from_settings(settings),
    )


def create_app(settings: Settings | None = None, services: AppServices | None = None) -> Starlette:
    settings = settings or (services.settings if services and services.settings else Settings.from_env())
    state: dict = {}
    metrics = Metrics(settings.metrics_token) if settings.metrics else None

    def current() -> AppServices:
        return state["services"]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        owned = services is None
        current_services = state["services"] = services or build_services(settings)
        graphql.services = current_services
        connections = ConnectionRegistry(
            per_user=settings.ws_connections_per_user, per_key=settings.ws_connections_per_key
        )
        realtime = Realtime.create(
            current_services.db.sessions,
            settings.broadcast_url,
            queue_size=settings.subscriber_queue,
            connections=connections,
        )
        await realtime.start()
        current_services.hub, current_services.announcer = realtime.hub, realtime
        # Every process runs a watcher; an advisory lock lets exactly one of them scan at a time.
        watcher = SlaWatcher(
            current_services.db.sessions,
            current_services.clock,
            realtime,
            interval=settings.sla_watch_interval,
            retention_days=settings.event_retention_days,
        )
        await watcher.start()
        if metrics is not None:
            metrics.live.hub, metrics.live.watcher, metrics.live.db = realtime.hub, watcher, current_services.db
        try:
            yield
        finally:
            await watcher.stop()
            await graphql.aclose()
            current_services.hub = current_services.announcer = None
            await realtime.stop()
            if owned:
                await current_services.db.dispose()

    graphql = TandemGraphQL(
        services=services,  # replaced in lifespan when the app builds its own
        settings=settings,
        schema=build_schema(production=not settings.is_development, settings=settings),
        graphql_ide="graphiql" if settings.is_development else None,
        keep_alive=True,
        keep_alive_interval=15,
        allowed_origins=settings.cors_origins,
        max_subscriptions_per_connection=settings.ws_subscriptions_per_connection,
        # A socket that never says who it is holds memory for nothing: 4408 after this long.
        connection_init_wait_timeout=timedelta(seconds=settings.ws_init_timeout),
    )

    async def healthz(request: Request) -> JSONResponse:
        hub = state.get("services") and state["services"].hub
        live = (
            {
                "subscribers": hub.subscriber_count,
                "cohorts": len(hub.cohorts.cohorts),
                "tasks": len(asyncio.all_tasks()),  # one per open WebSocket, plus the process's own few
                "eventPosition": hub.position,
                "connections": hub.connections.count if hub.connections else 0,
                "renders": RENDERS.renders,
                "sharedRenders": RENDERS.hits,
                "executions": dict(compiled_reads.COUNTS),  # compiled vs reference (schema/compiled)
            }
            if hub
            else {}
        )
        return JSONResponse({"status": "ok", **live})

    async def readyz(request: Request) -> JSONResponse:
        try:
            async with asyncio.timeout(2):
                async with current().db.engine.connect() as conn:
                    await conn.execute(text("SELECT 1"))
        except Exception as exc:  # noqa: BLE001  # any failure means "not ready"; say which, for the operator
            return JSONResponse({"status": "unavailable", "reason": type(exc).__name__}, status_code=503)
        return JSONResponse({"status": "ok"})

    # TransportAbort first: it needs the server's own `send` (web/ws.py).
    middleware = [Middleware(TransportAbort), Middleware(RequestIdMiddleware, metrics=metrics)]
    if settings.cors_origins:
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=list(settings.cors_origins),
                allow_methods=["GET", "POST", "OPTIONS"],
                allow_headers=["authorization", "content-type", "x-request-id"],
                expose_headers=["x-request-id"],
            )
        )
    # Innermost: its 413 still gets the request id and, for browsers, CORS headers.
    middleware.append(Middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes))
    app = TandemApp(
        routes=[
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Route("/export/{report}.csv", export_endpoint(current), methods=["GET"]),  # CSV for reporting tools
            *board.routes(),  # GET /board: the live ticket board page (web/board)
            # Not there at all (404) unless TANDEM_METRICS=1 or TANDEM_METRICS_TOKEN is set.
            *([Route("/metrics", metrics.endpoint)] if metrics is not None else []),
        ],
        middleware=middleware,
        lifespan=lifespan,
    )
    app.graphql_socket = graphql
    if metrics is not None:
        metrics.live.app = app
    if services is not None:
        state["services"] = services
    return app
