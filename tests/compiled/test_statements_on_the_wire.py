"""Statements per request as PostgreSQL receives them (tests/support/wire.py: BEGIN, COMMIT, pings
and all), for the compiled executor in production's way: a read with a remembered credential is one
statement; `openTicket` is at most ten, its payload rendered by the compiled path."""

from __future__ import annotations

import asyncio
import dataclasses

import httpx
import pytest
from sqlalchemy.engine import make_url

from db import session as db_session
from db.session import Database
from schema.ids import to_global_id
from services import accounts
from tests.compiled.test_differential import BENCH_BOARD
from tests.support.database import run_sql_autocommit
from tests.support.graphql import GraphQLClient, error_codes
from tests.support.tickets import Cast, cast, counts
from tests.support.wire import WireProxy

OPEN = """mutation($i: OpenTicketInput!) { openTicket(input: $i) {
  ticket { id number status priority subject createdAt customer { id name } assignee { id name } createdBy { name }
           sla { firstResponseDueAt resolutionDueAt firstResponseState resolutionState state } }
  errors { code field message } } }"""
READ_BACK = """query($id: ID!) { node(id: $id) { ... on Ticket { id number status priority subject createdAt
  customer { id name } assignee { id name } createdBy { name }
  sla { firstResponseDueAt resolutionDueAt firstResponseState resolutionState state } } } }"""


@dataclasses.dataclass
class Wired:
    proxy: WireProxy
    gql: GraphQLClient
    cast: Cast
    db: Database


@pytest.fixture
async def wired(db_url, services, clock):
    proxy = await WireProxy(db_url).start()
    settings = dataclasses.replace(services.settings, read_executor="compiled")
    db = Database.connect(proxy.url, pool_size=5, statement_timeout_ms=settings.statement_timeout_ms)
    from web.app import create_app

    app = create_app(settings, dataclasses.replace(services, db=db, settings=settings))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://tandem.test") as http:
        yield Wired(proxy, GraphQLClient(http), await cast(services), db)
    await db.dispose()
    await proxy.stop()


def ticket_input(c: Cast) -> dict:
    return {
        "customerId": to_global_id("Customer", c.customer_id),
        "kind": "COMPLAINT",
        "priority": "HIGH",
        "subject": "Conveyor stops",
        "description": "Stops after an hour of work",
    }


async def test_open_ticket_is_at_most_ten_statements_and_its_payload_is_the_node_read(wired):
    c, token = wired.cast, wired.cast.token(wired.cast.marketing)
    await wired.gql.ok(OPEN, {"i": ticket_input(c)}, token)  # first: full authentication, plan caches
    with wired.proxy.statements() as seen:
        payload = (await wired.gql.ok(OPEN, {"i": ticket_input(c)}, token))["openTicket"]
    assert payload["errors"] == []
    listing = "\n".join(s[:120] for s in seen)
    assert len(seen) <= 10, f"{len(seen)} statements:\n{listing}"  # 8 today
    assert seen[0].startswith("SELECT CASE WHEN EXISTS"), "the remembered credential is checked first"
    assert [s.split()[0].rstrip(";") for s in seen].count("BEGIN") == 1, (
        f"one transaction, the unit of work's:\n{listing}"
    )
    # The compiled statement writes its JSON as text (schema/compiled/sql.py json_object).
    assert seen[-1].startswith("SELECT ('{\"node\":'"), "the payload is one compiled statement"
    ticket = payload["ticket"]
    assert ticket["customer"]["name"] == "Acme Robotics" and ticket["createdBy"]["name"] == "Mia Marketing"
    # The payload is what a read of the ticket answers.
    assert (await wired.gql.ok(READ_BACK, {"id": ticket["id"]}, token))["node"] == ticket


async def test_a_read_with_a_remembered_credential_is_one_statement(wired):
    token = wired.cast.token(wired.cast.service)
    await wired.gql.ok(BENCH_BOARD, {}, token)
    with wired.proxy.statements() as seen:
        await wired.gql.ok(BENCH_BOARD, {}, token)
    assert len(seen) == 1, seen


async def test_a_mutation_with_a_remembered_credential_stops_when_the_user_is_deactivated(wired, services):
    c = wired.cast
    token = c.token(c.marketing)
    await wired.gql.ok(OPEN, {"i": ticket_input(c)}, token)
    await c.run(c.admin, accounts.set_user_active, c.marketing.user.id, False, None)
    before = await counts(services)
    body = await wired.gql(OPEN, {"i": ticket_input(c)}, token)
    assert error_codes(body) == ["UNAUTHENTICATED"], body
    assert await counts(services) == before, "nothing is written for a deactivated user's token"


async def test_a_connection_the_server_closed_is_replaced_without_an_error(wired, db_url):
    token = wired.cast.token(wired.cast.service)
    await wired.gql.ok(OPEN, {"i": ticket_input(wired.cast)}, token)
    await wired.gql.ok(BENCH_BOARD, {}, token)
    url = make_url(db_url)
    database, server = url.database, url.set(database="postgres").render_as_string(hide_password=False)
    await run_sql_autocommit(
        server,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        f"WHERE datname = '{database}' AND pid <> pg_backend_pid()",
    )
    await asyncio.sleep(0.2)  # the loop reads the end of each socket
    # Both pools hand out live connections only: no pre-ping, and no failed first request either.
    payload = (await wired.gql.ok(OPEN, {"i": ticket_input(wired.cast)}, token))["openTicket"]
    assert payload["errors"] == [] and payload["ticket"]["status"] == "NEW"
    assert (await wired.gql.ok(BENCH_BOARD, {}, token))["tickets"]["totalCount"] == 2


async def test_an_idle_connection_is_pinged_before_it_is_handed_out(wired, monkeypatch):
    token = wired.cast.token(wired.cast.service)
    await wired.gql.ok(OPEN, {"i": ticket_input(wired.cast)}, token)
    with wired.proxy.statements() as busy:
        await wired.gql.ok(OPEN, {"i": ticket_input(wired.cast)}, token)
    monkeypatch.setattr(db_session, "IDLE_PING_SECONDS", 0.0)
    with wired.proxy.statements() as idle:
        await wired.gql.ok(OPEN, {"i": ticket_input(wired.cast)}, token)
    assert ";" not in busy
    assert ";" in idle, idle
