"""Logs (web/logging_setup.py): TANDEM_LOG_FORMAT is `json` in production, `text` in development; in
JSON, every line a real server process writes — ours, uvicorn's access and error logs, alembic's — is
one JSON object, and a request's lines carry its request id, operation name, principal id, duration
and outcome."""

from __future__ import annotations

import io
import json
import logging

import httpx
import pytest

from settings import Settings
from tests.support.realtime import Server, Subscriber, token_for
from web.logging_setup import CURRENT, RequestFields, RequestRecord, json_formatter

pytestmark = pytest.mark.timeout(180)


def test_the_format_follows_the_environment_unless_set():
    assert Settings.from_env({"TANDEM_ENV": "production"}).log_format == "json"
    assert Settings.from_env({}).log_format == "text"
    assert Settings.from_env({"TANDEM_ENV": "production", "TANDEM_LOG_FORMAT": "text"}).log_format == "text"
    assert Settings.from_env({"TANDEM_LOG_FORMAT": "JSON"}).log_format == "json"
    with pytest.raises(ValueError, match="TANDEM_LOG_FORMAT"):
        Settings.from_env({"TANDEM_LOG_FORMAT": "xml"})


def test_a_line_logged_while_a_request_is_served_carries_its_fields_on_one_line():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(json_formatter())
    handler.addFilter(RequestFields())
    logger = logging.getLogger("tandem.test_logging")
    logger.addHandler(handler)
    logger.propagate = False
    record = RequestRecord("req0123")
    record.operation, record.outcome = "Tickets", "forbidden"
    token = CURRENT.set(record)
    try:
        try:
            raise RuntimeError("boom\nsecond line")
        except RuntimeError:
            logger.exception("failed for %s", "某客戶")
    finally:
        CURRENT.reset(token)
        logger.removeHandler(handler)
        logger.propagate = True
    logger.warning("outside any request")  # not through our handler any more
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1  # the traceback too stays on the one line
    entry = json.loads(lines[0])
    assert entry["message"] == "failed for 某客戶" and entry["level"] == "ERROR"
    assert (entry["request_id"], entry["operation"], entry["outcome"]) == ("req0123", "Tickets", "forbidden")
    assert isinstance(entry["duration_ms"], float) and entry["time"]
    assert any("RuntimeError: boom" in part for part in entry["exc_info"])


async def test_a_production_server_writes_one_json_object_per_line_with_the_request_fields(db_url, users):
    server = await Server(db_url, TANDEM_ENV="production", TANDEM_LOG_LEVEL="info").start()
    try:
        account = await users.create("MARKETING", "STAFF")
        async with httpx.AsyncClient(base_url=server.http, timeout=30) as http:
            ok = await http.post(
                "/graphql",
                json={"query": "query Me { me { name } }"},
                headers={"Authorization": f"Bearer {token_for(account.user)}", "X-Request-ID": "logreq1"},
            )
            assert ok.status_code == 200 and ok.headers["x-request-id"] == "logreq1", ok.text
            refused = await http.post("/graphql", json={"query": "query Nobody { me { name } }"})
            assert refused.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
            refused_id = refused.headers["x-request-id"]
        socket = await Subscriber(server.ws, token_for(account.user), "subscription { events { cursor } }").connect()
        assert socket.close_code is None
        await socket.close()
        lines = [line for line in server.log_tail(10**7).splitlines() if line.strip()]
    finally:
        server.stop()

    entries = []
    for line in lines:
        try:
            entries.append(json.loads(line))
        except ValueError:
            raise AssertionError(f"not a JSON line: {line!r}") from None
    assert all({"time", "level", "logger", "message"} <= entry.keys() for entry in entries)
    assert any(entry["logger"] == "uvicorn.error" for entry in entries)  # uvicorn's own log too

    (mine,) = [e for e in entries if e.get("request_id") == "logreq1"]
    assert mine["logger"] == "uvicorn.access" and mine["status"] == 200 and mine["path"] == "/graphql"
    assert (mine["operation"], mine["outcome"]) == ("Me", "ok")
    assert mine["principal_id"] == f"user:{account.user.id}"
    assert isinstance(mine["duration_ms"], float) and mine["duration_ms"] >= 0
    (theirs,) = [e for e in entries if e.get("request_id") == refused_id]
    assert (theirs["operation"], theirs["outcome"]) == ("Nobody", "unauthenticated")
    assert "principal_id" not in theirs
    # A WebSocket's lines have an id of their own too (uvicorn's "[accepted]" is logged in its context).
    (accepted,) = [e for e in entries if "WebSocket /graphql" in e["message"] and "accepted" in e["message"]]
    assert len(accepted["request_id"]) == 16
