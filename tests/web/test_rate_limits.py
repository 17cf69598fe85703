"""Rate limits per API key (services/rate_limits.py, web/rate_limit.py): requests per window by the
key's scope, counted in PostgreSQL; RATE_LIMITED with the retry time (HTTP 429 + Retry-After);
people never limited; a refused request runs nothing and counts nothing. The manual clock drives the
window. Across two server processes and over WebSocket: tests/realtime/test_rate_limits.py."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import func, select

from db.models import ApiKeyRateLimit, Event
from tests.support.database import statements
from tests.support.graphql import error_codes

READ = "{ customers(first: 1) { totalCount } }"
CREATE = 'mutation { createCustomer(input: {name: "Acme"}) { customer { id } errors { code message } } }'


@pytest.fixture
async def services(services):
    # Small limits on the test's settings: 3 requests per minute for reporting keys, 2 for board keys.
    services.settings = dataclasses.replace(
        services.settings, rate_limit_reporting=3, rate_limit_board=2, rate_limit_window_seconds=60
    )
    return services


def rate_limited(response, seconds: int, limit: int = 3) -> None:
    assert response.status_code == 429, response.text
    assert response.headers["retry-after"] == str(seconds)
    body = response.json()
    assert "data" not in body
    [error] = body["errors"]
    assert error["message"] == f"too many requests for this API key ({limit} per minute); try again in {seconds} s"
    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert error["extensions"]["retryAfter"] == seconds
    assert error["extensions"]["requestId"]


async def counter(services) -> list[tuple]:
    async with services.db.sessions() as session:
        rows = await session.execute(select(ApiKeyRateLimit.window_start, ApiKeyRateLimit.requests))
        return [tuple(r) for r in rows]


async def test_a_reporting_key_over_its_limit_gets_rate_limited_with_the_retry_time(gql, users, clock):
    key = await users.api_key("reporting")
    for _ in range(3):
        assert (await gql.ok(READ, token=key))["customers"]["totalCount"] == 0
    rate_limited(await gql.raw(READ, token=key), 60)
    clock.advance(seconds=20.5)  # the retry time counts down, rounded up to whole seconds
    rate_limited(await gql.raw(READ, token=key), 40)
    # Another key has its own count.
    assert not (await gql(READ, token=await users.api_key("reporting"))).get("errors")


async def test_the_window_resets_and_refusals_do_not_extend_it(gql, users, clock, services):
    key = await users.api_key("reporting")
    for _ in range(3):
        await gql.ok(READ, token=key)
    started = (await counter(services))[0][0]
    for second in (10, 30, 59):
        clock.advance(seconds=second - (clock.now() - started).total_seconds())
        rate_limited(await gql.raw(READ, token=key), 60 - second)
    assert await counter(services) == [(started, 4)]  # the limit + 1: refused, window unchanged
    clock.advance(seconds=1)  # 60 s after the window began: a new one, from this request
    for _ in range(3):
        await gql.ok(READ, token=key)
    assert await counter(services) == [(clock.now(), 3)]
    rate_limited(await gql.raw(READ, token=key), 60)


async def test_the_limit_is_per_scope_and_board_keys_have_theirs(gql, users):
    board = await users.api_key("board")
    for _ in range(2):
        await gql.ok(READ, token=board)
    rate_limited(await gql.raw(READ, token=board), 60, limit=2)


async def test_people_are_never_limited(gql, users, services):
    person = await users.create("SERVICE", "STAFF")
    for _ in range(10):
        await gql.ok(READ, token=person.token)
    assert await counter(services) == []  # not even counted


async def test_a_limited_request_changes_nothing_and_runs_nothing(gql, users, services):
    key = await users.api_key("reporting")
    for _ in range(3):
        await gql.ok(READ, token=key)
    async with services.db.sessions() as session:
        events = await session.scalar(select(func.count()).select_from(Event))
    # A key may not create customers: within its limit that is FORBIDDEN, over it nothing runs at all.
    response = await gql.raw(CREATE, token=key)
    rate_limited(response, 60)
    async with services.db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Event)) == events
    assert (await counter(services))[0][1] == 4


async def test_the_refusal_follows_the_negotiated_media_type(gql, users, clock):
    key = await users.api_key("reporting")
    for _ in range(3):
        await gql.ok(READ, token=key)
    response = await gql.raw(READ, token=key, headers={"Accept": "application/graphql-response+json"})
    rate_limited(response, 60)
    assert response.headers["content-type"] == "application/graphql-response+json"
    assert "Accept" in response.headers["vary"]


async def test_a_bad_credential_is_not_counted(gql, services):
    body = await gql(READ, token="tdk_not-a-key")
    assert error_codes(body) == ["UNAUTHENTICATED"]
    assert await counter(services) == []


@pytest.mark.read_executor("compiled")
async def test_the_compiled_short_way_counts_once_per_request(gql, users, services):
    """The first request authenticates in full, the next ones take web/compiled_http.py: each of the
    three is counted once (a short way that declines and the full way do not count it twice)."""
    key = await users.api_key("reporting")
    for expected in (1, 2, 3):
        with statements(services.db.engine, services.db.reads_engine) as sql:
            await gql.ok(READ, token=key)
        assert (await counter(services))[0][1] == expected
        if expected > 1:  # a remembered key: the read is one statement, its count included
            assert len(sql) == 1 and "api_key_rate_limits" in sql[0], sql
    rate_limited(await gql.raw(READ, token=key), 60)
    rate_limited(await gql.raw(CREATE, token=key), 60)  # the full way (a mutation) is refused the same


@pytest.mark.read_executor("reference")
async def test_the_reference_executor_counts_each_request_by_its_own_upsert(gql, users, services):
    """Nothing is remembered there: each request authenticates in full and is counted by one upsert."""
    key = await users.api_key("reporting")
    for expected in (1, 2, 3):
        with statements(services.db.reads_engine) as sql:
            await gql.ok(READ, token=key)
        assert [s for s in sql if "api_key_rate_limits" in s] == [sql[0]] and len(sql) == 1, sql
        assert (await counter(services))[0][1] == expected
    rate_limited(await gql.raw(READ, token=key), 60)


def test_the_settings_read_their_variables():
    from settings import Settings

    settings = Settings.from_env(
        {
            "TANDEM_RATE_LIMIT_REPORTING": "7",
            "TANDEM_RATE_LIMIT_BOARD": "9",
            "TANDEM_RATE_LIMIT_WINDOW_SECONDS": "30",
        }
    )
    assert (settings.rate_limit_reporting, settings.rate_limit_board, settings.rate_limit_window_seconds) == (7, 9, 30)
    assert Settings.from_env({}).rate_limit_reporting == 120
    with pytest.raises(ValueError, match="TANDEM_RATE_LIMIT_BOARD must be positive"):
        Settings.from_env({"TANDEM_RATE_LIMIT_BOARD": "0"})
