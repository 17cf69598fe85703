"""Is an exception "the database cannot be reached right now", as opposed to a bug?

One predicate for every place that must say "try again shortly" (503, WebSocket 1013) instead of
"internal error": the GraphQL error mask, the HTTP credential lookup and WebSocket connection_init.

What asyncpg 0.32 and SQLAlchemy 2.1 really raise (tried against a stopped and a restarting
PostgreSQL; tests/test_outage.py keeps the cases):
- socket file gone, port closed, host refusing: a bare OSError (FileNotFoundError,
  ConnectionRefusedError, ConnectionError "rejected SSL upgrade") out of the pool's connect;
  SQLAlchemy does not wrap errors that are not DB-API errors.
- host silent: TimeoutError from asyncpg's connect timeout, also bare.
- server stopped under an open connection: DBAPIError(connection_invalidated=True) caused by
  asyncpg's ConnectionDoesNotExistError, caused by AdminShutdownError (or a BrokenPipeError).
- server starting up or shutting down: DBAPIError caused by CannotConnectNowError (57P03), which
  SQLAlchemy does not mark as invalidated.
- every pooled connection busy or stuck connecting: sqlalchemy.exc.TimeoutError (pool checkout).
"""

from __future__ import annotations

import traceback

from asyncpg import exceptions as pg
from sqlalchemy import exc as sa

from services.i18n import T

MESSAGE = T("the database is unreachable; try again shortly")
CODE = "SERVICE_UNAVAILABLE"

# Raised by the server or the driver only when the connection itself is lost or refused. Not their
# common parents: OperatorInterventionError also covers QueryCanceledError (a statement timeout).
_CONNECTION_ERRORS = (
    pg.PostgresConnectionError,  # SQLSTATE class 08, incl. ConnectionDoesNotExistError
    pg.CannotConnectNowError,  # 57P03 starting up / shutting down
    pg.AdminShutdownError,  # 57P01
    pg.CrashShutdownError,  # 57P02
)
# Frames of code that opens connections. An OSError or TimeoutError counts only when raised
# there: the same classes from anywhere else (a file, an HTTP call, a client-side query timeout)
# are bugs or other failures and stay masked as internal errors.
_CONNECTING_MODULES = ("sqlalchemy.pool.", "asyncpg.connect_utils")


def is_database_unavailable(exc: BaseException | None) -> bool:
    """True when exc, or an exception it was raised from (`__cause__`), says the database cannot
    be reached. Implicit context (an error raised while handling another) is not followed: a bug
    in an error handler is still a bug."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, sa.TimeoutError):  # only the pool raises it: no connection to be had
            return True
        if isinstance(exc, sa.DBAPIError) and exc.connection_invalidated:
            return True
        if isinstance(exc, _CONNECTION_ERRORS):
            return True
        if isinstance(exc, (OSError, TimeoutError)) and _raised_while_connecting(exc):
            return True
        exc = exc.__cause__
    return False


def _raised_while_connecting(exc: BaseException) -> bool:
    return any(
        (frame.f_globals.get("__name__") or "").startswith(_CONNECTING_MODULES)
        for frame, _ in traceback.walk_tb(exc.__traceback__)
    )
