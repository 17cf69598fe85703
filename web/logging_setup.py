"""Log format (`TANDEM_LOG_FORMAT`) and the request fields every log line of a request carries.

`text` (development's default) is the format the server always had; `json` (production's default) is
one JSON object per line on standard error — time, level, logger, message and, for anything logged
while a request is served, its request id, operation name, principal id, duration and outcome — for
every logger, uvicorn's access and error logs included (`uvicorn_config` is passed to uvicorn, which
applies it in each worker process too).

The JSON itself is python-json-logger's: a formatter for the standard `logging` module and nothing
else, so uvicorn's, SQLAlchemy's and our own `logging.getLogger` calls need no change. (structlog
would have meant a second logging API beside the standard one, and its stdlib bridge to reach
uvicorn's records anyway.)

The request fields come from a `RequestRecord` in a context variable, set by the request-id middleware
(web/app.py) and filled in by the GraphQL view as it learns the operation, the caller and the result.
uvicorn writes its access line from inside the app's `send` of the response start, in the request's
context, so that line has them too: one line per request, with no second "request finished" line.
"""

from __future__ import annotations

import contextvars
import logging
import re
import time
from typing import Any

from graphql import GraphQLError
from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter

FORMATS = ("text", "json")


class RequestRecord:
    """What is known about the request being served; one small object per request."""

    __slots__ = ("operation", "outcome", "principal", "request_id", "started", "status")

    def __init__(self, request_id: str) -> None:
        self.request_id = request_id
        self.started = time.perf_counter()
        self.operation: str | None = None  # GraphQL operation name ("anonymous" without one)
        self.principal: Any = None  # the caller's Principal (logged as "user:<uuid>" / "api_key:<uuid>")
        self.outcome: str | None = None  # "ok" or an error code, lower case (web/metrics.py outcome_of)
        self.status: int | None = None  # HTTP status sent

    @property
    def elapsed(self) -> float:
        """Seconds since the request arrived."""
        return time.perf_counter() - self.started

    @property
    def duration_ms(self) -> float:
        return round((time.perf_counter() - self.started) * 1000, 2)


def outcome_of(errors: list[GraphQLError] | None, failed_before_execution: bool = False) -> str:
    """ "ok", else the first error's code in lower case (forbidden, bad_user_input, timeout, …): a set the
    server defines, so a bounded label; "invalid" for parse and validation errors, which have none."""
    if not errors:
        return "ok"
    code = (errors[0].extensions or {}).get("code")
    if isinstance(code, str) and 0 < len(code) <= 40 and code.isascii() and code.replace("_", "").isalpha():
        return code.lower()
    return "invalid" if failed_before_execution else "error"


_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]{0,99}")  # a GraphQL Name, of a sane length
# The document's first operation, when it begins the document: its name when the body has no
# operationName (one operation: the spec runs it). Anchored, so a look costs next to nothing.
_FIRST = re.compile(r"\s*(?:query|mutation|subscription)\s+([_A-Za-z][_0-9A-Za-z]{0,99})\b")


def operation_label(name: Any, query: Any = None) -> str:
    """The operation's name for logs and metrics: operationName, else the document's first operation's
    name, else "anonymous"; "_invalid" for a name that is not a GraphQL name."""
    if name is None:
        found = _FIRST.match(query) if isinstance(query, str) else None
        return found[1] if found else "anonymous"
    if isinstance(name, str) and _NAME.fullmatch(name):
        return name
    return "_invalid"


CURRENT: contextvars.ContextVar[RequestRecord | None] = contextvars.ContextVar("tandem_request", default=None)


def current() -> RequestRecord | None:
    return CURRENT.get()


class RequestFields(logging.Filter):
    """Adds the current request's fields (if any) to each record a handler writes."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = CURRENT.get()
        if request is not None:
            record.request_id = request.request_id
            record.duration_ms = request.duration_ms
            if request.operation is not None:
                record.operation = request.operation
            if request.principal is not None:  # a services.principal.Principal
                record.principal_id = request.principal.idempotency_scope
            if request.outcome is not None:
                record.outcome = request.outcome
        if record.name == "uvicorn.access" and isinstance(record.args, tuple) and len(record.args) == 5:
            # uvicorn's access line: client, method, path, HTTP version, status (as fields, not only text)
            record.client, record.method, record.path, _, record.status = record.args
        return True


def json_formatter() -> logging.Formatter:
    return JsonFormatter(
        "{levelname}{name}{message}",
        style="{",
        timestamp="time",  # ISO 8601 in UTC, to the microsecond
        rename_fields={"levelname": "level", "name": "logger"},
        # uvicorn's copy of the message with terminal colour codes: not for a log collector.
        reserved_attrs=[*RESERVED_ATTRS, "color_message"],
        # Never a multi-line traceback: one JSON object per line, the traceback as a list of lines.
        exc_info_as_array=True,
        stack_info_as_array=True,
    )


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def dict_config(log_format: str, level: str = "info") -> dict[str, Any]:
    """`logging.config.dictConfig` for `json`: one handler on standard error, at the root, that every
    logger (uvicorn's too) propagates to."""
    level = level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request": {"()": RequestFields}},
        "formatters": {"json": {"()": json_formatter}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": "json",
                "filters": ["request"],
            }
        },
        "loggers": {
            name: {"handlers": [], "propagate": True, "level": level}
            for name in ("uvicorn", "uvicorn.error", "uvicorn.access")
        },
        "root": {"handlers": ["stderr"], "level": level},
    }


def configure(log_format: str, level: str = "info") -> None:
    """Logging of this process (the command line's, before uvicorn starts)."""
    import logging.config

    if log_format == "json":
        logging.config.dictConfig(dict_config(log_format, level))
    else:
        logging.basicConfig(level=logging.INFO, format=TEXT_FORMAT)


def uvicorn_config(log_format: str, level: str = "info") -> dict[str, Any]:
    """uvicorn's `log_config`: its own default for `text` (as before), ours for `json`."""
    if log_format == "json":
        return dict_config(log_format, level)
    from uvicorn.config import LOGGING_CONFIG

    return LOGGING_CONFIG
