"""What a client sees when things go wrong, the probes, and the development/production differences."""

from __future__ import annotations

import logging
from datetime import timedelta

import httpx
import pytest

import resolvers.customers
import services.customers as customer_service
from db.models import Customer
from db.repositories import customers as customers_repo
from db.session import Database
from schema.context import AppServices
from services.auth import TokenService
from settings import Settings
from tests.support.accounts import TEST_SECRET
from tests.support.database import CUSTOMER_WRITES, row_counts
from tests.support.graphql import GraphQLClient, error_codes
from web.app import create_app

CREATE = """mutation($i: CreateCustomerInput!) { createCustomer(input: $i) {
  customer { id name } errors { code field message } } }"""


def make_settings(env: str, db_url: str) -> Settings:
    return Settings.from_env({"TANDEM_ENV": env, "DATABASE_URL": db_url, "TANDEM_SECRET_KEY": TEST_SECRET})


@pytest.fixture
async def prod(services, db_url):
    """A client of the app as configured for production, on the test's database."""
    app = create_app(make_settings("production", db_url), services)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://tandem.test") as client:
        yield GraphQLClient(client)


# ----------------------------------------------------------------------------- masking


async def test_unexpected_exception_is_masked_and_logged(gql, users, services, monkeypatch, caplog):
    rep = await users.create()
    before = await row_counts(services, CUSTOMER_WRITES)

    async def boom(uow, data):
        uow.session.add(Customer(name="half-written", lifecycle_stage="LEAD"))  # must be rolled back
        await uow.session.flush()
        raise RuntimeError("secret detail: password=hunter2")

    assert resolvers.customers.service is customer_service  # the resolver looks the function up at call time
    monkeypatch.setattr(customer_service, "create_customer", boom)
    caplog.set_level(logging.ERROR, logger="tandem.graphql")

    response = await gql.raw(CREATE, {"i": {"name": "Acme", "idempotencyKey": "k1"}}, rep.token)
    assert response.status_code == 200
    request_id = response.headers["x-request-id"]
    assert request_id
    body = response.json()
    assert body["data"] is None
    [error] = body["errors"]
    assert error["message"] == f"Internal server error (request id {request_id})"
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id}
    assert error["path"] == ["createCustomer"]
    assert "secret" not in response.text and "hunter2" not in response.text
    assert "RuntimeError" not in response.text and "Traceback" not in response.text

    records = [r for r in caplog.records if r.name == "tandem.graphql"]
    assert len(records) == 1
    record = records[0]
    assert record.levelno == logging.ERROR
    assert request_id in record.getMessage()
    assert record.exc_info and isinstance(record.exc_info[1], RuntimeError)
    assert "secret detail" in caplog.text and "Traceback" in caplog.text
    # The failed mutation rolled back (its idempotency claim included).
    assert await row_counts(services, CUSTOMER_WRITES) == before


@pytest.mark.read_executor("reference")  # a repository fails on purpose
async def test_client_request_id_is_echoed_and_used(gql, users, services, monkeypatch, caplog):
    rep = await users.create()

    async def boom(*args, **kwargs):
        raise ValueError("internal state")

    monkeypatch.setattr(customers_repo, "page", boom)
    caplog.set_level(logging.ERROR, logger="tandem.graphql")
    response = await gql.raw("{ customers { totalCount } }", token=rep.token, headers={"X-Request-ID": "abc123"})
    assert response.headers["x-request-id"] == "abc123"
    [error] = response.json()["errors"]
    assert error["message"] == "Internal server error (request id abc123)"
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR", "requestId": "abc123"}
    assert "internal state" not in response.text
    assert "abc123" in caplog.text and "internal state" in caplog.text

    # Ids a proxy could not have meant (or that would garble a log line) are replaced.
    for bad in ("has spaces", "x" * 65, "semi;colon", ""):
        r = await gql.raw("{ __typename }", headers={"X-Request-ID": bad})
        assert r.headers["x-request-id"] != bad
        assert r.headers["x-request-id"].isalnum()
    ok = await gql.raw("{ __typename }")
    other = await gql.raw("{ __typename }")
    assert ok.headers["x-request-id"] != other.headers["x-request-id"]


async def test_expected_and_client_errors_are_returned_as_they_are(gql, users, caplog):
    rep = await users.create()
    caplog.set_level(logging.INFO, logger="tandem")
    body = await gql("{ customers(first: 500) { totalCount } }", token=rep.token)
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert "first must be between 0 and 100" in body["errors"][0]["message"]
    body = await gql("{ customers { totalCount } }")
    assert error_codes(body) == ["UNAUTHENTICATED"]
    body = await gql("{ customers { totalCount } }", token="not-a-token")
    assert error_codes(body) == ["UNAUTHENTICATED"]
    assert "invalid" in body["errors"][0]["message"]
    key = await users.api_key("reporting")
    body = await gql(CREATE, {"i": {"name": "x"}}, key)
    assert error_codes(body) == ["FORBIDDEN"]

    response = await gql.raw("{ customers { totalCount ", token=rep.token)
    body = response.json()
    assert response.status_code == 200
    [error] = body["errors"]
    assert error["message"] == "Syntax Error: Expected Name, found <EOF>."
    assert error["locations"]
    assert "Internal server error" not in response.text

    body = (await gql.raw("{ customers { nope } }", token=rep.token)).json()
    [error] = body["errors"]
    assert error["message"] == "Cannot query field 'nope' on type 'CustomerConnection'."
    assert body["data"] is None

    body = (await gql.raw("query($n: Int!) { customers(first: $n) { totalCount } }", token=rep.token)).json()
    assert "Expected a value of non-null type 'Int!'" in body["errors"][0]["message"]

    body = (await gql.raw(CREATE, {"i": {"name": 42}}, rep.token)).json()
    assert "has invalid value" in body["errors"][0]["message"]
    assert all("Internal server error" not in e["message"] for e in body["errors"])
    # Client mistakes are not server errors: nothing is logged for them.
    assert not [r for r in caplog.records if r.name == "tandem.graphql"]


def nested(levels: int) -> str:
    """`{ customers { edges { node { owner { x { x ... } } } } } }` with `levels` fields in the deepest path."""
    names = ["customers", "edges", "node", "owner"] + ["x"] * (levels - 4)
    query = "name"
    for name in reversed(names[: levels - 1]):
        query = f"{name} {{ {query} }}"
    return "{ " + query + " }"


async def test_depth_limit(gql, users):
    rep = await users.create()
    ok = await gql.ok(
        "{ customers { edges { node { timeline { edges { node { actor { name } } } } } } } }", token=rep.token
    )
    assert ok["customers"]["edges"] == []
    too_deep = await gql(nested(14), token=rep.token)
    assert too_deep.get("data") is None
    messages = [e["message"] for e in too_deep["errors"]]
    assert any("exceeds maximum operation depth of 12" in m for m in messages), messages
    # The same shape one level shallower is refused for its unknown fields only, not for its depth.
    shallower = await gql(nested(13), token=rep.token)
    assert not any("depth" in e["message"] for e in shallower["errors"]), shallower["errors"]
    # Fragments do not hide depth.
    fragment_query = (
        "query { customers { edges { ...N } } } fragment N on CustomerEdge { node { owner { "
        + "x { " * 10
        + "name"
        + " }" * 10
        + " } } }"
    )
    body = await gql(fragment_query, token=rep.token)
    assert any("exceeds maximum operation depth" in e["message"] for e in body["errors"])

    # Aliases and tokens are limited too.
    aliases = " ".join(f"a{i}: __typename" for i in range(31))
    body = await gql("{ " + aliases + " }", token=rep.token)
    assert body.get("data") is None
    assert [e["message"] for e in body["errors"]] == ["31 aliases found. Allowed: 30"]
    assert len((await gql.ok("{ " + " ".join(f"a{i}: __typename" for i in range(30)) + " }")).keys()) == 30
    huge = "{ " + " ".join(["__typename"] * 5001) + " }"
    body = await gql(huge, token=rep.token)
    assert body.get("data") is None
    assert "tokens" in body["errors"][0]["message"], body["errors"]


# ----------------------------------------------------------------------------- probes


async def test_health_probes(http):
    r = await http.get("/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok"}
    assert r.headers["x-request-id"]
    r = await http.get("/readyz")
    assert r.status_code == 200 and r.json() == {"status": "ok"}


async def test_readyz_is_503_when_the_database_is_unreachable(clock):
    dead = AppServices(
        db=Database.connect("postgresql+asyncpg://postgres@127.0.0.1:1/x"),
        clock=clock,
        tokens=TokenService(TEST_SECRET, timedelta(hours=1)),
        settings=make_settings("development", "postgresql+asyncpg://postgres@127.0.0.1:1/x"),
    )
    app = create_app(dead.settings, dead)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            r = await client.get("/readyz")
            assert r.status_code == 503
            assert r.json()["status"] == "unavailable"
            assert (await client.get("/healthz")).status_code == 200  # alive, just not ready
    finally:
        await dead.db.dispose()


# ----------------------------------------------------------------------------- development vs production


async def test_graphiql_only_in_development(http, prod):
    r = await http.get("/graphql", headers={"Accept": "text/html"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert "graphiql" in r.text.lower()
    r = await prod.http.get("/graphql", headers={"Accept": "text/html"})
    assert r.status_code == 404
    assert "graphiql" not in r.text.lower()


INTROSPECTION = "{ __schema { types { name } } }"


async def test_introspection_only_in_development(gql, prod, users):
    data = await gql.ok(INTROSPECTION)
    assert "Customer" in {t["name"] for t in data["__schema"]["types"]}
    for query in (INTROSPECTION, '{ __type(name: "Customer") { fields { name } } }'):
        body = await prod(query)
        assert body.get("data") is None, query
        assert "introspection has been disabled" in body["errors"][0]["message"]
        assert "Customer" not in str(body) or query.startswith("{ __type")
    # __typename is not introspection and keeps working; so does the API itself.
    rep = await users.create()
    assert (await prod.ok("{ __typename }")) == {"__typename": "Query"}
    assert (await prod.ok("{ me { name } }", token=rep.token))["me"]["name"] == rep.user.name


async def test_production_does_not_suggest_names(gql, prod, users):
    rep = await users.create()
    probes = [
        "{ customer { totalCount } }",  # field on Query
        "{ customers { totalCont } }",  # field on a type
        "{ customers(frist: 1) { totalCount } }",  # argument
        "{ customers { edges { node { ... on Custmer { name } } } } }",  # type
        'mutation { createCustomer(input: {nam: "x"}) { errors { code } } }',  # input field
        'mutation { createCustomer(input: {name: "x", lifecycleStage: LEADS}) { errors { code } } }',  # enum value
    ]
    leaks = []
    for query in probes:
        dev = await gql(query, token=rep.token)
        assert any("Did you mean" in e["message"] for e in dev["errors"]), (query, dev)
        body = await prod(query, token=rep.token)
        assert body["errors"] and body.get("data") is None, query
        leaks += [e["message"] for e in body["errors"] if "Did you mean" in e["message"]]
    assert leaks == []
    # Variables are checked against the input types too.
    body = await prod(
        "mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { errors { code } } }",
        {"i": {"nam": "x"}},
        rep.token,
    )
    assert body["errors"] and not any("Did you mean" in e["message"] for e in body["errors"]), body


def test_validation_results_are_cached_across_requests():
    """Regression: limiters built per request made a new rule class each time, so the validation
    cache (keyed on the rules) never hit and every request paid full validation."""
    from strawberry.extensions.validation_cache import _get_validate_cache

    from schema.schema import build_schema

    schema = build_schema()
    cache = _get_validate_cache(512)
    before = cache.cache_info()
    for _ in range(3):
        assert schema.execute_sync("{ __typename }").errors is None
    after = cache.cache_info()
    assert after.hits - before.hits >= 2
