"""Authentication over HTTP: login, bearer tokens, API keys, throttling, expiry, revocation."""

from __future__ import annotations

import asyncio
import gc
import time
import uuid
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from sqlalchemy import text

from tests.support.accounts import FAST_HASH, PASSWORD, TEST_SECRET, fast_account
from tests.support.graphql import error_codes

# Sign-in is about passwords: keep the production Argon2 parameters (rehash and stall tests rely on them).
pytestmark = pytest.mark.real_password_hashing

LOGIN = """
mutation($i: AuthInput!) {
  login(input: $i) { token user { id name email department role } errors { code field message } }
}"""
ME = "{ me { name department role } }"
CUSTOMERS = "{ customers(first: 1) { totalCount } }"
CREATE_CUSTOMER = """
mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { customer { id name } errors { code } } }"""
UPDATE_USER = """
mutation($i: UpdateUserInput!) {
  updateUser(input: $i) { user { id role department version } errors { code field message } }
}"""
USER_ACTION = """
mutation %s($i: UserActionInput!) { %s(input: $i) { user { id active } errors { code field message } } }"""
CREATE_USER = """
mutation($i: CreateUserInput!) { createUser(input: $i) { user { id email } errors { code field message } } }"""

INVALID = [{"code": "UNAUTHENTICATED", "field": None, "message": "invalid email or password"}]


async def login(gql, email: str, password: str = PASSWORD) -> dict:
    body = await gql(LOGIN, {"i": {"email": email, "password": password}})
    assert not body.get("errors"), body["errors"]  # refusals are user errors in the payload
    return body["data"]["login"]


def refused(payload: dict) -> list[dict]:
    """The user errors of a refused login, after checking nothing else came back."""
    assert payload["token"] is None and payload["user"] is None, payload
    return payload["errors"]


def rate_limited(payload: dict, seconds: int) -> bool:
    errors = refused(payload)
    return errors == [
        {
            "code": "RATE_LIMITED",
            "field": None,
            "message": f"too many failed sign-ins for this email; try again in {seconds} s",
        }
    ]


async def unauthenticated(gql, query: str, token: str | None, variables: dict | None = None) -> dict:
    body = await gql(query, variables, token)
    assert error_codes(body) == ["UNAUTHENTICATED"], body
    # Nothing comes back: null data, or (for the nullable `node`) a null field.
    assert body["data"] in (None, {"node": None}), body
    return body


async def throttle_row(services, email: str):
    async with services.db.sessions() as s:
        row = (await s.execute(text("SELECT failures FROM login_throttle WHERE email = :e"), {"e": email})).first()
    return None if row is None else row[0]


async def count(services, table: str) -> int:
    async with services.db.sessions() as s:
        return (await s.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one()


# ---------------------------------------------------------------------------------------- login


async def test_login_token_is_a_bearer_credential(gql, users):
    account = await users.create("SERVICE", "LEAD", name="Lin Wei")
    payload = await login(gql, account.user.email)
    assert payload["errors"] == []
    assert payload["user"] == {
        "id": account.gid,
        "name": "Lin Wei",
        "email": account.user.email,
        "department": "SERVICE",
        "role": "LEAD",
    }
    token = payload["token"]
    assert isinstance(token, str) and token.count(".") == 2  # a JWT

    response = await gql.raw("{ me { name department } }", token=token)
    assert response.status_code == 200
    assert response.json() == {"data": {"me": {"name": "Lin Wei", "department": "SERVICE"}}}
    request_id = response.headers.get("x-request-id")
    assert request_id and request_id.isalnum()

    # A sane request id from a proxy is kept and echoed; every response carries one.
    echoed = await gql.raw("{ me { name } }", token=token, headers={"X-Request-ID": "proxy42abc"})
    assert echoed.headers["x-request-id"] == "proxy42abc"
    for bad in ("not ok!", "x" * 65, "a/b"):
        replaced = await gql.raw("{ me { name } }", token=token, headers={"X-Request-ID": bad})
        assert replaced.headers["x-request-id"] != bad and replaced.headers["x-request-id"].isalnum()
    anonymous = await gql.raw(CUSTOMERS)
    assert anonymous.headers.get("x-request-id")
    assert anonymous.headers["x-request-id"] != request_id


async def test_wrong_password_and_unknown_email_are_indistinguishable(gql, users, services):
    account = await users.create("MARKETING", "STAFF")
    wrong_password = await login(gql, account.user.email, "not the password")
    unknown_email = await login(gql, "nobody.here@example.com", "not the password")
    assert refused(wrong_password) == INVALID
    assert refused(unknown_email) == INVALID
    assert wrong_password == unknown_email
    # Both failures are counted, for the existing and the unknown address alike.
    assert await throttle_row(services, account.user.email) == 1
    assert await throttle_row(services, "nobody.here@example.com") == 1
    # Empty credentials read the same too.
    assert refused(await login(gql, account.user.email, "")) == INVALID
    assert refused(await login(gql, "", "")) == INVALID


async def test_email_matching_is_case_insensitive(gql, users):
    account = await users.create("MARKETING", "STAFF", email="Mei.Chen@Example.COM")
    assert account.user.email == "mei.chen@example.com"
    payload = await login(gql, "  MEI.chen@EXAMPLE.com ")
    assert payload["errors"] == []
    assert payload["user"]["id"] == account.gid
    me = await gql.ok(ME, token=payload["token"])
    assert me["me"]["name"] == account.user.name


# ------------------------------------------------------------------------------------- throttle


async def test_five_failures_lock_the_email_until_the_back_off_passes(gql, clock, services):
    account = await fast_account(services, "MARKETING", "STAFF", email="target@example.com")
    # Five free failures; the case of the address does not give an attacker a fresh counter.
    for i, email in enumerate(
        ["target@example.com", "TARGET@example.com", "Target@Example.com", "target@EXAMPLE.COM", " target@example.com "]
    ):
        assert refused(await login(gql, email, f"guess {i}")) == INVALID
    assert await throttle_row(services, "target@example.com") == 5

    # Now even the right password is refused, and the refusal does not extend the counter.
    assert rate_limited(await login(gql, account.user.email), seconds=1)
    assert rate_limited(await login(gql, "TARGET@EXAMPLE.COM", "another guess"), seconds=1)
    assert await throttle_row(services, "target@example.com") == 5

    # The back-off doubles: after it passes, one more failure locks for 2 s.
    clock.advance(seconds=1)
    assert refused(await login(gql, account.user.email, "guess 6")) == INVALID
    assert rate_limited(await login(gql, account.user.email), seconds=2)
    clock.advance(seconds=1.5)
    assert rate_limited(await login(gql, account.user.email), seconds=1)
    clock.advance(seconds=0.5)

    payload = await login(gql, account.user.email)
    assert payload["errors"] == [] and payload["token"]
    assert (await gql.ok(ME, token=payload["token"]))["me"]["name"] == account.user.name
    # Signing in upgraded the account's weak test hash to the production parameters.
    async with services.db.sessions() as s:
        stored = (
            await s.execute(text("SELECT password_hash FROM users WHERE id = :u"), {"u": account.user.id})
        ).scalar()
    assert stored != FAST_HASH and stored.startswith("$argon2id$") and "m=65536" in stored


async def test_success_clears_the_failure_counter(gql, services):
    account = await fast_account(services, "SERVICE", "STAFF")
    for i in range(4):
        assert refused(await login(gql, account.user.email, f"guess {i}")) == INVALID
    assert await throttle_row(services, account.user.email) == 4
    assert (await login(gql, account.user.email))["token"]
    assert await throttle_row(services, account.user.email) is None
    # Counting starts again from zero: had the four old failures stayed, the fifth below would lock.
    for i in range(2):
        assert refused(await login(gql, account.user.email, f"again {i}")) == INVALID
    assert await throttle_row(services, account.user.email) == 2


async def test_unknown_emails_are_throttled_exactly_like_known_ones(gql, clock, services):
    """Same counting, same refusal text as for a real account (see the test above it): the throttle
    does not reveal which addresses have accounts."""
    unknown = "ghost@example.com"
    for i in range(5):
        assert refused(await login(gql, unknown, f"guess {i}")) == INVALID
    assert rate_limited(await login(gql, unknown, "whatever"), seconds=1)
    assert await throttle_row(services, unknown) == 5
    clock.advance(seconds=1)
    assert refused(await login(gql, unknown, "whatever")) == INVALID
    assert rate_limited(await login(gql, "GHOST@example.com", "whatever"), seconds=2)


async def test_concurrent_guesses_get_no_more_than_the_free_attempts(gql, services):
    """Firing guesses in parallel must not slip past the counter: attempts on one email are counted one
    after another, so exactly five are checked and the rest are refused."""
    account = await fast_account(services, "MARKETING", "STAFF")
    results = await asyncio.gather(*(login(gql, account.user.email, f"parallel guess {i}") for i in range(12)))
    codes = sorted(refused(r)[0]["code"] for r in results)
    assert codes == ["RATE_LIMITED"] * 7 + ["UNAUTHENTICATED"] * 5
    assert await throttle_row(services, account.user.email) == 5


async def test_password_checks_do_not_stall_other_requests(gql):
    """Argon2 takes a noticeable time by design; it must run off the event loop, or every sign-in
    freezes all other requests (and live boards) of the process meanwhile."""
    from services.auth import _DUMMY_HASH, _verify

    timings = []
    for _ in range(2):  # what an unknown email costs (the faster of two, as noise only adds)
        started = time.perf_counter()
        assert _verify(_DUMMY_HASH, "wrong password") is False
        timings.append(time.perf_counter() - started)
    one_check = min(timings)

    gaps: list[float] = []
    done = asyncio.Event()

    async def ticker():
        last = time.perf_counter()
        while not done.is_set():
            await asyncio.sleep(0.002)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    tick = asyncio.create_task(ticker())
    gc.disable()  # a collector pause is not what this test is about
    try:
        results = await asyncio.gather(*(login(gql, f"ghost{i}@example.com", "wrong password") for i in range(3)))
    finally:
        gc.enable()
        done.set()
        await tick
    assert all(refused(r) == INVALID for r in results)
    # Checks run on the loop would stall it for about three checks in all; off the loop, the ticker
    # keeps ticking (a lone scheduling hiccup on a busy machine is tolerated).
    stalled = sum(g for g in gaps if g > one_check / 4)
    assert stalled < 1.5 * one_check, (stalled, one_check, sorted(gaps)[-3:])


# ---------------------------------------------------------------------------------------- tokens


async def test_tokens_expire_after_twelve_hours_of_app_clock_time(gql, clock, services):
    account = await fast_account(services, "MARKETING", "STAFF")
    token = (await login(gql, account.user.email))["token"]
    clock.advance(hours=11, minutes=59)
    assert (await gql.ok(ME, token=token))["me"]["name"] == account.user.name
    clock.advance(minutes=1, seconds=1)
    await unauthenticated(gql, ME, token)
    await unauthenticated(gql, CUSTOMERS, token)
    # Signing in again gives a token that works at the new time.
    fresh = (await login(gql, account.user.email))["token"]
    assert (await gql.ok(ME, token=fresh))["me"]["name"] == account.user.name

    # Tokens are judged by the app's clock (exp already is), never by this machine's wall clock: a
    # token issued while the app clock is ahead of the wall clock (another server, a simulation) works.
    clock.set(datetime.now(UTC) + timedelta(days=3))
    ahead = (await login(gql, account.user.email))["token"]
    assert (await gql.ok(ME, token=ahead))["me"]["name"] == account.user.name
    clock.advance(hours=12)
    await unauthenticated(gql, ME, ahead)


def _forged(claims: dict, key: str = TEST_SECRET, algorithm: str = "HS256") -> str:
    return jwt.encode(claims, key, algorithm=algorithm)


async def test_bad_tokens_are_unauthenticated(gql, clock, services):
    account = await fast_account(services, "MARKETING", "STAFF")
    now = int(clock.now().timestamp())
    good_claims = {"sub": str(account.user.id), "gen": 0, "iat": now, "exp": now + 3600, "typ": "access"}
    # Sanity: the claims we forge from are accepted when signed with the server's key.
    assert (await gql.ok(ME, token=_forged(good_claims)))["me"]["name"] == account.user.name

    bad = {
        "garbage": "garbage",
        "other key": _forged(good_claims, key="some-other-secret-key-that-is-long-enough"),
        "alg none": jwt.encode(good_claims, None, algorithm="none"),
        "wrong type": _forged({**good_claims, "typ": "refresh"}),
        "old generation": _forged({**good_claims, "gen": 7}),
        "unknown user": _forged({**good_claims, "sub": str(uuid.uuid4())}),
        "not a uuid": _forged({**good_claims, "sub": "admin"}),
        "expired": _forged({**good_claims, "exp": now - 1}),
        "no exp": _forged({k: v for k, v in good_claims.items() if k != "exp"}),
        "tampered": account.token[:-3] + ("AAA" if not account.token.endswith("AAA") else "BBB"),
        "unknown api key": "tdk_" + "x" * 43,
    }
    for label, token in bad.items():
        body = await gql(ME, token=token)
        assert error_codes(body) == ["UNAUTHENTICATED"], (label, body)
        assert body["data"] is None, label
        assert "invalid, expired or revoked credential" in body["errors"][0]["message"], label
        body = await gql(CUSTOMERS, token=token)
        assert error_codes(body) == ["UNAUTHENTICATED"], (label, body)

    # Other authorization schemes and an empty bearer are simply "no credential".
    for header in ("Basic dXNlcjpwYXNz", "Bearer", "Bearer    ", account.token):
        response = await gql.http.post("/graphql", json={"query": CUSTOMERS}, headers={"Authorization": header})
        assert response.status_code == 200
        assert error_codes(response.json()) == ["UNAUTHENTICATED"], header
    assert await count(services, "customers") == 0


async def test_anonymous_callers_get_unauthenticated_except_for_login(gql, services):
    account = await fast_account(services, "MARKETING", "STAFF")
    for query in (
        CUSTOMERS,
        ME,
        "{ users(first: 1) { totalCount } }",
        "{ apiKeys { id } }",
        "{ eventCursor }",
        "query($id: ID!) { node(id: $id) { id } }",
    ):
        body = await unauthenticated(gql, query, None, {"id": account.gid} if "$id" in query else None)
        assert body["errors"][0]["message"] == "authentication required: send 'Authorization: Bearer <token>'"

    await unauthenticated(gql, CREATE_CUSTOMER, None, {"i": {"name": "Sneaky Ltd", "idempotencyKey": "k1"}})
    await unauthenticated(
        gql,
        CREATE_USER,
        None,
        {
            "i": {
                "email": "x@example.com",
                "name": "X",
                "department": "MARKETING",
                "role": "ADMIN",
                "password": "long enough pw",
            }
        },
    )
    assert await count(services, "customers") == 0
    assert await count(services, "users") == 1
    assert await count(services, "activity") == 0

    payload = await login(gql, account.user.email)
    assert payload["errors"] == [] and payload["token"]

    # A failed sign-in authenticates nothing that follows it in the same request.
    body = await gql(
        """mutation($i: AuthInput!, $c: CreateCustomerInput!) {
        login(input: $i) { token errors { code } } createCustomer(input: $c) { customer { id } } }""",
        {"i": {"email": account.user.email, "password": "wrong"}, "c": {"name": "Piggyback Ltd"}},
    )
    assert body["data"] is None or body["data"].get("createCustomer") is None
    assert "UNAUTHENTICATED" in error_codes(body)
    assert await count(services, "customers") == 0


# -------------------------------------------------------------------------------------- API keys


async def test_api_keys_authenticate_and_stop_working_once_revoked(gql, users, services):
    admin = await fast_account(services, "MANAGEMENT", "ADMIN")
    reporting = await users.api_key("reporting", name="BI tool")
    board = await users.api_key("board", name="Office wall")
    await gql.mutate("createCustomer", CREATE_CUSTOMER, {"i": {"name": "Acme"}}, admin.token)

    for key in (reporting, board):
        assert (await gql.ok(CUSTOMERS, token=key))["customers"]["totalCount"] == 1
        # `me` is for people: with a key it is a clear UNAUTHENTICATED error, not a crash.
        body = await unauthenticated(gql, ME, key)
        assert body["errors"][0]["path"] == ["me"]
        assert body["errors"][0]["message"] == "`me` is for signed-in people; API keys have no user"

    keys = (await gql.ok("{ apiKeys { id name prefix revokedAt } }", token=admin.token))["apiKeys"]
    bi = next(k for k in keys if k["name"] == "BI tool")
    assert reporting.startswith(bi["prefix"])
    revoked = await gql.mutate(
        "revokeApiKey",
        "mutation($i: RevokeApiKeyInput!) { revokeApiKey(input: $i) { apiKey { id revokedAt } key errors { code } } }",
        {"i": {"apiKeyId": bi["id"]}},
        admin.token,
    )
    assert revoked["apiKey"]["revokedAt"] is not None and revoked["key"] is None

    body = await unauthenticated(gql, CUSTOMERS, reporting)
    assert "invalid, expired or revoked credential" in body["errors"][0]["message"]
    # The other key is unaffected.
    assert (await gql.ok(CUSTOMERS, token=board))["customers"]["totalCount"] == 1


# ------------------------------------------------------------------------ account state changes


async def test_deactivation_signs_the_user_out_everywhere(gql, services):
    admin = await fast_account(services, "MANAGEMENT", "ADMIN")
    victim = await fast_account(services, "SERVICE", "STAFF")
    token = (await login(gql, victim.user.email))["token"]
    assert (await gql.ok(ME, token=token))["me"]["name"] == victim.user.name

    await gql.mutate(
        "deactivateUser", USER_ACTION % ("D", "deactivateUser"), {"i": {"userId": victim.gid}}, admin.token
    )
    for t in (token, victim.token):
        await unauthenticated(gql, ME, t)
        await unauthenticated(gql, CUSTOMERS, t)
        await unauthenticated(gql, CREATE_CUSTOMER, t, {"i": {"name": "After hours"}})
    # The right password no longer signs in, and the refusal reveals nothing about the account.
    assert refused(await login(gql, victim.user.email)) == INVALID

    await gql.mutate(
        "reactivateUser", USER_ACTION % ("R", "reactivateUser"), {"i": {"userId": victim.gid}}, admin.token
    )
    # Tokens from before the deactivation stay dead; a new sign-in works.
    await unauthenticated(gql, ME, token)
    fresh = (await login(gql, victim.user.email))["token"]
    assert (await gql.ok(ME, token=fresh))["me"]["name"] == victim.user.name


async def test_a_role_change_applies_to_the_next_request_with_the_same_token(gql, services):
    admin = await fast_account(services, "MANAGEMENT", "ADMIN")
    member = await fast_account(services, "MARKETING", "STAFF")
    token = (await login(gql, member.user.email))["token"]
    new_user = {
        "i": {
            "email": "promoted.by@example.com",
            "name": "P",
            "department": "SERVICE",
            "role": "STAFF",
            "password": "long enough pw",
        }
    }

    body = await gql(CREATE_USER, new_user, token)
    assert error_codes(body) == ["FORBIDDEN"]

    await gql.mutate("updateUser", UPDATE_USER, {"i": {"userId": member.gid, "role": "ADMIN"}}, admin.token)
    assert (await gql.ok(ME, token=token))["me"]["role"] == "ADMIN"
    created = await gql.mutate("createUser", CREATE_USER, new_user, token)
    assert created["user"]["email"] == "promoted.by@example.com"

    await gql.mutate(
        "updateUser", UPDATE_USER, {"i": {"userId": member.gid, "role": "STAFF", "department": "SERVICE"}}, admin.token
    )
    assert (await gql.ok(ME, token=token))["me"] == {"name": member.user.name, "department": "SERVICE", "role": "STAFF"}
    new_user["i"]["email"] = "second.try@example.com"
    body = await gql(CREATE_USER, new_user, token)
    assert error_codes(body) == ["FORBIDDEN"]
    assert await count(services, "users") == 3
