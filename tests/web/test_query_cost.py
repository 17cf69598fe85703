"""Work per request is bounded before anything runs: the estimated query cost, depth, aliases, tokens
and directives (schema/limits.py), each from settings.py. The real queries of the test suite, the
README and the benchmarks pass; the ones built to exhaust the server are refused at once."""

from __future__ import annotations

import ast
import asyncio
import json
import re
import time
from pathlib import Path

import httpx
import pytest
from graphql import OperationDefinitionNode, parse, validate

from schema.limits import query_cost
from schema.schema import build_schema
from settings import Settings
from tests.support.accounts import TEST_SECRET
from tests.support.database import statements
from tests.support.graphql import GraphQLClient, error_codes
from tests.web.test_order_reads import PAGE as ORDERS_PAGE
from tests.web.test_query_counts import LIST as CUSTOMERS_PAGE
from tests.web.test_ticket_board import BOARD
from web.app import create_app

ROOT = Path(__file__).resolve().parents[2]
LIMIT = Settings.from_env({}).max_query_cost

ONE = (
    "customers(first:100){ edges { node { id timeline(first:100){ edges { node { summary } } } "
    "tickets(first:100){ edges { node { id comments(first:100){ edges { node { body } } } } } } } } }"
)
ATTACK = "{ " + " ".join(f"a{i}: {ONE}" for i in range(30)) + " }"  # 18-23 s and 220 MB before


def too_complex(body: dict) -> dict:
    assert body.get("data") is None, body
    [error] = body["errors"]
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX", error
    return error


def client_for(app) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://tandem.test")


# ----------------------------------------------------------------------------- cost


async def test_the_30_alias_query_is_refused_before_any_resolver_runs(gql, users, services, no_error_logs):
    rep = await users.create()
    await gql.ok("{ __typename }", token=rep.token)  # the credential is checked in full once, then remembered
    with statements(services.db.engine, services.db.reads_engine) as baseline:
        await gql.ok("{ __typename }", token=rep.token)  # what the credential check alone costs
    with statements(services.db.engine, services.db.reads_engine) as seen:
        started = time.monotonic()
        error = too_complex(await gql(ATTACK, token=rep.token))
        elapsed = time.monotonic() - started
    assert error["message"] == "query cost 30,909,030 exceeds the limit of 50,000"
    assert error["extensions"] == {"code": "QUERY_TOO_COMPLEX", "cost": 30_909_030, "limit": 50_000}
    assert seen == baseline  # no SQL beyond the credential lookup
    assert elapsed < 2.0
    # One alias of it is still far too much: three nested pages of 100 are a million objects.
    error = too_complex(await gql("{ " + ONE + " }", token=rep.token))
    assert error["message"] == "query cost 1,030,301 exceeds the limit of 50,000"
    # Anonymous callers are refused the same way (before authorization is even looked at).
    assert error_codes(await gql(ATTACK)) == ["QUERY_TOO_COMPLEX"]


async def test_first_from_variables_and_fragments_count_the_same(gql, users):
    rep = await users.create()
    with_vars = """query($a: Int, $b: Int, $c: Int) { customers(first: $a) { edges { node {
      tickets(first: $b) { edges { node { comments(first: $c) { edges { node { body } } } } } } } } } }"""
    # 1 + a × (1 + 1 + b × (1 + 1 + c)): a page of 10 customers, 10 tickets each, 10 comments each.
    assert (await gql.ok(with_vars, {"a": 10, "b": 10, "c": 10}, rep.token))["customers"]["edges"] == []
    error = too_complex(await gql(with_vars, {"a": 100, "b": 100, "c": 100}, rep.token))
    assert error["extensions"]["cost"] == 1 + 100 * (2 + 100 * (2 + 100))
    # Left out, `first` is the default page size (20): 1 + 20 × (2 + 20 × 22) = 8,841, accepted.
    assert (await gql.ok(with_vars, {}, rep.token))["customers"]["edges"] == []
    # A variable's default value counts like a given value.
    defaulted = with_vars.replace("$a: Int,", "$a: Int = 100,").replace("$b: Int,", "$b: Int = 100,")
    assert too_complex(await gql(defaulted, {"c": 100}, rep.token))["extensions"]["cost"] == 1_020_201
    # The same query hidden in fragments and inline fragments costs the same.
    fragments = """query { customers(first: 100) { ...Page } }
      fragment Page on CustomerConnection { edges { node { ... on Customer { ...Tickets } } } }
      fragment Tickets on Customer { tickets(first: 100) { edges { node { ...Comments } } } }
      fragment Comments on Ticket { comments(first: 100) { edges { node { body } } } }"""
    assert too_complex(await gql(fragments, token=rep.token))["extensions"]["cost"] == 1_020_201
    via_node = """query($id: ID!) { node(id: $id) { ... on Customer { tickets(first: 100) { edges { node {
      customer { tickets(first: 100) { edges { node {
        comments(first: 10) { edges { node { body } } } } } } } } } } } } }"""
    cost = 1 + (1 + 100 * (1 + 1 + (1 + 100 * (1 + (1 + 10)))))
    assert too_complex(await gql(via_node, {"id": "x"}, rep.token))["extensions"]["cost"] == cost


async def test_lists_without_first_count_as_100_items(gql, users):
    rep = await users.create()
    # Each customer's contacts count as 100: 1 + 100 × (1 + 100) = 10,101.
    assert (await gql.ok("{ customers(first: 100) { edges { node { contacts { name } } } } }", token=rep.token))[
        "customers"
    ]["edges"] == []
    # A board of 100 tickets with each escalation's participants and notes, and their authors:
    # 1 + 100 × (1 + (1 + 100 + 100 × 2) + (1 + 100)) = 40,301, accepted.
    board = """{ tickets(first: 100) { edges { node { escalation { participants { name } notes { author { name } } }
      customer { contacts { name } } } } } }"""
    assert (await gql.ok(board, token=rep.token))["tickets"]["edges"] == []
    # Orders of every customer with their items and service jobs: plain lists inside pages add up.
    heavy = """{ customers(first: 100) { edges { node { contacts { name } orders(first: 5) { edges { node {
      items { quantity } serviceJobs { technician { name } } } } } } } } }"""
    cost = 1 + 100 * (1 + 100 + (1 + 5 * (1 + 100 + 100 * 2)))
    assert too_complex(await gql(heavy, token=rep.token))["extensions"]["cost"] == cost == 160_701


async def test_the_real_heavy_queries_pass(gql, users, no_error_logs):
    """The heaviest queries the suite sends, at the largest page they may ask for."""
    rep = await users.create()
    service = await users.create("SERVICE")
    await gql.ok(BOARD, token=service.token)  # the live board: tickets(first: 50) with everything
    await gql.ok(CUSTOMERS_PAGE, {"n": 100}, rep.token)
    await gql.ok(ORDERS_PAGE, {"n": 100}, rep.token)
    await gql.ok(
        """{ customers(first: 50) { totalCount edges { node { code name lifecycleStage owner { name }
      contacts { name phone email isPrimary } } } pageInfo { endCursor hasNextPage } } }""",
        token=rep.token,
    )
    customer = (
        await gql.mutate(
            "createCustomer",
            'mutation { createCustomer(input: {name: "Acme"}) { customer { id } errors { code } } }',
            token=rep.token,
        )
    )["customer"]["id"]
    timeline = """query($id: ID!) { node(id: $id) { ... on Customer { timeline(first: 100) { totalCount edges {
      cursor node { id at action entityType entityId summary actor { id name } } } } } } }"""
    assert (await gql.ok(timeline, {"id": customer}, rep.token))["node"]["timeline"]["totalCount"] == 1
    # Introspection is bounded by the schema, not by data: GraphiQL's query passes in development.
    from graphql import get_introspection_query

    assert (await gql.ok(get_introspection_query()))["__schema"]["queryType"]["name"] == "Query"


def _documents() -> dict[str, str]:
    """Every GraphQL document written in the tests, the benchmarks and the README."""
    found: dict[str, str] = {}
    files = [
        p for p in (ROOT / "tests").rglob("*.py") if "node_modules" not in p.parts and p != Path(__file__).resolve()
    ]  # this file's are built to fail
    for path in files + sorted((ROOT / "benchmarks").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and "{" in node.value:
                found.setdefault(node.value, f"{path.relative_to(ROOT)}:{node.lineno}")
    readme = (ROOT / "README.md").read_text()
    for block in re.findall(r"```graphql\n(.*?)```", readme, re.S):
        for document in re.split(r"\n(?=mutation|query|subscription|\{)", block):
            found.setdefault(re.sub(r"#.*", "", document), "README.md")
    for document in re.findall(r'"query":"(.*?)"}', readme):
        found.setdefault(document.replace('\\"', '"'), "README.md")
    return found


# Documents whose cost at 100 items per variable page exceeds the limit, with the page size they
# are really sent with. Test that statement counts stay flat, with 8 opportunities.
REALLY_SENT_WITH = {"opportunities(first: $n)": 8}


def test_every_query_written_in_the_repository_is_within_the_limit():
    schema = build_schema()._schema
    checked = 0
    over = []
    for text, where in _documents().items():
        try:
            document = parse(text)
        except Exception:  # noqa: BLE001 - strings that are not GraphQL
            continue
        if validate(schema, document):
            continue  # deliberately invalid documents of the error tests
        for operation in (d for d in document.definitions if isinstance(d, OperationDefinitionNode)):
            page = next((n for key, n in REALLY_SENT_WITH.items() if key in text), 100)
            ints = {
                v.variable.name.value: page
                for v in operation.variable_definitions or ()
                if "Int" in str(v.type.to_dict())
            }
            checked += 1
            cost = query_cost(schema, document, operation, ints)
            if cost > LIMIT:
                over.append((where, cost))
    assert checked > 100
    assert over == []


# ----------------------------------------------------------------------------- depth, aliases, tokens, directives


async def test_directives_are_limited(gql, no_error_logs):
    ok = "{ " + " ".join(["__typename @skip(if: false)"] * 50) + " }"
    assert (await gql.ok(ok)) == {"__typename": "Query"}
    body = await gql("{ " + " ".join(["__typename @skip(if: false)"] * 51) + " }")
    assert body.get("data") is None
    assert [e["message"] for e in body["errors"]] == ["more than 50 directives found. Allowed: 50"]


async def test_fragments_spread_many_times_cost_what_their_text_costs(gql, no_error_logs):
    """Each fragment spreads the next one twice: 2^24 paths. The depth and alias limiters used to
    follow every path (seconds at 18 levels, doubling with each) and a chain of 300 fragments
    overflowed their stack (a masked 500 with a traceback in the log)."""
    levels = 24
    bomb = (
        "{ ...F0 } "
        + " ".join(f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels))
        + f" fragment F{levels} on Query {{ __typename }}"
    )
    started = time.monotonic()
    assert (await gql.ok(bomb)) == {"__typename": "Query"}
    assert time.monotonic() - started < 2.0
    aliased = bomb.replace(
        f"fragment F{levels} on Query {{ __typename }}", f"fragment F{levels} on Query {{ a: __typename }}"
    )
    body = await gql(aliased)
    assert [e["message"] for e in body["errors"]] == [f"{2**levels} aliases found. Allowed: 30"]
    chain = (
        "{ ...F0 } "
        + " ".join(f"fragment F{i} on Query {{ ...F{i + 1} }}" for i in range(300))
        + " fragment F300 on Query { __typename }"
    )
    body = await gql(chain)
    assert body["errors"] and "Internal server error" not in json.dumps(body)


async def test_every_limit_is_read_from_the_settings(services, db_url, users, no_error_logs):
    settings = Settings.from_env(
        {
            "DATABASE_URL": db_url,
            "TANDEM_SECRET_KEY": TEST_SECRET,
            "TANDEM_MAX_DEPTH": "3",
            "TANDEM_MAX_ALIASES": "2",
            "TANDEM_MAX_TOKENS": "60",
            "TANDEM_MAX_DIRECTIVES": "2",
            "TANDEM_MAX_QUERY_COST": "10",
        }
    )
    rep = await users.create()
    async with client_for(create_app(settings, services)) as http:
        gql = GraphQLClient(http)
        assert await gql.ok("{ customers(first: 9) { edges { node { id } } } }", token=rep.token)
        error = too_complex(await gql("{ customers(first: 10) { edges { node { id } } } }", token=rep.token))
        assert error["message"] == "query cost 11 exceeds the limit of 10"
        body = await gql("{ customers { edges { node { owner { name } } } } }", token=rep.token)
        assert [e["message"] for e in body["errors"]] == ["'anonymous' exceeds maximum operation depth of 3"]
        body = await gql("{ a: __typename b: __typename c: __typename }")
        assert [e["message"] for e in body["errors"]] == ["3 aliases found. Allowed: 2"]
        body = await gql("{ __typename @skip(if: false) __typename @skip(if: false) __typename @skip(if: false) }")
        assert [e["message"] for e in body["errors"]] == ["more than 2 directives found. Allowed: 2"]
        body = await gql("{ " + " ".join(["__typename"] * 61) + " }")
        assert "tokens" in body["errors"][0]["message"]
    # The default app is not affected by another app's limits (the validation cache keys on the rules).
    async with client_for(create_app(services.settings, services)) as http:
        assert await GraphQLClient(http).ok("{ a: __typename b: __typename c: __typename }")


# ----------------------------------------------------------------------------- subscriptions


@pytest.mark.timeout(120)
async def test_subscriptions_are_checked_the_same_way(db_url, users):
    """Over a real WebSocket to a real server: inputs and cost are checked before the subscription starts."""
    from tests.support.realtime import Server, Subscriber, token_for

    account = await users.create("SERVICE")
    server = await Server(db_url).start()
    try:
        cases = [
            (
                'subscription { ticketBoard(filter: {search: "' + "n" * 201 + '"}) { cursor } }',
                {},
                "BAD_USER_INPUT",
                "`filter.search` is longer than 200 characters",
            ),
            (
                "subscription($a: String) { orderHandoffs(after: $a) { cursor } }",
                {"a": "1\x00"},
                "BAD_USER_INPUT",
                "`$a` contains a NUL character (U+0000), which cannot be stored",
            ),
            (
                "subscription { ticketBoard { ticket { customer { tickets(first: 100) { edges { node { customer { "
                "tickets(first: 100) { edges { node { customer { contacts { name } } } } } } } } } } } } }",
                {},
                "QUERY_TOO_COMPLEX",
                "query cost 1,020,304 exceeds the limit of 50,000",
            ),
        ]
        for query, variables, code, message in cases:
            sub = await Subscriber(server.ws, token_for(account.user), query, variables).connect()
            reply = json.loads(await asyncio.wait_for(sub.ws.recv(), 10))
            await sub.close()
            assert reply["type"] == "error", reply
            [error] = reply["payload"]
            assert (error.get("extensions", {}).get("code"), error["message"]) == (code, message), error
        # Within the limit (20,304), a heavy one subscribes: no error message comes back.
        query = (
            "subscription { ticketBoard { ticket { customer { tickets(first: 100) { edges { node { "
            "comments(first: 100) { edges { node { body } } } customer { contacts { name } } } } } } } } }"
        )
        sub = await Subscriber(server.ws, token_for(account.user), query).connect()
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(sub.ws.recv(), 1)
        await sub.close()
        assert "Traceback" not in server.log_tail()
    finally:
        server.stop()
