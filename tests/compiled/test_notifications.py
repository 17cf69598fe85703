"""`notifications`, compiled, against the reference byte for byte: one person's own inbox (the caller's
user id is a parameter of the statement, bound per request, so two people of the same access column
share one plan and still see only their own), `unread` true, false or absent, pages walked through
their cursors, `unreadCount` of the connection, and API keys answered FORBIDDEN by the reference.
`subject` (a Node of any type) stays on the reference.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from schema.ids import decode_id
from services.rules.notifications import NOTIFICATION_KINDS
from tests.compiled.test_action_items import _long_lived_pair, _own_pair
from tests.compiled.test_property import EXAMPLES, selection
from tests.support.accounts import UserFactory
from tests.support.compiled import PRINCIPALS, Pair, close_own_pair, walk_pages

NOTIFICATION = ["id", "kind", "title", "createdAt", "readAt", "__typename"]
PEOPLE = ("marketing", "service", "supervisor", "colleague")  # the colleague: marketing, like "marketing"
PAGE = """query Page($n: Int, $after: String, $unread: Boolean) {
  notifications(first: $n, after: $after, unread: $unread) {
    totalCount unreadCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id kind title createdAt readAt } } } }"""
MARK = """mutation { markNotificationsRead(input: {all: true}) { __typename } }"""


async def _inboxes(pair: Pair) -> dict[str, int]:
    """A second marketing person, and for every person an inbox of its own size (some read): the count."""
    pair.tokens["colleague"] = (await UserFactory(pair.services).create("MARKETING")).token
    sizes = {}
    for n, principal in enumerate(PEOPLE):
        me = await pair.send("reference", "{ me { id } }", None, principal)
        user_id = decode_id(me["body"]["data"]["me"]["id"], "User")
        sizes[principal] = size = 5 + 3 * n
        values = [
            {
                "u": user_id,
                "k": NOTIFICATION_KINDS[i % len(NOTIFICATION_KINDS)],
                "t": f"{principal} #{i}",
                "r": i % 3 == 0,
            }
            for i in range(size)
        ]
        async with pair.services.db.sessions() as session, session.begin():
            await session.execute(
                text(
                    "INSERT INTO notifications (id, user_id, kind, title, created_at, read_at) VALUES"
                    " (gen_random_uuid(), :u, :k, :t, now() - interval '1 hour', CASE WHEN :r THEN now() END)"
                ),
                values,
            )
    return sizes


@pytest.fixture
async def pair(services):
    pair = await _long_lived_pair(services)
    yield pair
    await pair.close()


async def test_each_person_reads_only_their_own_inbox_compiled(pair):
    sizes = await _inboxes(pair)
    for principal in PEOPLE:
        seen, pages = await pair.walk(PAGE, "notifications", {"n": 2}, principal)
        assert len(seen) == sizes[principal] and pages > 1
        body = await pair.agree(PAGE, {"n": 100}, principal, compiles=True)
        titles = {e["node"]["title"] for e in body["data"]["notifications"]["edges"]}
        assert all(title.startswith(f"{principal} #") for title in titles)
        unread = body["data"]["notifications"]["unreadCount"]
        assert 0 < unread < sizes[principal]
        for flag in (True, False):
            await pair.walk(PAGE, "notifications", {"n": 3, "unread": flag}, principal)
        only_unread = await pair.agree(PAGE, {"unread": True, "n": 100}, principal, compiles=True)
        assert only_unread["data"]["notifications"]["totalCount"] == unread
    # Marking read changes the counts; the same plan follows.
    await pair.send("reference", MARK, None, "marketing")
    body = await pair.agree(PAGE, {"n": 1}, "marketing", compiles=True)
    assert body["data"]["notifications"]["unreadCount"] == 0
    body = await pair.agree(PAGE, {"n": 1}, "colleague", compiles=True)
    assert body["data"]["notifications"]["unreadCount"] > 0


async def test_keys_subjects_and_refusals_fall_back(pair):
    await _inboxes(pair)
    for principal in ("board key", "reporting key"):
        body = await pair.agree(PAGE, {"n": 3}, principal, compiles=False)
        assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]
    for variables in ({"n": 101}, {"n": 2, "after": "nope"}):
        body = await pair.agree(PAGE, variables, "service", compiles=False)
        assert body["errors"], variables
    await pair.agree(
        "{ notifications(first: 3) { edges { node { subject { id } } } } }", None, "service", compiles=False
    )


# ---------------------------------------------------------------------------------------------- property


@st.composite
def case(draw) -> tuple[str, list[dict], str]:
    body = draw(selection(NOTIFICATION, {}))
    wrap = draw(st.sampled_from(["plain", "inline", "fragment"]))
    fragments = ""
    if wrap == "inline":
        body = f"... on Notification {{ {body} }} ... on Node {{ id }}"
    elif wrap == "fragment":
        fragments, body = f"fragment N on Notification {{ {body} }}", "...N"
    extra = draw(st.sampled_from(["", "totalCount", "unreadCount", "u: unreadCount totalCount", "__typename"]))
    text_ = f"""query Q($n: Int, $after: String, $unread: Boolean, $yes: Boolean!) {{
      list: notifications(first: $n, after: $after, unread: $unread) {{ {extra}
        pageInfo {{ hasNextPage endCursor }} edges {{ cursor node {{ {body} }} }} }}
      typename: __typename @include(if: $yes) }} {fragments}"""
    variables: dict[str, Any] = {"n": draw(st.one_of(st.none(), st.integers(0, 4))), "yes": draw(st.booleans())}
    if draw(st.booleans()):
        variables["unread"] = draw(st.sampled_from([True, False, None]))
    return text_, [variables] * draw(st.integers(1, 3)), draw(st.sampled_from([*PRINCIPALS, "colleague"]))


def test_random_pages_filters_and_callers_agree(db_url):
    loop = asyncio.new_event_loop()
    pair: Pair = loop.run_until_complete(_own_pair(db_url))
    loop.run_until_complete(_inboxes(pair))
    compiled: list[bool] = []
    rows_seen: list[int] = []

    @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(drawn=case())
    def check(drawn: tuple[str, list[dict], str]) -> None:
        query, pages, principal = drawn
        for outcome, data in walk_pages(loop, pair, query, pages, principal):
            if principal.endswith("key"):
                assert not outcome.answered_compiled and not data  # FORBIDDEN, by the reference
                break
            compiled.append(outcome.answered_compiled)
            rows_seen.append(len(data["list"]["edges"]))

    try:
        check()
    finally:
        close_own_pair(loop, pair)
    # Every person's request is valid and compiles: all of them must have been answered by the compiled path.
    assert compiled and all(compiled), (sum(compiled), len(compiled))
    assert any(rows_seen)
