"""The short way for a read that compiles: body in, one statement, bytes out.

Taken only in `compiled` mode, for a POST of `application/json` whose credential authenticated
before (schema/compiled/credentials.py). No Context, no DataLoaders, no strawberry request handling:
the body is parsed once, the plan cache answers, the statement (which checks the credential too)
returns the finished `data` JSON and it is written as it came. Everything else — another media type,
GET, a first request with a credential, a mutation, a query that does not compile, a credential the
statement no longer accepts — returns None here and takes the full way through strawberry, which
answers exactly as before (tests/compiled compare the two ways' responses).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from schema.compiled import executor as compiled_reads
from web import logging_setup, rate_limit

if TYPE_CHECKING:
    from web.graphql_view import TandemGraphQL

# What an operationName may be (GraphQL Name); web/graphql_view.py refuses anything else.
GRAPHQL_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]*")
_KEYS = frozenset(("query", "variables", "operationName", "extensions"))


def _json_media_type(value: str | None) -> bool:
    return (value or "").partition(";")[0].strip().lower() == "application/json"


async def answer(view: TandemGraphQL, request: Request, credential: str | None) -> Response | None:
    reads = compiled_reads.for_view(view)
    if reads.mode != "compiled" or not credential or request.method != "POST":
        return None
    if not _json_media_type(request.headers.get("content-type")):
        return None
    now = view.services.clock.now()
    known = reads.credentials.get(credential, now)
    if known is None:
        return None  # the full way authenticates it (and remembers it for next time)
    try:
        # Starlette keeps the body on the request: the full way, if taken, reads it again from there.
        body: Any = orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        return None
    if not isinstance(body, dict) or not body.keys() <= _KEYS:
        return None
    name = body.get("operationName")
    if name is not None and not (isinstance(name, str) and GRAPHQL_NAME.fullmatch(name)):
        return None
    data = await reads.answer(body.get("query"), body.get("variables"), name, known.principal, now, known)
    if data is None:
        return None
    # The statement counted an API key's request against its rate limit (web/rate_limit.py): over it,
    # its answer says so instead of the data.
    if (refused := rate_limit.refused_by_statement(view.services, known.principal, data)) is not None:
        accept = view.negotiate_media_type(request.headers.get("accept"))
        return rate_limit.response(
            refused, rate_limit.request_id_of(request), accept, rate_limit.language_of(view.services, request)
        )
    if data is compiled_reads.REJECTED:
        reads.credentials.forget(credential)  # deactivated, revoked, role changed: authenticate in full
        return None
    compiled_reads.COUNTS["compiled"] += 1
    if (record := logging_setup.current()) is not None:  # the request's log fields and GET /metrics labels
        record.operation, record.principal = logging_setup.operation_label(name, body.get("query")), known.principal
        record.outcome = "timeout" if isinstance(data, compiled_reads.TimedOut) else "ok"
    body = data.body() if isinstance(data, compiled_reads.TimedOut) else b'{"data":' + data.encode() + b"}"
    response = Response(body, media_type=view.negotiate_media_type(request.headers.get("accept")))
    response.headers.add_vary_header("Accept")  # as TandemGraphQL.create_response
    return response
