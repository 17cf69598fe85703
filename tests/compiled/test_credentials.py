"""The compiled read's credential check (schema/compiled/credentials.py): a credential that
authenticated once is checked again inside each later statement, and the moment the stored rows
disagree the request is answered as a fresh authentication would answer it."""

from __future__ import annotations

import pytest

from services import accounts
from services.unit_of_work import unit_of_work
from tests.compiled.test_differential import BENCH_BOARD
from tests.support.compiled import Pair
from tests.support.database import statements


@pytest.fixture
async def pair(services):
    pair = await Pair.start(services, customers=8)
    yield pair
    await pair.close()


async def read(pair: Pair, principal: str) -> tuple[int, dict, list[str], list[str]]:
    """The board through the compiled app: status, body, statements of the full way and the short way."""
    db = pair.services.db
    with statements(db.engine) as full_way, statements(db.reads_engine) as short_way:
        response = await pair.clients["compiled"].post(
            "/graphql", json={"query": BENCH_BOARD}, headers={"Authorization": f"Bearer {pair.tokens[principal]}"}
        )
    return response.status_code, response.json(), full_way, short_way


async def change(pair: Pair, work) -> None:
    async with unit_of_work(pair.services.db.sessions, None, pair.services.clock) as uow:
        await work(uow)


async def user_id(pair: Pair, principal: str):
    known = pair.credentials().get(pair.tokens[principal], pair.services.clock.now())
    assert known is not None, f"{principal}'s credential is not remembered"
    return known.principal.id


async def warm(pair: Pair, principal: str) -> None:
    await read(pair, principal)
    status, body, full_way, short_way = await read(pair, principal)
    assert status == 200 and not body.get("errors") and full_way == [] and len(short_way) == 1


async def test_a_deactivated_users_token_stops_on_the_very_next_request(pair):
    await warm(pair, "service")
    uid = await user_id(pair, "service")
    await change(pair, lambda uow: accounts.set_user_active(uow, uid, False, None))
    _, body, full_way, _ = await read(pair, "service")
    assert body["data"] is None or body["data"] == {"tickets": None}
    assert [e["extensions"]["code"] for e in body["errors"]] == ["UNAUTHENTICATED"]
    assert full_way, "the refused credential is authenticated in full again"
    # As the reference executor answers it, and the credential is no longer remembered.
    assert (await pair.both(BENCH_BOARD, principal="service")).same
    assert pair.credentials().get(pair.tokens["service"], pair.services.clock.now()) is None
    # Reactivation bumps the token generation again: the old token stays refused.
    await change(pair, lambda uow: accounts.set_user_active(uow, uid, True, None))
    _, body, _, _ = await read(pair, "service")
    assert [e["extensions"]["code"] for e in body["errors"]] == ["UNAUTHENTICATED"]


async def test_a_revoked_api_key_stops_on_the_very_next_request(pair):
    await warm(pair, "board key")
    key_id = await user_id(pair, "board key")
    await change(pair, lambda uow: accounts.revoke_api_key(uow, key_id))
    _, body, full_way, _ = await read(pair, "board key")
    assert [e["extensions"]["code"] for e in body["errors"]] == ["UNAUTHENTICATED"]
    assert full_way
    assert (await pair.both(BENCH_BOARD, principal="board key")).same


async def test_a_department_change_is_read_with_the_new_scope(pair):
    await warm(pair, "marketing")
    uid = await user_id(pair, "marketing")
    await change(pair, lambda uow: accounts.update_user(uow, uid, expected_version=None, department="SERVICE"))
    status, body, full_way, short_way = await read(pair, "marketing")
    assert status == 200 and not body.get("errors")
    assert full_way, "the statement refused the old scope: authenticated in full"
    known = pair.credentials().get(pair.tokens["marketing"], pair.services.clock.now())
    assert known is not None and known.principal.department == "SERVICE"
    # From then on the short way again, for the new scope.
    _, _, full_way, short_way = await read(pair, "marketing")
    assert full_way == [] and len(short_way) == 1


async def test_an_expired_token_is_not_answered_from_memory(pair):
    await warm(pair, "supervisor")
    pair.services.clock.advance(hours=13)  # the test token service issues 12-hour tokens
    _, body, _, short_way = await read(pair, "supervisor")
    assert [e["extensions"]["code"] for e in body["errors"]] == ["UNAUTHENTICATED"]
    assert short_way == []


async def test_only_authenticated_credentials_are_remembered(pair):
    before = len(pair.credentials())
    response = await pair.clients["compiled"].post(
        "/graphql", json={"query": BENCH_BOARD}, headers={"Authorization": "Bearer not-a-token"}
    )
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert len(pair.credentials()) == before


async def test_the_short_way_answers_with_the_same_headers_as_the_full_way(pair):
    token = pair.tokens["service"]
    for accept in (None, "application/graphql-response+json", "application/json;q=0.5, */*;q=0.1"):
        headers = {"Authorization": f"Bearer {token}", **({"Accept": accept} if accept else {})}
        answers = []
        for mode in ("compiled", "compiled", "reference"):  # the first compiled one takes the full way
            response = await pair.clients[mode].post("/graphql", json={"query": BENCH_BOARD}, headers=headers)
            answers.append((response.status_code, response.headers["content-type"], response.headers["vary"]))
        assert answers[0] == answers[1] == answers[2], (accept, answers)
    _, _, full_way, short_way = await read(pair, "service")
    assert full_way == [] and len(short_way) == 1  # the second one above did take the short way
