"""`meetings` and `node(id:)` of a Meeting, compiled, against the reference byte for byte: the kind
filter, pages walked through their cursors, the attendees (a to-many through meeting_attendees, by
name) and the action items a meeting opened (by number, each with its own relations), for every caller.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schema.ids import to_global_id
from services.rules.meetings import MEETING_KINDS
from tests.compiled.test_action_items import ACTION_ITEM, USER, _long_lived_pair, _own_pair
from tests.compiled.test_property import CUSTOMER, EXAMPLES, selection
from tests.support.compiled import PRINCIPALS, Pair, close_own_pair, walk_pages
from tests.support.database import rows

MEETING = ["id", "kind", "title", "heldAt", "minutes", "decisions", "version", "__typename"]
PAGE = """query Page($n: Int, $after: String, $kind: [MeetingKind!]) { meetings(first: $n, after: $after, kind: $kind) {
    totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id kind title heldAt minutes decisions version recordedBy { id name }
      attendees { id name role } actionItems { id number status overdue owner { name } meeting { id kind } } } } } }"""
NODE = """query($id: ID!) { node(id: $id) { __typename id ... on Meeting { title attendees { name }
  actionItems { number } recordedBy { name } } } }"""


@pytest.fixture
async def pair(services):
    pair = await _long_lived_pair(services)
    yield pair
    await pair.close()


async def test_the_list_compiles_for_every_caller_and_the_kind_filter_agrees(pair):
    [(count, kinds)] = await rows(pair.services, "SELECT count(*), count(DISTINCT kind) FROM meetings")
    [(with_items,)] = await rows(pair.services, "SELECT count(DISTINCT meeting_id) FROM action_items")
    assert with_items and kinds >= 2
    for principal in PRINCIPALS:
        seen, _ = await pair.walk(PAGE, "meetings", {"n": 1}, principal)
        assert len(seen) == count
        body = await pair.agree(PAGE, {"n": 50}, principal, compiles=True)
        nodes = [e["node"] for e in body["data"]["meetings"]["edges"]]
        assert any(len(n["attendees"]) > 1 for n in nodes) and any(n["actionItems"] for n in nodes)
    for kinds_ in ([], ["WEEKLY"], ["MONTHLY", "AD_HOC"], list(MEETING_KINDS)):
        await pair.walk(PAGE, "meetings", {"n": 1, "kind": kinds_}, "board key")
    literal = PAGE.replace("($n: Int, $after: String, $kind: [MeetingKind!])", "").replace(
        "first: $n, after: $after, kind: $kind", "first: 2, kind: [WEEKLY, MONTHLY]"
    )
    await pair.agree(literal, None, "reporting key", compiles=True)
    for (meeting_id,) in await rows(pair.services, "SELECT id FROM meetings"):
        await pair.agree(NODE, {"id": to_global_id("Meeting", meeting_id)}, "service", compiles=True)


async def test_what_the_reference_refuses_falls_back(pair):
    for variables in ({"n": 101}, {"n": 2, "after": "nope"}, {"n": -1}):
        body = await pair.agree(PAGE, variables, "marketing", compiles=False)
        assert body["errors"], variables
    # An action item's timeline is Activity's (reference): the whole operation goes there, and agrees.
    await pair.agree(
        "{ meetings(first: 2) { edges { node { actionItems { timeline { totalCount } } } } } }", compiles=False
    )


# ---------------------------------------------------------------------------------------------- property


def meeting() -> st.SearchStrategy[str]:
    user = selection(USER, {})
    items = selection(
        ACTION_ITEM, {"owner": user, "customer": selection(CUSTOMER, {}), "meeting": selection(MEETING, {})}
    )
    return selection(MEETING, {"recordedBy": user, "attendees": user, "actionItems": items})


@st.composite
def case(draw) -> tuple[str, list[dict], str]:
    body = draw(meeting())
    wrap = draw(st.sampled_from(["plain", "inline", "fragment"]))
    fragments = ""
    if wrap == "inline":
        body = f"... on Meeting {{ {body} }} ... on Node {{ id }}"
    elif wrap == "fragment":
        fragments, body = f"fragment M on Meeting {{ {body} }}", "...M"
    extra = draw(st.sampled_from(["", "totalCount", "pageInfo { hasPreviousPage startCursor __typename }"]))
    text = f"""query Q($n: Int, $after: String, $kind: [MeetingKind!], $yes: Boolean!) {{
      list: meetings(first: $n, after: $after, kind: $kind) {{ {extra}
        pageInfo {{ hasNextPage endCursor }} edges {{ cursor node {{ {body} }} }} }}
      typename: __typename @include(if: $yes) }} {fragments}"""
    variables: dict[str, Any] = {"n": draw(st.one_of(st.none(), st.integers(0, 3))), "yes": draw(st.booleans())}
    if draw(st.booleans()):
        variables["kind"] = draw(st.lists(st.sampled_from(MEETING_KINDS), max_size=3, unique=True))
    return text, [variables] * draw(st.integers(1, 3)), draw(st.sampled_from(PRINCIPALS))


def test_random_kinds_pages_and_callers_agree(db_url):
    loop = asyncio.new_event_loop()
    pair: Pair = loop.run_until_complete(_own_pair(db_url))
    compiled: list[bool] = []
    rows_seen: list[int] = []

    @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(drawn=case())
    def check(drawn: tuple[str, list[dict], str]) -> None:
        text, pages, principal = drawn
        for outcome, data in walk_pages(loop, pair, text, pages, principal):
            compiled.append(outcome.answered_compiled)
            rows_seen.append(len(data["list"]["edges"]))

    try:
        check()
    finally:
        close_own_pair(loop, pair)
    # Every drawn request is valid and compiles: all of them must have been answered by the compiled path.
    assert all(compiled), (sum(compiled), len(compiled))
    assert any(rows_seen)
