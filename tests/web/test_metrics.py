"""GET /metrics (web/metrics.py): off unless TANDEM_METRICS=1 or TANDEM_METRICS_TOKEN (404), the token as
a Bearer credential (401 without), and a Prometheus text page that the client's own parser reads, with
the request just made by operation and outcome, the executors' counts, and — from a real server
process — open WebSockets, subscriptions, the event log's lag, the SLA watcher and the pools."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import AsyncIterator

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from settings import Settings
from tests.support.realtime import UPDATE_CUSTOMER, Server, Subscriber, token_for
from web.app import create_app

pytestmark = pytest.mark.timeout(180)

ME = "query Me { me { name } }"
CUSTOMERS = "query Customers { customers(first: 5) { totalCount edges { node { name } } } }"
EVENTS = "subscription { events(types: [CUSTOMER_UPDATED]) { cursor type } }"
CREATE = 'mutation NewCustomer { createCustomer(input: {name: "Acme"}) { customer { id } errors { message } } }'


def parse(text: str) -> dict[tuple[str, tuple], float]:
    """Every sample of the page: (name, sorted labels) -> value, through prometheus_client's parser."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(samples: dict, name: str, **labels: str) -> float | None:
    return samples.get((name, tuple(sorted(labels.items()))))


@pytest.fixture
async def client(services, request) -> AsyncIterator[httpx.AsyncClient]:
    """An app over the test's services, with metrics on (or the settings the test parametrizes)."""
    changes = getattr(request, "param", {"metrics": True})
    app = create_app(dataclasses.replace(services.settings, **changes), services)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://tandem.test") as http:
        yield http


async def scrape(http: httpx.AsyncClient, **headers: str) -> dict:
    response = await http.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return parse(response.text)


async def test_metrics_are_off_by_default(http):
    assert (await http.get("/metrics")).status_code == 404
    assert Settings.from_env({}).metrics is False


def test_settings_turn_metrics_on_by_flag_or_token():
    assert Settings.from_env({"TANDEM_METRICS": "1"}).metrics is True
    with_token = Settings.from_env({"TANDEM_METRICS_TOKEN": "scrape-me"})
    assert (with_token.metrics, with_token.metrics_token) == (True, "scrape-me")


async def test_the_request_just_made_is_counted_by_operation_and_outcome(client, users):
    account = await users.create("MARKETING", "STAFF")
    auth = {"Authorization": f"Bearer {account.token}"}
    before = await scrape(client)
    assert value(before, "tandem_request_duration_seconds_count", operation="Me", outcome="ok") is None

    for _ in range(2):
        r = await client.post("/graphql", json={"query": ME, "operationName": "Me"}, headers=auth)
        assert r.status_code == 200 and "errors" not in r.json(), r.text
    anonymous = await client.post("/graphql", json={"query": ME})  # no credential
    assert anonymous.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    invalid = await client.post("/graphql", json={"query": "query Broken { noSuchField }"}, headers=auth)
    assert invalid.json()["errors"]

    samples = await scrape(client)
    assert value(samples, "tandem_request_duration_seconds_count", operation="Me", outcome="ok") == 2
    assert value(samples, "tandem_request_duration_seconds_bucket", operation="Me", outcome="ok", le="+Inf") == 2
    assert value(samples, "tandem_request_duration_seconds_sum", operation="Me", outcome="ok") > 0
    assert value(samples, "tandem_request_duration_seconds_count", operation="Me", outcome="unauthenticated") == 1
    assert value(samples, "tandem_request_duration_seconds_count", operation="Broken", outcome="invalid") == 1
    # Compiled vs reference executions (the same counters as GET /healthz), and the process's own.
    assert value(samples, "tandem_graphql_executions_total", executor="reference") is not None
    assert value(samples, "tandem_graphql_executions_total", executor="compiled") is not None
    assert value(samples, "process_resident_memory_bytes") > 0


@pytest.mark.parametrize("client", [{"metrics": True, "read_executor": "compiled"}], indirect=True)
async def test_reads_answered_on_the_compiled_short_way_are_counted_too(client, users):
    account = await users.create("SERVICE", "STAFF")
    auth = {"Authorization": f"Bearer {account.token}"}
    compiled_before = value(await scrape(client), "tandem_graphql_executions_total", executor="compiled") or 0
    for _ in range(3):  # the first authenticates in full, the others take web/compiled_http.py
        r = await client.post("/graphql", json={"query": CUSTOMERS}, headers=auth)
        assert r.status_code == 200 and "errors" not in r.json(), r.text
    samples = await scrape(client)
    assert value(samples, "tandem_request_duration_seconds_count", operation="Customers", outcome="ok") == 3
    assert value(samples, "tandem_graphql_executions_total", executor="compiled") >= compiled_before + 3


async def test_invented_operation_names_cannot_grow_the_page_without_bound(client, users, monkeypatch):
    from web import metrics

    monkeypatch.setattr(metrics, "MAX_SERIES", 3)
    account = await users.create("MARKETING", "STAFF")
    for n in range(6):
        await client.post(
            "/graphql",
            json={"query": f"query Op{n} {{ me {{ name }} }}"},
            headers={"Authorization": f"Bearer {account.token}"},
        )
    samples = await scrape(client)
    names = {dict(labels)["operation"] for name, labels in samples if name == "tandem_request_duration_seconds_count"}
    assert names == {"Op0", "Op1", "Op2", "_other"}
    assert value(samples, "tandem_request_duration_seconds_count", operation="_other", outcome="ok") == 3


@pytest.mark.parametrize("client", [{"metrics": True, "metrics_token": "scrape-secret"}], indirect=True)
async def test_a_metrics_token_is_required_when_set(client):
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic scrape-secret"}):
        r = await client.get("/metrics", headers=headers)
        assert r.status_code == 401, headers
        assert r.headers["www-authenticate"] == "Bearer"
    samples = await scrape(client, Authorization="Bearer scrape-secret")
    assert value(samples, "tandem_graphql_executions_total", executor="reference") is not None


async def poll(server: Server, check, timeout: float = 15) -> dict:
    """Scrape `server` until `check(samples)` holds; fails with the last page's figures."""
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient() as http:
        while True:
            r = await http.get(f"{server.http}/metrics", headers={"Authorization": "Bearer scrape-secret"})
            assert r.status_code == 200, r.text
            samples = parse(r.text)
            if check(samples):
                return samples
            if time.monotonic() > deadline:
                raise AssertionError({k: v for k, v in samples.items() if k[0].startswith("tandem_")})
            await asyncio.sleep(0.2)


async def test_a_real_server_reports_sockets_subscriptions_log_lag_watcher_and_pools(db_url, users):
    server = await Server(db_url, TANDEM_METRICS_TOKEN="scrape-secret", TANDEM_SLA_WATCH_INTERVAL="0.2").start()
    try:
        async with httpx.AsyncClient() as http:
            assert (await http.get(f"{server.http}/metrics")).status_code == 401
        person = token_for((await users.create("MARKETING", "STAFF")).user)
        board = await users.api_key("board")
        sub = await Subscriber(server.ws, board, EVENTS).connect()
        assert sub.close_code is None
        samples = await poll(
            server,
            lambda s: (
                value(s, "tandem_websockets_open") == 1
                and value(s, "tandem_websocket_connections") == 1
                and value(s, "tandem_subscriptions") == 1
            ),
        )
        dispatched = value(samples, "tandem_events_dispatched_total")

        customer = (await server.mutate(person, CREATE))["createCustomer"]["customer"]["id"]
        await server.mutate(person, UPDATE_CUSTOMER, {"c": customer, "r": "North"})
        assert (await sub.next())["events"]["type"] == "CUSTOMER_UPDATED"
        samples = await poll(
            server,
            lambda s: (
                value(s, "tandem_events_dispatched_total") >= dispatched + 2
                and value(s, "tandem_sla_scans_total", result="ok") >= 1
            ),
        )
        assert value(samples, "tandem_event_log_lag") == 0
        delivered = value(samples, "tandem_event_log_delivered_id")
        assert delivered == value(samples, "tandem_event_log_newest_id") and delivered > 0
        assert value(samples, "tandem_sla_watcher_leader") == 1
        assert value(samples, "tandem_db_pool_size", pool="main") > 0
        assert value(samples, "tandem_db_pool_in_use", pool="reads") is not None
        assert value(samples, "tandem_request_duration_seconds_count", operation="NewCustomer", outcome="ok") == 1

        await sub.close()
        await poll(server, lambda s: value(s, "tandem_websockets_open") == 0 and value(s, "tandem_subscriptions") == 0)
    finally:
        server.stop()
