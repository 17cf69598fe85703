"""Statement timeouts: a statement PostgreSQL cancelled (`statement_timeout`, db/session.py) is a TIMEOUT."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError

from services.i18n import T

QUERY_CANCELED = "57014"  # raised by statement_timeout
IN_FAILED_TRANSACTION = "25P02"  # later statements of a transaction whose statement was cancelled


def _sqlstate(exc: BaseException | None) -> str | None:
    return getattr(getattr(exc, "orig", None), "sqlstate", None)


def timed_out(error: GraphQLError, errors: list[GraphQLError]) -> bool:
    """The error is a statement cancelled by statement_timeout, or a later statement of the same read
    snapshot that PostgreSQL refused because of it (when the cancelled one is among `errors`)."""
    state = _sqlstate(error.original_error)
    if state == QUERY_CANCELED:
        return True
    return state == IN_FAILED_TRANSACTION and any(_sqlstate(e.original_error) == QUERY_CANCELED for e in errors)


def statement_cancelled(exc: BaseException) -> bool:
    """`exc` (as SQLAlchemy raises it) is a statement PostgreSQL cancelled for its statement_timeout."""
    return _sqlstate(exc) == QUERY_CANCELED


def timeout_error(error: GraphQLError, context: Any) -> GraphQLError:
    services = getattr(context, "services", None)
    ms = getattr(getattr(services, "db", None), "statement_timeout_ms", None)
    return stopped(error.nodes, error.path, ms)


def stopped(nodes: Any, path: Any, ms: int | None) -> GraphQLError:
    """The TIMEOUT error of the field at `path` (its `nodes`) under a statement timeout of `ms`."""
    message = (
        T("the request took longer than {ms} ms and was stopped", ms=ms)
        if ms
        else T("the request took too long and was stopped")
    )
    return GraphQLError(
        message,
        nodes=nodes,
        path=path,
        extensions={"code": "TIMEOUT", **({"timeoutMs": ms} if ms else {})},
    )
