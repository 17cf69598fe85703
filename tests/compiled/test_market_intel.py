"""`marketIntel` and `node(id:)` of a MarketIntel, compiled, against the reference byte for byte.

The filters are the repository's: kinds, a customer, an exact tag (matched by the service's `tag_key`
against `tag_keys`, any case and spacing) and a search (a substring of the title, the body or a tag,
any case, its `%` and `_` matching only themselves). Two posts with `%`, `_` and `\\` in them are added
to the demo's so that the escaping is tested on rows it could wrongly match or miss. `comments` stays
on the reference (a connection of its own, internal comments hidden by caller).
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schema.ids import to_global_id
from services.rules.market_intel import INTEL_KINDS
from tests.compiled.test_action_items import USER, _long_lived_pair, _own_pair
from tests.compiled.test_property import CUSTOMER, EXAMPLES, selection
from tests.support.compiled import PRINCIPALS, Pair, close_own_pair, walk_pages
from tests.support.database import rows

INTEL = ["id", "kind", "title", "body", "tags", "createdAt", "updatedAt", "version", "__typename"]
ARGS = "$n: Int, $after: String, $kind: [IntelKind!], $tag: String, $search: String, $customer: ID"
PASS = "first: $n, after: $after, kind: $kind, tag: $tag, search: $search, customerId: $customer"
PAGE = f"""query Page({ARGS}) {{ marketIntel({PASS}) {{
    totalCount pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }}
    edges {{ cursor node {{ id kind title body tags createdAt updatedAt version
      customer {{ id name owner {{ name }} }} author {{ id name department }} }} }} }} }}"""
POST = """mutation($input: PostMarketIntelInput!) { postMarketIntel(input: $input) { errors { code } } }"""
# Titles and bodies whose `%`, `_` and `\\` an unescaped pattern would treat as wildcards (or break on).
ODD_POSTS = [
    {"kind": "OTHER", "title": "Discount 100%_off", "body": "a_b and 5% more", "tags": ["50%", "snake_case"]},
    {"kind": "OTHER", "title": "Path C:\\pumps", "body": "1000 off", "tags": ["back\\slash", "Energy  Saving"]},
]
# Searches and tags drawn from: the demo's words in other cases and spacing, wildcards, nothing.
SEARCHES = ["pump", "PUMPS", "維護", "%", "_", "0%_", "%_o", "\\", "C:\\p", " energy   saving ", "iot", "zzz"]
SEARCHES += ["", "   ", "ing\nener", "a_b", "5%", "x" * 201]  # the last: over SEARCH_MAX, BAD_USER_INPUT
TAGS = ["pricing", "PRICING", " energy   SAVING", "IoT", "iot", "預測性維護", "50%", "5_%", "back\\slash", "", "none"]


async def _add_odd_posts(pair: Pair) -> None:
    for post in ODD_POSTS:
        answer = await pair.send("reference", POST, {"input": post}, "marketing")
        assert answer["body"]["data"]["postMarketIntel"]["errors"] == [], answer


@pytest.fixture
async def pair(services):
    pair = await _long_lived_pair(services)
    await _add_odd_posts(pair)
    yield pair
    await pair.close()


async def _customers(pair: Pair) -> list[str]:
    found = await rows(pair.services, "SELECT DISTINCT customer_id FROM market_intel WHERE customer_id IS NOT NULL")
    return sorted(to_global_id("Customer", c) for (c,) in found)


async def test_the_list_compiles_for_every_caller_and_every_filter_agrees(pair):
    [(count, kinds)] = await rows(pair.services, "SELECT count(*), count(DISTINCT kind) FROM market_intel")
    assert kinds == len(INTEL_KINDS)
    customers = await _customers(pair)
    for principal in PRINCIPALS:
        seen, pages = await pair.walk(PAGE, "marketIntel", {"n": 4}, principal)
        assert pages > 1 and len(seen) == count
    filters = [
        {"kind": ["COMPETITOR", "REGULATION"]},
        {"kind": []},
        {"customer": customers[0]},
        {"tag": "Energy Saving"},  # two posts, spelled otherwise
        {"tag": "pricing", "kind": ["COMPETITOR"]},
        {"search": "%"},  # only the post with a literal %
        {"search": "a_b"},
        {"search": "C:\\p"},
        {"search": "  ENERGY  saving "},  # a tag, any case and spacing
        {"search": "iot", "customer": customers[0]},
        {"tag": "   "},  # nothing left: no tag filter
    ]
    for variables in filters:
        await pair.walk(PAGE, "marketIntel", {"n": 2, **variables}, "service")
    body = await pair.agree(PAGE, {"search": "%"}, "board key", compiles=True)
    assert [e["node"]["title"] for e in body["data"]["marketIntel"]["edges"]] == ["Discount 100%_off"]
    body = await pair.agree(PAGE, {"tag": "ENERGY SAVING"}, "reporting key", compiles=True)
    assert body["data"]["marketIntel"]["totalCount"] >= 3
    literal = PAGE.replace(f"({ARGS})", "").replace(PASS, 'first: 3, kind: [OTHER], search: "_"')
    await pair.agree(literal, None, "marketing", compiles=True)


async def test_what_the_reference_refuses_falls_back(pair):
    cases = [{"n": 101}, {"after": "nope"}, {"customer": "bm9wZQ=="}, {"search": "x" * 201}]
    cases.append({"customer": to_global_id("User", "00000000-0000-0000-0000-000000000000")})
    for variables in cases:
        body = await pair.agree(PAGE, variables, "marketing", compiles=False)
        assert body["errors"], variables
    await pair.agree("{ marketIntel(first: 2) { edges { node { comments { totalCount } } } } }", compiles=False)


# ---------------------------------------------------------------------------------------------- property


def intel() -> st.SearchStrategy[str]:
    user = selection(USER, {})
    return selection(INTEL, {"customer": selection(CUSTOMER, {"owner": user}), "author": user})


@st.composite
def case(draw, customers: tuple[str, ...]) -> tuple[str, list[dict], str]:
    body = draw(intel())
    wrap = draw(st.sampled_from(["plain", "inline", "fragment"]))
    fragments = ""
    if wrap == "inline":
        body = f"... on MarketIntel {{ {body} }} ... on Node {{ id }}"
    elif wrap == "fragment":
        fragments, body = f"fragment M on MarketIntel {{ {body} }}", "...M"
    extra = draw(st.sampled_from(["", "totalCount", "pageInfo { hasPreviousPage startCursor __typename }"]))
    text = f"""query Q({ARGS}, $yes: Boolean!) {{ list: marketIntel({PASS}) {{ {extra}
      pageInfo {{ hasNextPage endCursor }} edges {{ cursor node {{ {body} }} }} }}
      typename: __typename @include(if: $yes) }} {fragments}"""
    variables: dict[str, Any] = {"n": draw(st.one_of(st.none(), st.integers(0, 6))), "yes": draw(st.booleans())}
    if draw(st.booleans()):
        variables["kind"] = draw(st.lists(st.sampled_from(INTEL_KINDS), max_size=3, unique=True))
    if draw(st.integers(0, 2)) == 0:
        variables["tag"] = draw(st.sampled_from(TAGS))
    if draw(st.booleans()):
        variables["search"] = draw(st.sampled_from(SEARCHES))
    if draw(st.integers(0, 3)) == 0:
        variables["customer"] = draw(st.sampled_from([*customers, None, "bm9wZQ=="]))  # the last: BAD_USER_INPUT
    return text, [variables] * draw(st.integers(1, 3)), draw(st.sampled_from(PRINCIPALS))


def test_random_filters_pages_and_callers_agree(db_url):
    loop = asyncio.new_event_loop()
    pair = loop.run_until_complete(_own_pair(db_url))
    loop.run_until_complete(_add_odd_posts(pair))
    customers = tuple(loop.run_until_complete(_customers(pair)))
    compiled: list[bool] = []
    rows_seen: list[int] = []

    @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(drawn=case(customers))
    def check(drawn: tuple[str, list[dict], str]) -> None:
        text, pages, principal = drawn
        for (outcome, data), variables in zip(walk_pages(loop, pair, text, pages, principal), pages, strict=False):
            if variables.get("customer") != "bm9wZQ==" and len(variables.get("search") or "") <= 200:
                compiled.append(outcome.answered_compiled)  # (a malformed id and a long search fall back)
            if data:  # else the reference's error (a bad id, a long search): nothing to page
                rows_seen.append(len(data["list"]["edges"]))

    try:
        check()
    finally:
        close_own_pair(loop, pair)
    # Not vacuous: every request without a malformed id or a long search compiled, and some had rows.
    assert compiled and all(compiled), (sum(compiled), len(compiled))
    assert any(rows_seen)
