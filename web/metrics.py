"""`GET /metrics`: Prometheus text format, from the official client (prometheus-client).

Off unless `TANDEM_METRICS=1` or `TANDEM_METRICS_TOKEN` is set (OPERATIONS.md); with a token, the scrape
must send `Authorization: Bearer <token>` (401 otherwise); off, the path does not exist (404) and no
request pays for any of it.

Two kinds of figures:
- Per request, on the hot path: one histogram observation per GraphQL request over HTTP (operation,
  outcome). The labelled child is looked up once per (operation, outcome) and kept, so a request costs a
  dict look-up and the client's own `observe` (a lock and a few additions): no allocation of ours.
- Everything else is read at scrape time from counters the code keeps anyway (compiled-vs-reference
  executions, the hub's position and subscribers, the connection registry, renders, the SLA watcher,
  the database pools): a custom collector, so nothing is counted twice and nothing costs until scraped.

Each registry is the app's own (not the client's global one): tests build many apps in one process.
With `serve --workers N` every worker is a process of its own and answers the scrapes that reach it with
its own figures (README "Operations").
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from schema.compiled import executor as compiled_reads
from services.realtime.cohorts import RENDERS

# Seconds; finer at the low end, where the compiled reads answer (a few milliseconds).
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# Operation names are the client's to choose: past this many (operation, outcome) series, new names
# are counted as "_other", so a client inventing names cannot grow the server's memory or the scrape.
MAX_SERIES = 500


class Live(Collector):
    """Figures read from the running app at scrape time; web/app.py's lifespan sets the parts."""

    def __init__(self) -> None:
        self.hub: Any = None  # services.realtime.hub.EventHub
        self.watcher: Any = None  # services.sla_watcher.SlaWatcher
        self.db: Any = None  # db.session.Database
        self.app: Any = None  # web.app.TandemApp (open_sockets)

    def collect(self) -> Iterator[Metric]:
        executions = CounterMetricFamily(
            "tandem_graphql_executions",
            "GraphQL operations answered per read executor (schema/compiled; as GET /healthz executions)",
            labels=["executor"],
        )
        executions.add_metric(["compiled"], compiled_reads.COUNTS["compiled"])
        executions.add_metric(["reference"], compiled_reads.COUNTS["reference"])
        yield executions
        yield CounterMetricFamily(
            "tandem_compiled_comparisons",
            "operations run by both executors (TANDEM_READ_EXECUTOR=compare)",
            compiled_reads.COUNTS["compared"],
        )
        yield CounterMetricFamily(
            "tandem_compiled_mismatches",
            "compared operations whose two answers differed (each is an ERROR log)",
            compiled_reads.COUNTS["mismatches"],
        )
        yield CounterMetricFamily(
            "tandem_subscription_renders", "events rendered for a cohort of subscriptions", RENDERS.renders
        )
        yield CounterMetricFamily(
            "tandem_subscription_shared_renders",
            "deliveries that reused another subscriber's rendering of the same event",
            RENDERS.hits,
        )
        if self.app is not None:
            yield GaugeMetricFamily(
                "tandem_websockets_open", "open WebSockets, before connection_init too", self.app.open_sockets
            )
        if (hub := self.hub) is not None:
            yield from self._hub(hub)
        if (watcher := self.watcher) is not None:
            yield from self._watcher(watcher)
        if (db := self.db) is not None:
            yield from self._pools(db)

    @staticmethod
    def _hub(hub: Any) -> Iterator[Metric]:
        connections = hub.connections.count if hub.connections is not None else 0
        yield GaugeMetricFamily(
            "tandem_websocket_connections",
            "authenticated WebSocket connections (connection_init accepted)",
            connections,
        )
        yield GaugeMetricFamily("tandem_subscriptions", "live subscriptions in this process", hub.subscriber_count)
        newest = max(hub.newest, hub.position)
        yield GaugeMetricFamily("tandem_event_log_newest_id", "newest event id committed, as far as known", newest)
        yield GaugeMetricFamily(
            "tandem_event_log_delivered_id", "id of the last event read and handed to subscribers", hub.position
        )
        yield GaugeMetricFamily(
            "tandem_event_log_lag",
            "events committed but not yet handed to subscribers (newest id - delivered id)",
            newest - hub.position,
        )
        yield CounterMetricFamily(
            "tandem_events_dispatched", "events read from the log and offered to subscribers", hub.dispatched
        )

    @staticmethod
    def _watcher(watcher: Any) -> Iterator[Metric]:
        scans = CounterMetricFamily("tandem_sla_scans", "SLA watcher scans by result", labels=["result"])
        scans.add_metric(["ok"], watcher.scans)
        scans.add_metric(["failed"], watcher.scan_failures)
        yield scans
        yield CounterMetricFamily(
            "tandem_sla_announcements", "SLA clock instances announced (due soon, breached, …)", watcher.announced
        )
        yield GaugeMetricFamily(
            "tandem_sla_watcher_leader", "1 while this process holds the watcher lock", int(watcher.is_leader)
        )
        if watcher.last_scan is not None:
            yield GaugeMetricFamily(
                "tandem_sla_last_scan_timestamp_seconds", "when this process last finished a scan", watcher.last_scan
            )

    @staticmethod
    def _pools(db: Any) -> Iterator[Metric]:
        in_use = GaugeMetricFamily("tandem_db_pool_in_use", "connections checked out of the pool", labels=["pool"])
        idle = GaugeMetricFamily("tandem_db_pool_idle", "connections open and idle in the pool", labels=["pool"])
        size = GaugeMetricFamily("tandem_db_pool_size", "connections the pool keeps (before overflow)", labels=["pool"])
        for name, engine in (("main", db.engine), ("reads", db.reads_engine)):
            if engine is None:
                continue
            pool = engine.pool
            in_use.add_metric([name], pool.checkedout())
            idle.add_metric([name], pool.checkedin())
            size.add_metric([name], pool.size())
        yield from (in_use, idle, size)


class Metrics:
    def __init__(self, token: str | None = None) -> None:
        self.token = token.encode() if token else None
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Histogram(
            "tandem_request_duration_seconds",
            "GraphQL requests over HTTP by operation name and outcome (ok or the error code); _count counts them",
            ("operation", "outcome"),
            buckets=BUCKETS,
            registry=self.registry,
        )
        self._children: dict[tuple[str, str], Any] = {}
        self.live = Live()
        self.registry.register(self.live)
        ProcessCollector(registry=self.registry)  # memory, CPU, open files of this process
        PlatformCollector(registry=self.registry)
        GCCollector(registry=self.registry)

    def observe(self, operation: str, outcome: str, seconds: float) -> None:
        child = self._children.get((operation, outcome))
        if child is None:
            child = self._child(operation, outcome)
        child.observe(seconds)

    def _child(self, operation: str, outcome: str) -> Any:
        if len(self._children) >= MAX_SERIES:
            operation = "_other"
            if (found := self._children.get((operation, outcome))) is not None:
                return found
        child = self._children[(operation, outcome)] = self.requests.labels(operation, outcome)
        return child

    async def endpoint(self, request: Request) -> Response:
        if self.token is not None:
            sent = request.headers.get("authorization", "")
            scheme, _, credential = sent.strip().partition(" ")
            if scheme.lower() != "bearer" or not hmac.compare_digest(credential.strip().encode(), self.token):
                return PlainTextResponse(
                    "metrics token required", status_code=401, headers={"WWW-Authenticate": "Bearer"}
                )
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)
