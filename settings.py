"""Runtime configuration, read once from the environment (see OPERATIONS.md)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from services.i18n import supported


@dataclass(frozen=True)
class Settings:
    database_url: str | None
    broadcast_url: str
    env: str
    data_dir: Path
    cors_origins: tuple[str, ...]
    secret_key: str | None = None
    token_ttl_seconds: int = 12 * 3600
    event_retention_days: int = 30
    subscriber_queue: int = 1000  # events buffered per subscriber before it is cut off as too slow
    sla_watch_interval: float = 15.0  # seconds between SLA scans (and leadership attempts)
    # --- Limits (README "Configuration"; OPERATIONS.md "Limits"). Nothing an anonymous caller sends
    # may cost more than these bound. ---
    max_body_bytes: int = 1024 * 1024  # HTTP request bodies and WebSocket messages (413 / close 1009)
    max_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 5000
    max_directives: int = 50
    max_query_cost: int = 50_000  # estimated from `first` x nesting before execution
    max_string_length: int = (
        20_000  # any other string input; the services accept 20,000-character descriptions and comments
    )
    max_search_length: int = 200  # search terms
    max_name_length: int = 320  # names, subjects, titles, emails (the services accept 320), keys, passwords
    max_list_length: int = 100  # any list input (ids, filter values, items)
    statement_timeout_ms: int = 10_000  # per SQL statement of a request; a refused request says so
    ws_connections_per_user: int = 10  # open WebSockets per person (4429 beyond)
    ws_connections_per_key: int = 50  # open WebSockets per API key: many wall screens may share one
    ws_subscriptions_per_connection: int = 20
    ws_init_timeout: float = 10.0  # seconds a WebSocket may stay open without connection_init (then 4408)
    slow_subscriber_grace: float = 5.0  # seconds a too-slow subscriber has to take its 4413 before abort
    # Bytes a WebSocket may hold back while its client does not read (on top of the transport's own
    # 64 KiB), with at most `subscriber_queue` frames; beyond either it is closed with 4413.
    ws_buffer_bytes: int = 1024 * 1024
    login_failures_per_account: int = 5  # failed sign-ins per (account, client address) before back-off
    login_failures_per_address: int = 50  # failed sign-ins per client address (any account) before back-off
    retry_after_seconds: int = 5  # Retry-After of a 503 while the database is unreachable
    # Requests per API key per window (services/rate_limits.py), by the key's scope; people are not limited.
    # Every request over HTTP, a WebSocket's connection_init and each subscribe count; counted in PostgreSQL.
    rate_limit_reporting: int = 120
    rate_limit_board: int = 600  # one board key serves many wall screens, each subscribing on (re)connect
    rate_limit_window_seconds: int = 60
    # Query execution (schema/compiled): `compiled`, `reference` (strawberry only) or `compare` (both run,
    # the reference answers, a difference is an error: the test suite runs this way).
    read_executor: str = "compiled"
    # Connections of the compiled reads' pool (db/session.py). Few on purpose: a read costs PostgreSQL
    # ~0.5 ms of CPU, so more statements in flight than its CPUs can run only queue in the kernel's
    # scheduler, beside this process, instead of in the pool's first-come-first-served queue (on two
    # CPUs, 8 instead of 20 took the customer list's p99 from 107-125 ms to 65-70 ms at the same req/s).
    reads_pool_size: int = 8
    # Feedback scored 1 or 2 opens an action item due this many hours later (DOMAIN.md: 3 days).
    feedback_action_due_hours: int = 72
    # Operations (web/metrics.py, web/logging_setup.py): GET /metrics on or off, the token a scrape must
    # send (setting one turns metrics on), and `text` or `json` logs (json by default in production).
    metrics: bool = False
    metrics_token: str | None = None
    log_format: str = "text"
    # The company's time zone (IANA name): where kpiSeries's days, weeks and months begin and end.
    time_zone: str = "Asia/Shanghai"
    # The language of user-facing text when Accept-Language (or connection_init's acceptLanguage) names
    # none we have: en, zh-Hans or zh-Hant (services/i18n.py).
    default_language: str = "en"
    # Rows of one CSV export of tickets (GET /export/tickets.csv, web/export.py): a larger period is refused
    # with 400 before the first byte, so an export is never cut off silently.
    max_export_rows: int = 100_000

    @property
    def is_development(self) -> bool:
        return self.env != "production"

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        mode = env.get("TANDEM_ENV", "development").strip().lower()
        if mode not in ("development", "production"):
            raise ValueError(f"TANDEM_ENV must be 'development' or 'production', not {mode!r}")
        origins = tuple(o.strip() for o in env.get("TANDEM_CORS_ORIGINS", "").split(",") if o.strip())
        read_executor = env.get("TANDEM_READ_EXECUTOR", "compiled").strip().lower() or "compiled"
        log_format = env.get("TANDEM_LOG_FORMAT", "").strip().lower() or ("json" if mode == "production" else "text")
        if log_format not in ("text", "json"):
            raise ValueError(f"TANDEM_LOG_FORMAT must be text or json, not {log_format!r}")
        metrics_token = env.get("TANDEM_METRICS_TOKEN", "").strip() or None
        if read_executor not in ("compiled", "reference", "compare"):
            raise ValueError(f"TANDEM_READ_EXECUTOR must be compiled, reference or compare, not {read_executor!r}")
        return cls(
            database_url=env.get("DATABASE_URL") or None,
            broadcast_url=env.get("BROADCAST_URL") or "memory://",
            env=mode,
            data_dir=Path(env.get("TANDEM_DATA_DIR") or "./.data").resolve(),
            cors_origins=origins,
            secret_key=env.get("TANDEM_SECRET_KEY") or None,
            token_ttl_seconds=int(env.get("TANDEM_TOKEN_TTL_SECONDS", 12 * 3600)),
            event_retention_days=int(env.get("TANDEM_EVENT_RETENTION_DAYS", 30)),
            subscriber_queue=int(env.get("TANDEM_SUBSCRIBER_QUEUE", 1000)),
            sla_watch_interval=float(env.get("TANDEM_SLA_WATCH_INTERVAL", 15)),
            read_executor=read_executor,
            reads_pool_size=_positive_int(env, "TANDEM_DB_READS_POOL_SIZE", 8),
            feedback_action_due_hours=_positive_int(env, "TANDEM_FEEDBACK_ACTION_DUE_HOURS", 72),
            metrics=env.get("TANDEM_METRICS", "").strip().lower() in ("1", "true", "yes", "on") or bool(metrics_token),
            metrics_token=metrics_token,
            log_format=log_format,
            time_zone=_time_zone(env),
            default_language=_default_language(env),
            **_limits(env),
        )

    def resolved_secret_key(self) -> str:
        """The token signing key: from the environment, else generated once and kept in the data folder.

        Keeping it on disk means tokens survive a restart of a development server.
        """
        if self.secret_key:
            return self.secret_key
        self.data_dir.mkdir(parents=True, exist_ok=True)
        path = self.data_dir / "secret_key"
        if not path.exists():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_urlsafe(48))
        return path.read_text().strip()


# Limit settings: field name -> (environment variable, type). Defaults are the dataclass defaults.
LIMIT_VARIABLES: dict[str, tuple[str, type]] = {
    "max_body_bytes": ("TANDEM_MAX_BODY_BYTES", int),
    "max_depth": ("TANDEM_MAX_DEPTH", int),
    "max_aliases": ("TANDEM_MAX_ALIASES", int),
    "max_tokens": ("TANDEM_MAX_TOKENS", int),
    "max_directives": ("TANDEM_MAX_DIRECTIVES", int),
    "max_query_cost": ("TANDEM_MAX_QUERY_COST", int),
    "max_string_length": ("TANDEM_MAX_STRING_LENGTH", int),
    "max_search_length": ("TANDEM_MAX_SEARCH_LENGTH", int),
    "max_name_length": ("TANDEM_MAX_NAME_LENGTH", int),
    "max_list_length": ("TANDEM_MAX_LIST_LENGTH", int),
    "statement_timeout_ms": ("TANDEM_STATEMENT_TIMEOUT_MS", int),
    "ws_connections_per_user": ("TANDEM_WS_CONNECTIONS_PER_USER", int),
    "ws_connections_per_key": ("TANDEM_WS_CONNECTIONS_PER_KEY", int),
    "ws_subscriptions_per_connection": ("TANDEM_WS_SUBSCRIPTIONS_PER_CONNECTION", int),
    "ws_init_timeout": ("TANDEM_WS_INIT_TIMEOUT", float),
    "slow_subscriber_grace": ("TANDEM_SLOW_SUBSCRIBER_GRACE", float),
    "ws_buffer_bytes": ("TANDEM_WS_BUFFER_BYTES", int),
    "login_failures_per_account": ("TANDEM_LOGIN_FAILURES_PER_ACCOUNT", int),
    "login_failures_per_address": ("TANDEM_LOGIN_FAILURES_PER_ADDRESS", int),
    "retry_after_seconds": ("TANDEM_RETRY_AFTER_SECONDS", int),
    "rate_limit_reporting": ("TANDEM_RATE_LIMIT_REPORTING", int),
    "rate_limit_board": ("TANDEM_RATE_LIMIT_BOARD", int),
    "rate_limit_window_seconds": ("TANDEM_RATE_LIMIT_WINDOW_SECONDS", int),
    "max_export_rows": ("TANDEM_MAX_EXPORT_ROWS", int),
}


def _positive_int(env: Mapping[str, str], variable: str, default: int) -> int:
    raw = (env.get(variable) or "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{variable} must be a number, not {raw!r}") from None
    if value <= 0:
        raise ValueError(f"{variable} must be positive, not {raw!r}")
    return value


def _limits(env: Mapping[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for field_name, (variable, kind) in LIMIT_VARIABLES.items():
        raw = env.get(variable)
        if raw is None or not raw.strip():
            continue
        try:
            value = kind(raw.strip())
        except ValueError:
            raise ValueError(f"{variable} must be a number, not {raw!r}") from None
        if value <= 0:
            raise ValueError(f"{variable} must be positive, not {raw!r}")
        values[field_name] = value
    return values


def _default_language(env: Mapping[str, str]) -> str:
    """TANDEM_DEFAULT_LANGUAGE, checked at start-up: en, zh-Hans, zh-Hant (or a tag meaning one, e.g. zh-TW)."""
    try:
        return supported(env.get("TANDEM_DEFAULT_LANGUAGE", "").strip() or "en")
    except ValueError as exc:
        raise ValueError(f"TANDEM_DEFAULT_LANGUAGE: {exc}") from None


def _time_zone(env: Mapping[str, str]) -> str:
    """TANDEM_TIME_ZONE, checked at start-up: a misspelt zone fails here, not in the first report."""
    name = env.get("TANDEM_TIME_ZONE", "").strip() or "Asia/Shanghai"
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"TANDEM_TIME_ZONE must be an IANA time zone such as Asia/Shanghai, not {name!r}") from None
    return name
