"""A credential that changes while its WebSockets are open: deactivated users, revoked API keys and
expired login tokens are cut off (4401) on every server process within a second; a role or
department change re-scopes the open sockets instead (services/realtime/connections.py)."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from services.auth import TokenService
from tests.support.accounts import PASSWORD
from tests.support.realtime import SECRET, UPDATE_CUSTOMER, Server, Subscriber, closed_at, health, token_for

pytestmark = pytest.mark.timeout(180)

EVENTS = "subscription { events(types: [CUSTOMER_UPDATED]) { cursor type } }"
CREATE = 'mutation { createCustomer(input: {name: "Acme"}) { customer { id } errors { message } } }'
DEACTIVATE = "mutation($u: ID!) { deactivateUser(input: {userId: $u}) { user { active } errors { code message } } }"
REACTIVATE = "mutation($u: ID!) { reactivateUser(input: {userId: $u}) { user { active } errors { code message } } }"
REVOKE = "mutation($k: ID!) { revokeApiKey(input: {apiKeyId: $k}) { apiKey { revokedAt } errors { code message } } }"
UPDATE_USER = (
    "mutation($u: ID!, $d: Department, $r: Role) { updateUser(input: {userId: $u, department: $d, role: $r}) "
    "{ user { department role } errors { code message } } }"
)


def pg_bus_url(db_url: str) -> str:
    return "postgres" + db_url[db_url.index("://") :]


@pytest.fixture
async def two_servers(db_url):
    bus = pg_bus_url(db_url)
    servers = [await Server(db_url, bus).start(), await Server(db_url, bus).start()]
    yield servers
    for s in servers:
        s.stop()


async def subscribe(servers: list[Server], token: str) -> list[Subscriber]:
    return [await Subscriber(s.ws, token, EVENTS).connect() for s in servers]


async def all_receive(subscribers: list[Subscriber]) -> None:
    for sub in subscribers:
        assert (await sub.next())["events"]["type"] == "CUSTOMER_UPDATED"


async def closes_after(action, subscribers: list[Subscriber]) -> list[tuple[int | None, float]]:
    """Run `action` (a mutation) while waiting for the subscribers' closes; each close's code and
    seconds since the mutation was sent (its commit is later than that)."""
    waiting = [asyncio.create_task(closed_at(sub)) for sub in subscribers]
    await asyncio.sleep(0.05)
    sent = time.monotonic()
    await action()
    return [(code, at - sent) for code, at in await asyncio.gather(*waiting)]


async def api_key_id(server: Server, admin: str, name: str) -> str:
    keys = (await server.mutate(admin, "{ apiKeys { id name } }"))["apiKeys"]
    return next(k["id"] for k in keys if k["name"] == name)


async def test_deactivated_user_and_revoked_key_are_cut_off_on_both_processes(two_servers, users):
    a, b = two_servers
    admin = token_for((await users.create("MANAGEMENT", "ADMIN")).user)
    employee = await users.create("SERVICE", "STAFF")
    colleague = token_for((await users.create("SERVICE", "STAFF")).user)
    board = await users.api_key("board", name="Hall screen")
    employee_subs = await subscribe(two_servers, token_for(employee.user))
    board_subs = await subscribe(two_servers, board)
    colleague_subs = await subscribe(two_servers, colleague)
    await asyncio.sleep(0.5)
    customer = (await a.mutate(admin, CREATE))["createCustomer"]["customer"]["id"]
    await a.mutate(admin, UPDATE_CUSTOMER, {"c": customer, "r": "North"})
    await all_receive(employee_subs + board_subs + colleague_subs)  # all live before

    # Deactivated through server A: both of the employee's sockets close with 4401 within a second.
    closes = await closes_after(lambda: a.mutate(admin, DEACTIVATE, {"u": employee.gid}), employee_subs)
    assert [code for code, _ in closes] == [4401, 4401]
    assert max(seconds for _, seconds in closes) < 1.0, closes
    await b.mutate(admin, UPDATE_CUSTOMER, {"c": customer, "r": "South"})
    await all_receive(board_subs + colleague_subs)  # nobody else is touched

    # The board key revoked through server B: both of its sockets, on A and on B.
    key = await api_key_id(a, admin, "Hall screen")
    closes = await closes_after(lambda: b.mutate(admin, REVOKE, {"k": key}), board_subs)
    assert [code for code, _ in closes] == [4401, 4401]
    assert max(seconds for _, seconds in closes) < 1.0, closes
    await a.mutate(admin, UPDATE_CUSTOMER, {"c": customer, "r": "East"})
    await all_receive(colleague_subs)

    # Re-activation touches no socket; the employee signs in again with a new token and is live.
    await a.mutate(admin, REACTIVATE, {"u": employee.gid})
    employee.user.token_generation += 2  # deactivation and re-activation each bumped it
    again = await subscribe(two_servers, token_for(employee.user))
    await asyncio.sleep(0.3)
    await b.mutate(admin, UPDATE_CUSTOMER, {"c": customer, "r": "West"})
    await all_receive(again + colleague_subs)
    assert [(await health(s))["connections"] for s in two_servers] == [2, 2]  # the colleague's and the new one
    for sub in again + colleague_subs:
        await sub.close()


async def renders_for_one_event(
    servers: list[Server], admin: str, customer: str, region: str, subscribers: list[Subscriber]
) -> list[int]:
    before = [(await health(s))["renders"] for s in servers]
    await servers[0].mutate(admin, UPDATE_CUSTOMER, {"c": customer, "r": region})
    await all_receive(subscribers)
    return [(await health(s))["renders"] - was for s, was in zip(servers, before, strict=True)]


async def test_a_role_change_re_scopes_the_open_sockets(two_servers, users):
    """Every person may subscribe, so a changed department or role keeps the socket open and swaps
    its principal: the next event renders with the new permission scope. Renders are shared per
    scope (schema/fanout.py), so the counters show which scope each socket renders with."""
    a, b = two_servers
    admin = token_for((await users.create("MANAGEMENT", "ADMIN")).user)
    mover = await users.create("MARKETING", "STAFF")
    service = token_for((await users.create("SERVICE", "STAFF")).user)
    subscribers = await subscribe(two_servers, token_for(mover.user)) + await subscribe(two_servers, service)
    await asyncio.sleep(0.5)
    customer = (await a.mutate(admin, CREATE))["createCustomer"]["customer"]["id"]
    # A marketing and a service scope on each process: two renders per process.
    assert await renders_for_one_event(two_servers, admin, customer, "R1", subscribers) == [2, 2]

    await b.mutate(admin, UPDATE_USER, {"u": mover.gid, "d": "SERVICE"})
    # Both sockets of the mover now act for the service department: one shared render per process.
    assert await renders_for_one_event(two_servers, admin, customer, "R2", subscribers) == [1, 1]

    await a.mutate(admin, UPDATE_USER, {"u": mover.gid, "r": "ADMIN"})
    assert await renders_for_one_event(two_servers, admin, customer, "R3", subscribers) == [2, 2]
    assert [(await health(s))["connections"] for s in two_servers] == [2, 2]  # nobody was cut off
    for sub in subscribers:
        await sub.close()


LOGIN = (
    "mutation($e: String!, $p: String!) { login(input: {email: $e, password: $p}) { token errors { code message } } }"
)


async def test_login_tokens_are_cut_off_when_they_expire(db_url, users):
    server = await Server(db_url, TANDEM_TOKEN_TTL_SECONDS="3").start()
    try:
        person = await users.create("MARKETING", "STAFF")
        lasting_token = token_for(person.user)  # 12 hours
        # One token from the server's own login (its TTL is 3 s), one issued here with the same TTL.
        signed_in = (await server.mutate(lasting_token, LOGIN, {"e": person.user.email, "p": PASSWORD}))["login"]
        assert signed_in["errors"] == [], signed_in
        issued = TokenService(SECRET, timedelta(seconds=3)).issue(person.user, datetime.now(UTC))
        tokens = [signed_in["token"], issued]
        expiring = [await Subscriber(server.ws, t, EVENTS).connect() for t in tokens]
        lasting = await Subscriber(server.ws, lasting_token, EVENTS).connect()
        await asyncio.sleep(0.3)
        customer = (await server.mutate(lasting_token, CREATE))["createCustomer"]["customer"]["id"]
        await server.mutate(lasting_token, UPDATE_CUSTOMER, {"c": customer, "r": "North"})
        await all_receive([*expiring, lasting])  # live until they expire

        async def closed_wall_clock(sub: Subscriber) -> tuple[int | None, float]:
            code, _ = await closed_at(sub, timeout=10)
            return code, datetime.now(UTC).timestamp()

        closes = await asyncio.gather(*(closed_wall_clock(sub) for sub in expiring))
        for token, (code, when) in zip(tokens, closes, strict=True):
            expires = jwt.decode(token, options={"verify_signature": False})["exp"]
            assert code == 4401
            assert expires - 0.2 <= when <= expires + 1.0, (when, expires)  # at the token's `exp`
        # The same person's socket with a token still valid stays.
        await server.mutate(lasting_token, UPDATE_CUSTOMER, {"c": customer, "r": "South"})
        await all_receive([lasting])
        await lasting.close()
    finally:
        server.stop()
