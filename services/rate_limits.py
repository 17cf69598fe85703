"""Rate limits per API key: requests per window (a minute by default), configured per key scope.

Only API keys are limited: a person's requests (login tokens) never count here, and an anonymous
request is refused before it could cost anything. What counts as one request: an HTTP request
(GraphQL, and the CSV export's routes once they exist: they call web/rate_limit.py as GraphQL does), a
WebSocket's `connection_init` and each `subscribe` (`start` on the legacy protocol) on it. Pings,
`complete`/`stop` and the events a live subscription receives do not count.

The counters live in PostgreSQL (db/repositories/rate_limits.py, table `api_key_rate_limits`): one
upsert per counted request, on a fixed window anchored at the key's first request in it, so every
server process on the same database enforces the same limit together. A refused request is not
counted and changes nothing: no resolver runs, and its window ends when it would have anyway.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from db.repositories import rate_limits as rate_limits_repo
from services import i18n
from services.errors import ErrorCode
from services.i18n import T
from services.principal import Principal

CODE = ErrorCode.RATE_LIMITED.value


@dataclass(frozen=True)
class RateLimits:
    """Requests per API key per window, by the key's scope (settings `rate_limit_reporting`,
    `rate_limit_board`, `rate_limit_window_seconds`)."""

    reporting: int = 120
    board: int = 600
    window_seconds: int = 60

    @classmethod
    def from_settings(cls, settings: Any) -> RateLimits:
        if settings is None:
            return cls()
        return cls(
            reporting=getattr(settings, "rate_limit_reporting", cls.reporting),
            board=getattr(settings, "rate_limit_board", cls.board),
            window_seconds=getattr(settings, "rate_limit_window_seconds", cls.window_seconds),
        )

    def limit_of(self, principal: Principal | None) -> int | None:
        """The limit `principal` is held to; None: not limited (a person, or nobody)."""
        if principal is None or principal.is_user:
            return None
        return self.board if principal.scope == "board" else self.reporting


@dataclass(frozen=True)
class Refusal:
    """A request over its key's limit, and when the key may try again (whole seconds, at least 1)."""

    retry_after: int
    limit: int
    window_seconds: int

    @property
    def message(self) -> str:
        if self.window_seconds == 60:
            return T(
                "too many requests for this API key ({limit} per minute); try again in {retry} s",
                limit=self.limit,
                retry=self.retry_after,
            )
        return T(
            "too many requests for this API key ({limit} per {window} s); try again in {retry} s",
            limit=self.limit,
            window=self.window_seconds,
            retry=self.retry_after,
        )

    def graphql_error(self, language: str = i18n.ENGLISH, **extensions: Any) -> dict[str, Any]:
        """The refusal as a GraphQL error (the `errors` entry of a response or a WebSocket message)."""
        return {
            "message": i18n.render(self.message, language),
            "extensions": {"code": CODE, "retryAfter": self.retry_after, **extensions},
        }


def retry_after(window_start: datetime, window_seconds: int, now: datetime) -> int:
    """Seconds until the window that began at `window_start` has ended, rounded up, at least 1."""
    left = (window_start + timedelta(seconds=window_seconds) - now).total_seconds()
    return max(1, math.ceil(left))


async def check(services: Any, principal: Principal | None) -> Refusal | None:
    """Count one request of `principal`: None when it may go ahead (or is not limited at all), else
    the Refusal to answer with. One statement for an API key, none for anyone else."""
    limits = RateLimits.from_settings(services.settings)
    limit = limits.limit_of(principal)
    if limit is None or principal is None:
        return None
    db = services.db
    engine = db.reads_engine or db.engine.execution_options(isolation_level="AUTOCOMMIT")
    now = services.clock.now()
    window_start, requests = await rate_limits_repo.count_request(
        engine, principal.id, now, limits.window_seconds, limit
    )
    if requests <= limit:
        return None
    return Refusal(retry_after(window_start, limits.window_seconds, now), limit, limits.window_seconds)
