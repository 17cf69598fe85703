"""Sign-in throttling per (email, client address) and per client address, over HTTP from clients at
different addresses: failures slow down whoever makes them, never the account's owner elsewhere."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack

import httpx
import pytest
from alembic import command
from argon2 import PasswordHasher
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from db.migrate import alembic_config
from db.models import User
from services import auth
from tests.support.accounts import PASSWORD
from tests.support.database import rows, run_sql_autocommit
from tests.support.graphql import GraphQLClient

LOGIN = """mutation($i: AuthInput!) { login(input: $i) { token user { id } errors { code field message } } }"""
INVALID = [{"code": "UNAUTHENTICATED", "field": None, "message": "invalid email or password"}]
CHEAP = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
FAST_HASH = CHEAP.hash(PASSWORD)
ATTACKER, VICTIM_HOME = "203.0.113.7", "198.51.100.20"


@pytest.fixture
def cheap_unknown_emails(monkeypatch):
    """Unknown emails are checked against the dummy hash (production cost, ~0.1 s); these tests make
    hundreds of failed attempts, so they use a cheap one. The timing test keeps the real one."""
    monkeypatch.setattr(auth, "_DUMMY_HASH", CHEAP.hash("not-a-real-password"))


@pytest.fixture
async def client_at(app) -> AsyncIterator[Callable[[str | None], GraphQLClient]]:
    """GraphQL clients of the same app, each calling from its own client address."""
    async with AsyncExitStack() as stack:

        def make(host: str | None) -> GraphQLClient:
            transport = httpx.ASGITransport(app=app, client=(host, 40000) if host else None)
            http = httpx.AsyncClient(transport=transport, base_url="http://tandem.test")
            stack.push_async_callback(http.aclose)
            return GraphQLClient(http)

        yield make


async def account(services, email: str, password_hash: str = FAST_HASH) -> User:
    user = User(
        id=uuid.uuid4(),
        email=email,
        name=email.split("@")[0].title(),
        department="SERVICE",
        role="STAFF",
        active=True,
        password_hash=password_hash,
        token_generation=0,
    )
    async with services.db.sessions() as session, session.begin():
        session.add(user)
    return user


async def login(gql: GraphQLClient, email: str, password: str = PASSWORD) -> dict:
    return (await gql.ok(LOGIN, {"i": {"email": email, "password": password}}))["login"]


def signed_in(payload: dict) -> bool:
    return payload["errors"] == [] and bool(payload["token"])


def refusal(payload: dict) -> list[dict]:
    assert payload["token"] is None and payload["user"] is None, payload
    return payload["errors"]


def limited(what: str, seconds: int) -> list[dict]:
    return [
        {"code": "RATE_LIMITED", "field": None, "message": f"too many failed sign-ins {what}; try again in {seconds} s"}
    ]


async def test_failures_elsewhere_never_lock_the_owner_out(client_at, services, clock, cheap_unknown_emails):
    victim = await account(services, "victim@example.com")
    attacker, home = client_at(ATTACKER), client_at(VICTIM_HOME)
    results = [refusal(await login(attacker, "Victim@Example.com", f"guess {i}")) for i in range(20)]
    assert results[:5] == [INVALID] * 5
    assert results[5:] == [limited("for this email", 1)] * 15  # refused unchecked: no longer count

    # The owner, from their own address, is not slowed down at all: right away, and again and again.
    for _ in range(3):
        assert signed_in(await login(home, victim.email))
    # Their success does not lift the attacker's back-off either, which says when to retry.
    assert refusal(await login(attacker, victim.email)) == limited("for this email", 1)
    clock.advance(seconds=1)
    assert refusal(await login(attacker, victim.email, "guess 6")) == INVALID
    assert refusal(await login(attacker, victim.email)) == limited("for this email", 2)
    # ... and that back-off is the attacker's own: the owner still signs in, also after failing once.
    assert refusal(await login(home, victim.email, "typo")) == INVALID
    assert signed_in(await login(home, victim.email))
    assert await rows(services, "SELECT address, failures FROM login_throttle") == [(ATTACKER, 6)]


async def test_one_address_guessing_across_emails_is_slowed_down_for_every_email(
    client_at, services, clock, cheap_unknown_emails
):
    victim = await account(services, "victim@example.com")
    attacker, home = client_at(ATTACKER), client_at(VICTIM_HOME)
    limit = services.settings.login_failures_per_address
    assert limit == 50
    for i in range(limit):  # one guess per email: no (email, address) counter comes near its limit
        assert refusal(await login(attacker, f"person{i}@example.com", "Winter2026!")) == INVALID
    # Now every email is refused from that address, a fresh one or a right password included.
    assert refusal(await login(attacker, "someone.new@example.com")) == limited("from this address", 1)
    assert refusal(await login(attacker, victim.email)) == limited("from this address", 1)
    assert signed_in(await login(home, victim.email))  # other addresses are not affected

    # The back-off doubles with each further failure, like the per-email one, up to 15 minutes.
    expected = 1
    for _ in range(12):
        clock.advance(seconds=expected)
        assert refusal(await login(attacker, f"another{expected}@example.com", "guess")) == INVALID
        expected = min(expected * 2, 900)
        assert refusal(await login(attacker, "x@example.com")) == limited("from this address", expected)
    assert expected == 900
    # A success from the throttled address (once it may try) does not reset the address's count.
    clock.advance(seconds=900)
    assert signed_in(await login(attacker, victim.email))
    assert refusal(await login(attacker, "next@example.com", "guess")) == INVALID
    assert refusal(await login(attacker, "x@example.com")) == limited("from this address", 900)


async def test_parallel_guesses_across_emails_get_no_more_than_the_free_attempts(
    client_at, services, cheap_unknown_emails
):
    attacker = client_at(ATTACKER)
    results = await asyncio.gather(*(login(attacker, f"p{i}@example.com", "guess") for i in range(60)))
    codes = sorted(refusal(r)[0]["code"] for r in results)
    assert codes == ["RATE_LIMITED"] * 10 + ["UNAUTHENTICATED"] * 50
    assert await rows(services, "SELECT address, failures FROM login_address_throttle") == [(ATTACKER, 50)]


@pytest.mark.real_password_hashing
async def test_unknown_and_known_emails_answer_alike(client_at, services, users):
    """Same answers, same counting, about the same time: the throttle reveals no accounts."""
    known = (await users.create("MARKETING", "STAFF")).user  # a production-strength hash, like the dummy's
    attacker = client_at(ATTACKER)
    timings: dict[str, list[float]] = {"known": [], "unknown": []}
    answers: dict[str, list[list[dict]]] = {"known": [], "unknown": []}
    for i in range(7):
        for kind, email in (("known", known.email), ("unknown", "nobody@example.com")):
            started = time.perf_counter()
            answers[kind].append(refusal(await login(attacker, email, f"guess {i}")))
            if i < 5:
                timings[kind].append(time.perf_counter() - started)
    assert answers["known"] == answers["unknown"] == [INVALID] * 5 + [limited("for this email", 1)] * 2
    fastest_known, fastest_unknown = min(timings["known"]), min(timings["unknown"])
    assert 0.5 < fastest_known / fastest_unknown < 2, timings
    assert sorted(await rows(services, "SELECT email, failures FROM login_throttle")) == sorted(
        [(known.email, 5), ("nobody@example.com", 5)]
    )


async def test_forgotten_counters_are_pruned(client_at, services, clock, cheap_unknown_emails):
    """What an attacker can create is bounded: at most two rows per counted failure, each forgotten an
    hour after its back-off ended (then pruned by later sign-ins), and failures per address are
    themselves throttled."""
    attacker = client_at(ATTACKER)
    for i in range(30):
        assert refusal(await login(attacker, f"p{i}@example.com", "guess")) == INVALID
    assert len(await rows(services, "SELECT 1 FROM login_throttle")) == 30
    clock.advance(minutes=59)
    assert refusal(await login(client_at("192.0.2.1"), "a@example.com", "guess")) == INVALID
    assert len(await rows(services, "SELECT 1 FROM login_throttle")) == 31  # not forgotten yet
    clock.advance(minutes=2)
    assert refusal(await login(client_at("192.0.2.2"), "b@example.com", "guess")) == INVALID
    assert sorted(await rows(services, "SELECT address, email FROM login_throttle")) == [
        ("192.0.2.1", "a@example.com"),
        ("192.0.2.2", "b@example.com"),
    ]
    assert sorted(await rows(services, "SELECT address, failures FROM login_address_throttle")) == [
        ("192.0.2.1", 1),
        ("192.0.2.2", 1),
    ]

    # A counter is remembered until an hour after its back-off ended, then starts afresh.
    for i in range(6):
        assert refusal(await login(attacker, "victim@example.com", f"guess {i}")) == INVALID
        if i == 4:
            clock.advance(seconds=1)  # the fifth failure's back-off
    assert refusal(await login(attacker, "victim@example.com")) == limited("for this email", 2)
    clock.advance(hours=1)  # the back-off ended 59:58 ago: still remembered, the next one waits 4 s
    assert refusal(await login(attacker, "victim@example.com", "guess 7")) == INVALID
    assert refusal(await login(attacker, "victim@example.com")) == limited("for this email", 4)
    clock.advance(hours=1, seconds=4)
    assert refusal(await login(attacker, "victim@example.com", "guess 8")) == INVALID
    assert await rows(services, f"SELECT failures FROM login_throttle WHERE address = '{ATTACKER}'") == [(1,)]


async def test_addresses_that_share_a_counter(client_at, services, cheap_unknown_emails):
    """An IPv6 host holds a whole /64: its addresses share one counter. An IPv4-mapped IPv6 address
    is the IPv4 address; a request without a client address counts as "unknown"."""
    assert auth.client_key("2001:db8:1:2::1") == auth.client_key("2001:db8:1:2:ffff::9") == "2001:db8:1:2::/64"
    assert auth.client_key("2001:db8:1:3::1") == "2001:db8:1:3::/64"
    assert auth.client_key("::ffff:192.0.2.7") == auth.client_key(" 192.0.2.7 ") == "192.0.2.7"
    assert auth.client_key(None) == auth.client_key("") == "unknown"
    await login(client_at("2001:db8:1:2::1"), "a@example.com", "guess")
    await login(client_at("2001:db8:1:2::abcd"), "b@example.com", "guess")
    await login(client_at(None), "c@example.com", "guess")
    assert sorted(await rows(services, "SELECT address, failures FROM login_address_throttle")) == [
        ("2001:db8:1:2::/64", 2),
        ("unknown", 1),
    ]


async def test_downgrade_keeps_one_counter_per_email(db_url):
    """Migration 0006's downgrade folds the per-address counters back into one per email."""
    engine = create_async_engine(db_url)
    try:
        await run_sql_autocommit(
            db_url,
            "INSERT INTO login_throttle (email, address, failures, last_failure_at, forget_at) VALUES "
            "('v@example.com', '192.0.2.1', 3, '2026-03-02T09:00Z', '2026-03-02T10:00Z'), "
            "('v@example.com', '192.0.2.2', 4, '2026-03-02T09:05Z', '2026-03-02T10:05Z')",
        )
        await asyncio.to_thread(command.downgrade, alembic_config(db_url), "0005")
        async with engine.connect() as conn:
            rows_ = (await conn.execute(text("SELECT email, failures, last_failure_at FROM login_throttle"))).all()
        assert [(r[0], r[1], r[2].isoformat()) for r in rows_] == [("v@example.com", 7, "2026-03-02T09:05:00+00:00")]
    finally:
        await engine.dispose()
