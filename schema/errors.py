"""Error masking: expected errors reach the client as they are; anything unexpected is logged with
the request id and replaced by a generic error that carries only that id."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from schema import limits
from schema.translation import translated
from services import i18n, outage

log = logging.getLogger("tandem.graphql")


def is_expected(error: GraphQLError) -> bool:
    """Syntax/validation errors and errors we raise on purpose (all GraphQLErrors) are the client's
    to see; an exception of any other class escaping a resolver is a bug."""
    original = error.original_error
    return original is None or isinstance(original, GraphQLError)


class MaskUnexpectedErrors(SchemaExtension):
    """Masks query and mutation results at the end of the operation, and each result of a
    subscription before it is sent (subscriptions yield many results within one operation)."""

    def on_operation(self) -> Iterator[None]:
        self._streamed = False
        yield
        if not self._streamed:
            self._mask(self.execution_context.result)

    def on_stream_result(self, result) -> Iterator[None]:
        self._streamed = True
        self._mask(result)
        yield None

    def _mask(self, result) -> None:
        if not result or not getattr(result, "errors", None):
            return
        result.errors = masked(result.errors, self.execution_context.context)


def masked(errors: list[GraphQLError], context: Any) -> list[GraphQLError]:
    """`errors` as a client may see them: expected ones as they are, a timeout or a lost database
    said so, anything else logged with the request id and replaced by a generic error carrying it."""
    request_id = getattr(context, "request_id", "-")
    language = getattr(context, "language", i18n.ENGLISH)
    out = []
    for error in errors:
        if is_expected(error):
            out.append(translated(error, language))
            continue
        if limits.timed_out(error, errors):  # statement_timeout: not a bug, say so (TIMEOUT)
            out.append(translated(limits.timeout_error(error, context), language))
            continue
        if outage.is_database_unavailable(error.original_error):
            out.append(_unavailable(error, context, request_id))
            continue
        log.error("unexpected error in %s (request %s)", error.path, request_id, exc_info=error.original_error)
        out.append(
            GraphQLError(
                i18n.T("Internal server error (request id {request_id})", request_id=request_id).render(language),
                nodes=error.nodes,
                path=error.path,
                extensions={"code": "INTERNAL_SERVER_ERROR", "requestId": request_id},
            )
        )
    return out


def _unavailable(error: GraphQLError, context, request_id: str) -> GraphQLError:
    """A lost database is not a bug: say so (the client should retry) and let the HTTP view turn
    the response into a 503 with Retry-After (it reads the flag set on the context)."""
    if hasattr(context, "database_unavailable"):
        context.database_unavailable = True
    log.warning("database unreachable in %s (request %s): %r", error.path, request_id, error.original_error)
    return GraphQLError(
        i18n.render(outage.MESSAGE, getattr(context, "language", i18n.ENGLISH)),
        nodes=error.nodes,
        path=error.path,
        extensions={"code": outage.CODE, "requestId": request_id},
    )
