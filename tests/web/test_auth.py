"""Authentication over HTTP: login, bearer tokens, API keys, throttling, expiry, revocation."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import jwt
import pytest
from sqlalchemy import text

from schema.ids import to_global_id
from tests.conftest import TEST_SECRET
from tests.helpers import PASSWORD, error_codes

LOGIN = """
mutation($i: AuthInput!) {
  login(input: $i) { token user { id name email department role } errors { code field message } }
}"""
ME = "{ me { name department role } }"
CUSTOMERS = "{ customers(first: 1) { totalCount } }"
CREATE_CUSTOMER = """
mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { customer { id name } errors { code } } }"""
UPDATE_USER = """
mutation($i: UpdateUserInput!) { updateUser(input: $i) { user { id role department version } errors { code field message } } }"""
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
    return errors == [{"code": "RATE_LIMITED", "field": None,
                       "message": f"too many failed sign-ins for this email; try again in {seconds} s"}]


async def unauthenticated(gql, query: str, token: str | None, variables: dict | None = None) -> dict:
    body = await gql(query, variables, token)
    assert error_codes(body) == ["UNAUTHENTICATED"], body
    assert body["data"] is None, body
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
    assert payload["user"] == {"id": account.gid, "name": "Lin Wei", "email": account.user.email,
                               "department": "SERVICE", "role": "LEAD"}
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


async def test_empty_credentials_are_refused_the_same_way(gql, users):
    account = await users.create("MARKETING", "STAFF")
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


async def test_five_failures_lock_the_email_until_the_back_off_passes(gql, users, clock, services):
    account = await users.create("MARKETING", "STAFF", email="target@example.com")
    # Five free failures; the case of the address does not give an attacker a fresh counter.
    for i, email in enumerate(["target@example.com", "TARGET@example.com", "Target@Example.com",
                               "target@EXAMPLE.COM", " target@example.com "]):
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


async def test_success_clears_the_failure_counter(gql, users, services):
    account = await users.create("SERVICE", "STAFF")
    for i in range(4):
        assert refused(await login(gql, account.user.email, f"guess {i}")) == INVALID
    assert (await login(gql, account.user.email))["token"]
    assert await throttle_row(services, account.user.email) is None
    # A fresh allowance of five failures: none of these is rate limited.
    for i in range(5):
        assert refused(await login(gql, account.user.email, f"again {i}")) == INVALID
    assert rate_limited(await login(gql, account.user.email), seconds=1)


async def test_unknown_emails_are_throttled_exactly_like_known_ones(gql, users, clock):
    account = await users.create("SERVICE", "STAFF")
    unknown = "ghost@example.com"
    for i in range(5):
        known_payload = await login(gql, account.user.email, f"guess {i}")
        unknown_payload = await login(gql, unknown, f"guess {i}")
        assert refused(known_payload) == refused(unknown_payload) == INVALID
    known_payload = await login(gql, account.user.email, "whatever")
    unknown_payload = await login(gql, unknown, "whatever")
    assert rate_limited(known_payload, seconds=1)
    assert known_payload == unknown_payload
    clock.advance(seconds=1)
    assert refused(await login(gql, unknown, "whatever")) == INVALID


# ---------------------------------------------------------------------------------------- tokens


async def test_a_token_expires_after_twelve_hours(gql, users, clock):
    account = await users.create("MARKETING", "STAFF")
    token = (await login(gql, account.user.email))["token"]
    clock.advance(hours=11, minutes=59)
    assert (await gql.ok(ME, token=token))["me"]["name"] == account.user.name
    clock.advance(minutes=1, seconds=1)
    await unauthenticated(gql, ME, token)
    await unauthenticated(gql, CUSTOMERS, token)
    # Signing in again gives a token that works at the new time.
    fresh = (await login(gql, account.user.email))["token"]
    assert (await gql.ok(ME, token=fresh))["me"]["name"] == account.user.name


async def test_token_validity_follows_the_app_clock_not_the_wall_clock(gql, users, clock):
    """The app judges tokens by its own clock (exp already is); a token issued while that clock is
    ahead of this machine's wall clock (another server, or a simulation) must still be accepted."""
    account = await users.create("MARKETING", "STAFF")
    clock.set(datetime.now(timezone.utc) + timedelta(days=3))
    token = (await login(gql, account.user.email))["token"]
    assert (await gql.ok(ME, token=token))["me"]["name"] == account.user.name


def _forged(claims: dict, key: str = TEST_SECRET, algorithm: str = "HS256") -> str:
    return jwt.encode(claims, key, algorithm=algorithm)


async def test_bad_tokens_are_unauthenticated(gql, users, clock, services):
    account = await users.create("MARKETING", "STAFF")
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


async def test_anonymous_callers_get_unauthenticated_except_for_login(gql, users, services):
    account = await users.create("MARKETING", "STAFF")
    for query in (
        CUSTOMERS,
        ME,
        "{ users(first: 1) { totalCount } }",
        "{ apiKeys { id } }",
        "{ eventCursor }",
        'query($id: ID!) { node(id: $id) { id } }',
    ):
        body = await unauthenticated(gql, query, None, {"id": account.gid} if "$id" in query else None)
        assert body["errors"][0]["message"] == "authentication required: send 'Authorization: Bearer <token>'"

    await unauthenticated(gql, CREATE_CUSTOMER, None, {"i": {"name": "Sneaky Ltd", "idempotencyKey": "k1"}})
    await unauthenticated(gql, CREATE_USER, None, {"i": {"email": "x@example.com", "name": "X", "department": "MARKETING",
                                                         "role": "ADMIN", "password": "long enough pw"}})
    assert await count(services, "customers") == 0
    assert await count(services, "users") == 1
    assert await count(services, "activity") == 1  # only the setup's user.created

    payload = await login(gql, account.user.email)
    assert payload["errors"] == [] and payload["token"]


# -------------------------------------------------------------------------------------- API keys


async def test_api_keys_authenticate_and_stop_working_once_revoked(gql, users, services):
    admin = await users.create("MANAGEMENT", "ADMIN")
    reporting = await users.api_key("reporting", name="BI tool")
    board = await users.api_key("board", name="Office wall")
    await gql.mutate("createCustomer", CREATE_CUSTOMER, {"i": {"name": "Acme"}}, admin.token)

    for key in (reporting, board):
        assert (await gql.ok(CUSTOMERS, token=key))["customers"]["totalCount"] == 1

    keys = (await gql.ok("{ apiKeys { id name prefix revokedAt } }", token=admin.token))["apiKeys"]
    bi = next(k for k in keys if k["name"] == "BI tool")
    assert reporting.startswith(bi["prefix"])
    revoked = await gql.mutate(
        "revokeApiKey",
        "mutation($i: RevokeApiKeyInput!) { revokeApiKey(input: $i) { apiKey { id revokedAt } key errors { code } } }",
        {"i": {"apiKeyId": bi["id"]}}, admin.token,
    )
    assert revoked["apiKey"]["revokedAt"] is not None and revoked["key"] is None

    body = await unauthenticated(gql, CUSTOMERS, reporting)
    assert "invalid, expired or revoked credential" in body["errors"][0]["message"]
    # The other key is unaffected.
    assert (await gql.ok(CUSTOMERS, token=board))["customers"]["totalCount"] == 1


async def test_me_with_an_api_key_is_an_unauthenticated_error(gql, users):
    key = await users.api_key("reporting")
    body = await unauthenticated(gql, ME, key)
    assert body["errors"][0]["path"] == ["me"]
    assert "API keys" in body["errors"][0]["message"]
    # The same request without `me` works: the key itself is fine.
    assert (await gql.ok(CUSTOMERS, token=key))["customers"]["totalCount"] == 0


# ------------------------------------------------------------------------ account state changes


async def test_deactivation_signs_the_user_out_everywhere(gql, users):
    admin = await users.create("MANAGEMENT", "ADMIN")
    victim = await users.create("SERVICE", "STAFF")
    token = (await login(gql, victim.user.email))["token"]
    assert (await gql.ok(ME, token=token))["me"]["name"] == victim.user.name

    await gql.mutate("deactivateUser", USER_ACTION % ("D", "deactivateUser"), {"i": {"userId": victim.gid}}, admin.token)
    for t in (token, victim.token):
        await unauthenticated(gql, ME, t)
        await unauthenticated(gql, CUSTOMERS, t)
        await unauthenticated(gql, CREATE_CUSTOMER, t, {"i": {"name": "After hours"}})
    # The right password no longer signs in, and the refusal reveals nothing about the account.
    assert refused(await login(gql, victim.user.email)) == INVALID

    await gql.mutate("reactivateUser", USER_ACTION % ("R", "reactivateUser"), {"i": {"userId": victim.gid}}, admin.token)
    # Tokens from before the deactivation stay dead; a new sign-in works.
    await unauthenticated(gql, ME, token)
    fresh = (await login(gql, victim.user.email))["token"]
    assert (await gql.ok(ME, token=fresh))["me"]["name"] == victim.user.name


async def test_a_role_change_applies_to_the_next_request_with_the_same_token(gql, users, services):
    admin = await users.create("MANAGEMENT", "ADMIN")
    member = await users.create("MARKETING", "STAFF")
    token = (await login(gql, member.user.email))["token"]
    new_user = {"i": {"email": "promoted.by@example.com", "name": "P", "department": "SERVICE", "role": "STAFF",
                      "password": "long enough pw"}}

    body = await gql(CREATE_USER, new_user, token)
    assert error_codes(body) == ["FORBIDDEN"]

    await gql.mutate("updateUser", UPDATE_USER, {"i": {"userId": member.gid, "role": "ADMIN"}}, admin.token)
    assert (await gql.ok(ME, token=token))["me"]["role"] == "ADMIN"
    created = await gql.mutate("createUser", CREATE_USER, new_user, token)
    assert created["user"]["email"] == "promoted.by@example.com"

    await gql.mutate("updateUser", UPDATE_USER, {"i": {"userId": member.gid, "role": "STAFF", "department": "SERVICE"}},
                     admin.token)
    assert (await gql.ok(ME, token=token))["me"] == {"name": member.user.name, "department": "SERVICE", "role": "STAFF"}
    new_user["i"]["email"] = "second.try@example.com"
    body = await gql(CREATE_USER, new_user, token)
    assert error_codes(body) == ["FORBIDDEN"]
    assert await count(services, "users") == 3
