"""The rate limit per API key (services/rate_limits.py) for any route: GraphQL over HTTP (both its
ways, web/graphql_view.py and web/compiled_http.py), WebSocket (web/ws_handlers.py), and the CSV
export's `/export/*.csv` routes to come, which need only call `refusal_response` with the caller's
principal before they do any work, as GraphQL does.

Each request of an API key is counted once. A key this process remembers (schema/compiled/
credentials.py) is counted by the statement that checks it anyway — the compiled read itself on the
short way, the credential check on the full way — so its request costs no statement more; a key
authenticated in full (its first request here) is counted by one upsert of its own.

An HTTP request over the limit is answered 429 with `Retry-After` and a GraphQL-shaped body:
`{"errors": [{"message": "... try again in N s", "extensions": {"code": "RATE_LIMITED",
"retryAfter": N, "requestId": ...}}]}`.
"""

from __future__ import annotations

import logging
from collections.abc import MutableMapping
from datetime import datetime
from typing import Any

import orjson
from starlette.requests import HTTPConnection
from starlette.responses import Response

from db import driver
from db.repositories import accounts as accounts_repo
from db.repositories import rate_limits as rate_limits_repo
from services import i18n, outage
from services import rate_limits as limits
from services.principal import Principal
from web import logging_setup

log = logging.getLogger("tandem.web")

_COUNTED = "tandem.rate_limit"  # in a request's scope once counted: the Refusal, or None (admitted)


def key_rate(services: Any, principal: Principal) -> tuple[int, int]:
    """(requests per window, window seconds) of `principal`, for the statements that count it."""
    rates = limits.RateLimits.from_settings(services.settings)
    return rates.limit_of(principal) or rates.reporting, rates.window_seconds


def refused_by_statement(services: Any, principal: Principal, answer: object) -> limits.Refusal | None:
    """The Refusal a guarded statement (accounts_repo.guarded_by_credential) reported in `answer`."""
    since = rate_limits_repo.limited_since(answer)
    if since is None:
        return None
    limit, window = key_rate(services, principal)
    return limits.Refusal(limits.retry_after(since, window, services.clock.now()), limit, window)


async def credential_holds(
    services: Any, reads: Any, known: Any, now: datetime, counted: MutableMapping[str, Any] | None
) -> bool:
    """`known`'s credential still holds (one statement, as CompiledReads.credential_holds), its request
    counted by that statement when it is an API key; the outcome is noted in `counted` for `refusal`."""
    async with driver.checked_out(reads.engine) as conn:
        answer = await conn.fetchval(accounts_repo.credential_check(known.kind), *known.parameters(now))
    if answer is None:
        return False
    if counted is not None and known.kind == "key":
        counted[_COUNTED] = refused_by_statement(services, known.principal, answer)
    return True


async def refusal(
    services: Any, principal: Principal | None, counted: MutableMapping[str, Any] | None = None
) -> limits.Refusal | None:
    """Count this request of `principal` (once per request: when `counted`, a request's scope, says it
    was counted already, by a statement or an earlier call, nothing more runs). None: go ahead."""
    if principal is None or principal.is_user:
        return None
    if counted is not None:
        if _COUNTED in counted:
            done: limits.Refusal | None = counted[_COUNTED]
            return done
        counted[_COUNTED] = None
    refused = await limits.check(services, principal)
    if counted is not None:
        counted[_COUNTED] = refused
    return refused


def language_of(services: Any, request: HTTPConnection) -> str:
    """The request's language (Accept-Language, else TANDEM_DEFAULT_LANGUAGE) for a refusal's words."""
    default = getattr(services.settings, "default_language", i18n.ENGLISH) if services is not None else i18n.ENGLISH
    return i18n.negotiate(request.headers.get("accept-language"), default)


def response(
    refused: limits.Refusal, request_id: str | None, media_type: str = "application/json", language: str = "en"
) -> Response:
    extensions = {"requestId": request_id} if request_id else {}
    body = {"errors": [refused.graphql_error(language, **extensions)]}
    if (record := logging_setup.current()) is not None:
        record.outcome = limits.CODE.lower()
    answer = Response(
        orjson.dumps(body), status_code=429, media_type=media_type, headers={"Retry-After": str(refused.retry_after)}
    )
    answer.headers.add_vary_header("Accept")  # the media type follows it, as every GraphQL response's
    return answer


def request_id_of(request: HTTPConnection) -> str | None:
    value = request.scope.get("state", {}).get("request_id")
    return value if isinstance(value, str) else None


async def refusal_response(
    services: Any, request: HTTPConnection, principal: Principal | None, media_type: str = "application/json"
) -> Response | None:
    """The 429 to answer `request` with when its key is over its limit, else None (then go ahead).
    While the database is unreachable, the 503 every request gets then."""
    try:
        refused = await refusal(services, principal, request.scope)
    except Exception as exc:
        if not outage.is_database_unavailable(exc):
            raise
        log.warning("database unreachable counting a request against its rate limit: %r", exc)
        retry = getattr(services.settings, "retry_after_seconds", 5)
        message = i18n.render(outage.MESSAGE, language_of(services, request))
        body = {"errors": [{"message": message, "extensions": {"code": outage.CODE}}]}
        return Response(orjson.dumps(body), status_code=503, media_type=media_type, headers={"Retry-After": str(retry)})
    if refused is None:
        return None
    if (record := logging_setup.current()) is not None:
        record.principal = principal
    return response(refused, request_id_of(request), media_type, language_of(services, request))
