"""`actionItems` and `node(id:)` of an ActionItem, compiled, against the reference byte for byte.

`overdue` (the field and the filter) is relative to the request's clock: the compiled statement binds
`now` per request (schema/compiled/sql.py NOW), so the same plan must follow the clock as the reference
does. The tests move the shared ManualClock onto the items' due times (just before, at, just after)
and compare. Tokens here live for ten years, so moving the clock days ahead keeps every caller signed
in (a real expiry would make both executors agree on UNAUTHENTICATED and prove nothing).

The property test is synchronous with its own event loop, as tests/compiled/test_property.py is.
"""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from db.session import Database
from schema.context import AppServices
from schema.ids import to_global_id
from services.auth import TokenService
from services.clock import ManualClock
from services.rules.action_items import ACTION_ITEM_SOURCES, ACTION_ITEM_STATUSES, UNFINISHED_STATUSES
from settings import Settings
from tests.compiled.test_property import CUSTOMER, EXAMPLES, FEEDBACK, SLA, TICKET, selection
from tests.support.accounts import TEST_SECRET
from tests.support.compiled import PRINCIPALS, Pair, close_own_pair, walk_pages
from tests.support.database import rows

LONG_LIVED = timedelta(days=3650)

ACTION_ITEM = ["id", "number", "title", "description", "source", "status", "dueAt", "outcome", "verifiedAt"]
ACTION_ITEM += ["verificationNote", "createdAt", "version", "overdue", "__typename"]
USER = ["id", "name", "department", "role", "active", "version", "__typename"]  # no gated e-mail

PAGE = """query Page($n: Int, $after: String, $filter: ActionItemFilter) {
  actionItems(first: $n, after: $after, filter: $filter) {
    totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id number title status source dueAt overdue outcome verifiedAt verificationNote
      createdAt version owner { id name } createdBy { name } verifiedBy { name role }
      customer { id name owner { name } } feedback { id score ticket { number } } ticket { id number
      sla { state } } } } } }"""
NODE = """query($id: ID!) { node(id: $id) { __typename id ... on ActionItem { number status overdue dueAt
  owner { name } customer { code } feedback { score } ticket { number } verifiedBy { name } } } }"""


async def _long_lived_pair(services: Any) -> Pair:
    return await Pair.start(dataclasses.replace(services, tokens=TokenService(TEST_SECRET, LONG_LIVED)))


@pytest.fixture
async def pair(services):
    pair = await _long_lived_pair(services)
    yield pair
    await pair.close()


async def _items(services: Any) -> list[tuple]:
    """(id, status, due_at, owner_id, customer_id) of every demo action item."""
    return await rows(services, "SELECT id, status, due_at, owner_id, customer_id FROM action_items ORDER BY id")


async def test_the_demo_has_every_state_and_the_list_compiles_for_every_caller(pair):
    items = await _items(pair.services)
    assert {status for _, status, *_ in items} == set(ACTION_ITEM_STATUSES)
    now = pair.services.clock.now()
    late = [i for i in items if i[1] in UNFINISHED_STATUSES and i[2] < now]
    assert late and len(late) < len(items)  # overdue and not, at the demo's own clock
    for principal in PRINCIPALS:
        _, pages = await pair.walk(PAGE, "actionItems", {"n": 4}, principal)
        assert pages > 1
        body = await pair.agree(PAGE, {"n": 100}, principal, compiles=True)
        flags = {e["node"]["overdue"] for e in body["data"]["actionItems"]["edges"]}
        assert flags == {True, False}


async def test_filters_compile_and_agree(pair):
    items = await _items(pair.services)
    owner = to_global_id("User", items[0][3])
    customer = to_global_id("Customer", next(i[4] for i in items if i[4] is not None))
    filters = [
        {},
        {"status": []},
        {"status": ["OPEN", "IN_PROGRESS"]},
        {"status": ["VERIFIED"], "source": ["FEEDBACK"]},
        {"source": ["SUPERVISION", "ROOT_CAUSE_REVIEW"]},
        {"ownerId": owner},
        {"customerId": customer, "overdue": False},
        {"overdue": True},
        {"overdue": False, "status": ["OPEN", "DONE"]},
        {"overdue": None, "ownerId": owner, "source": []},
        {"ownerId": to_global_id("User", "00000000-0000-0000-0000-000000000000")},  # nobody's: empty
    ]
    for principal in ("service", "reporting key"):
        for f in filters:
            await pair.walk(PAGE, "actionItems", {"n": 3, "filter": f}, principal)
    # A literal filter in the document compiles the same.
    literal = PAGE.replace(", $filter: ActionItemFilter", "").replace(
        "filter: $filter", f'filter: {{status: [OPEN, IN_PROGRESS], overdue: true, ownerId: "{owner}"}}'
    )
    await pair.agree(literal, {"n": 5}, "board key", compiles=True)


async def test_what_the_reference_refuses_falls_back(pair):
    cases = [
        {"n": 101},
        {"n": 5, "after": "not-a-cursor"},
        {"n": 5, "filter": {"ownerId": "bm9wZQ=="}},  # malformed: BAD_USER_INPUT
        {"n": 5, "filter": {"customerId": to_global_id("User", "00000000-0000-0000-0000-000000000000")}},
    ]
    for variables in cases:
        body = await pair.agree(PAGE, variables, "marketing", compiles=False)
        assert body["errors"], variables
    # The timeline is Activity's (reference): the whole operation goes there, and agrees.
    await pair.agree(
        "{ actionItems(first: 3) { edges { node { id timeline { totalCount } } } } }", None, compiles=False
    )


async def test_overdue_follows_the_clock(pair):
    """At an unfinished item's due time it is not yet overdue (due_at < now); a microsecond later it
    is; a finished one never is. The same documents (plans) answer every moment."""
    clock = pair.services.clock
    items = await _items(pair.services)
    unfinished = [i for i in items if i[1] in UNFINISHED_STATUSES]
    finished = [i for i in items if i[1] not in UNFINISHED_STATUSES]
    assert unfinished and finished
    later = {"filter": {"overdue": True}, "n": 100}
    for item_id, _, due_at, *_ in unfinished:
        node_id = to_global_id("ActionItem", item_id)
        for moment, expected in ((due_at - timedelta(microseconds=1), False), (due_at, False)):
            clock.set(moment)
            await _check(pair, node_id, expected, later)
        clock.set(due_at + timedelta(microseconds=1))
        await _check(pair, node_id, True, later)
    clock.set(max(i[2] for i in items) + timedelta(days=1))
    for item_id, *_ in finished:
        await _check(pair, to_global_id("ActionItem", item_id), False, later)
    body = await pair.agree(PAGE, later, "supervisor", compiles=True)
    assert body["data"]["actionItems"]["totalCount"] == len(unfinished)


async def _check(pair: Pair, node_id: str, expected: bool, variables: dict) -> None:
    for principal in ("service", "board key"):
        body = await pair.agree(NODE, {"id": node_id}, principal, compiles=True)
        assert body["data"]["node"]["overdue"] is expected, (node_id, pair.services.clock.now())
        listed = await pair.agree(PAGE, variables, principal, compiles=True)
        ids = {e["node"]["id"] for e in listed["data"]["actionItems"]["edges"]}
        assert (node_id in ids) is expected
        listed = await pair.agree(PAGE, {**variables, "filter": {"overdue": False}}, principal, compiles=True)
        assert (node_id in {e["node"]["id"] for e in listed["data"]["actionItems"]["edges"]}) is not expected


# ---------------------------------------------------------------------------------------------- property


def user() -> st.SearchStrategy[str]:
    return selection(USER, {})


def action_item() -> st.SearchStrategy[str]:
    relations = {
        "owner": user(),
        "createdBy": user(),
        "verifiedBy": user(),
        "customer": selection(CUSTOMER, {"owner": user()}),
        "feedback": selection(FEEDBACK, {"ticket": selection(TICKET, {})}),
        "ticket": selection(TICKET, {"sla": selection(SLA, {}), "assignee": user()}),
    }
    return selection(ACTION_ITEM, relations)


@dataclasses.dataclass(frozen=True)
class World:
    """What the strategies draw from: the demo's items (their due times, owners, customers)."""

    due: tuple[Any, ...]
    owners: tuple[str, ...]
    customers: tuple[str, ...]


@st.composite
def item_filter(draw, world: World) -> dict | None:
    if draw(st.integers(0, 4)) == 0:
        return None
    f: dict[str, Any] = {}
    if draw(st.booleans()):
        f["status"] = draw(st.lists(st.sampled_from(ACTION_ITEM_STATUSES), max_size=3, unique=True))
    if draw(st.integers(0, 2)) == 0:
        f["source"] = draw(st.lists(st.sampled_from(ACTION_ITEM_SOURCES), max_size=3, unique=True))
    if draw(st.integers(0, 2)) == 0:
        f["ownerId"] = draw(st.sampled_from([*world.owners, None, "bm9wZQ=="]))  # the last: BAD_USER_INPUT
    if draw(st.integers(0, 3)) == 0:
        f["customerId"] = draw(st.sampled_from([*world.customers, None]))
    if draw(st.booleans()):
        f["overdue"] = draw(st.sampled_from([True, False, None]))
    return f


@st.composite
def moment(draw, world: World) -> Any:
    """The request's clock: on, just before or after some item's due time, or hours and days off it."""
    due = draw(st.sampled_from(world.due))
    offsets = [0, 1, -1, 3_600_000_000, -3_600_000_000, 86_400_000_000 * 9, -86_400_000_000 * 9]
    return due + timedelta(microseconds=draw(st.sampled_from(offsets)))


@st.composite
def case(draw, world: World) -> tuple[str, list[dict], Any, str]:
    """A document, the variables of the pages it walks, the clock and the caller."""
    body = draw(action_item())
    wrap = draw(st.sampled_from(["plain", "inline", "fragment"]))
    fragments = ""
    if wrap == "inline":
        body = f"... on ActionItem {{ {body} }} ... on Node {{ id }}"
    elif wrap == "fragment":
        fragments, body = f"fragment A on ActionItem {{ {body} }}", "...A"
    extra = draw(st.sampled_from(["", "totalCount", "pageInfo { hasPreviousPage startCursor __typename }"]))
    text = f"""query Q($n: Int, $after: String, $filter: ActionItemFilter, $yes: Boolean!) {{
      list: actionItems(first: $n, after: $after, filter: $filter) {{ {extra}
        pageInfo {{ hasNextPage endCursor }} edges {{ cursor node {{ {body} }} }} }}
      typename: __typename @include(if: $yes) }} {fragments}"""
    first = draw(st.one_of(st.none(), st.integers(0, 12)))
    variables = {"n": first, "filter": draw(item_filter(world)), "yes": draw(st.booleans())}
    return text, [variables] * draw(st.integers(1, 3)), draw(moment(world)), draw(st.sampled_from(PRINCIPALS))


async def _own_pair(db_url: str) -> Pair:
    """test_property.py's pair (made in the test's own loop), with long-lived tokens."""
    env = {"DATABASE_URL": db_url, "TANDEM_ENV": "development", "TANDEM_SECRET_KEY": TEST_SECRET}
    settings_ = Settings.from_env(env)
    db = Database.connect(db_url, pool_size=5, statement_timeout_ms=settings_.statement_timeout_ms)
    clock = ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    services = AppServices(db=db, clock=clock, tokens=TokenService(TEST_SECRET, LONG_LIVED), settings=settings_)
    return await Pair.start(services, customers=25)


def test_random_filters_pages_clocks_and_callers_agree(db_url):
    loop = asyncio.new_event_loop()
    pair = loop.run_until_complete(_own_pair(db_url))
    items = loop.run_until_complete(_items(pair.services))
    world = World(
        due=tuple(i[2] for i in items),
        owners=tuple(sorted({to_global_id("User", i[3]) for i in items})),
        customers=tuple(sorted({to_global_id("Customer", i[4]) for i in items if i[4] is not None})),
    )
    assert {i[1] for i in items} == set(ACTION_ITEM_STATUSES)  # every state is drawn from
    compiled: list[bool] = []
    rows_seen: list[int] = []

    @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(drawn=case(world))
    def check(drawn: tuple[str, list[dict], Any, str]) -> None:
        text, pages, now, principal = drawn
        pair.services.clock.set(now)
        walked = walk_pages(loop, pair, text, pages, principal, label=f" at {now}")
        for (outcome, data), variables in zip(walked, pages, strict=False):
            if (variables["filter"] or {}).get("ownerId") != "bm9wZQ==":  # a malformed id falls back
                compiled.append(outcome.answered_compiled)
            if data:  # else the reference's error (a bad id, `first` out of range): nothing to page
                rows_seen.append(len(data["list"]["edges"]))

    try:
        check()
    finally:
        close_own_pair(loop, pair)
    # Not vacuous: every request without a malformed id compiled, and some returned rows.
    assert compiled and all(compiled), (sum(compiled), len(compiled))
    assert any(rows_seen)
