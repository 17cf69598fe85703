"""`surveys` and `node(id:)` of a Survey, compiled, against the reference byte for byte, counts included.

`responseRate` and `averageScore` are Python floats on the reference path (orjson writes them); the
compiled statement writes the double PostgreSQL computes from the same integers (the division of two
exact integers is correctly rounded on both sides) with sql.float_text. The HTTP comparison parses
the JSON (`1e-05` and `0.00001` read the same), so the text itself is checked here on its own, over
every ratio the counts can make and more, against orjson byte for byte.
"""

from __future__ import annotations

import asyncio
import random
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Float, literal_column
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect

from schema.compiled import sql
from schema.ids import to_global_id
from services.rules.surveys import SURVEY_STATUSES
from tests.compiled.test_action_items import ACTION_ITEM, USER, _long_lived_pair, _own_pair
from tests.compiled.test_property import EXAMPLES, selection
from tests.support.compiled import PRINCIPALS, Pair, close_own_pair, walk_pages
from tests.support.database import rows

SURVEY = ["id", "title", "status", "opensAt", "closesAt", "version", "targetCount", "responseCount"]
SURVEY += ["responseRate", "averageScore", "scoreDistribution", "__typename"]
COUNTS = "targetCount responseCount responseRate averageScore scoreDistribution"
PAGE = f"""query Page($n: Int, $after: String, $status: [SurveyStatus!]) {{
  surveys(first: $n, after: $after, status: $status) {{
    totalCount pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }}
    edges {{ cursor node {{ id title status opensAt closesAt version {COUNTS} createdBy {{ id name }}
      actionItems {{ id number status survey {{ id title }} }} }} }} }} }}"""
NODE = f"""query($id: ID!) {{ node(id: $id) {{ __typename id ... on Survey {{ title {COUNTS} }} }} }}"""


@pytest.fixture
async def pair(services):
    pair = await _long_lived_pair(services)
    yield pair
    await pair.close()


def _float_sql() -> str:
    expression = sql.float_text(literal_column("v", Float(53)))
    return str(expression.compile(dialect=asyncpg_dialect(), compile_kwargs={"literal_binds": True}))


async def test_floats_are_written_as_orjson_writes_them(services):
    """Every k/n for n up to 400 (rates; means are such ratios too: sum/n), k/n for large n (tiny rates:
    the exponent forms) and random doubles in (0, 5]: PostgreSQL's text after float_text equals orjson's."""
    ratios = "SELECT k, n, k::float8 / n::float8 AS v FROM generate_series(1, 400) n, generate_series(0, 5 * n) k"
    tiny = "SELECT k, n, k::float8 / n::float8 FROM generate_series(1, 7) k, unnest(CAST(:big AS bigint[])) n"
    big = [10**e * m for e in range(3, 12) for m in (1, 2, 3, 7, 9, 11, 13, 99, 101)]
    found = await rows(services, f"SELECT k, n, {_float_sql()} FROM ({ratios} UNION ALL {tiny}) AS x", big=big)
    assert len(found) > 200_000
    wrong = [(k, n, text) for k, n, text in found if text.encode() != orjson.dumps(k / n)]
    assert not wrong, wrong[:20]
    drawn = random.Random(11)
    values = [drawn.uniform(0, 5) for _ in range(20_000)] + [drawn.uniform(0, 1e-4) for _ in range(5_000)]
    found = await rows(services, f"SELECT v, {_float_sql()} FROM unnest(CAST(:v AS float8[])) AS v", v=values)
    wrong = [(v, text) for v, text in found if text.encode() != orjson.dumps(v)]
    assert not wrong, wrong[:20]
    [(null,)] = await rows(services, f"SELECT {_float_sql()} FROM (SELECT NULL::float8 AS v) AS x")
    assert null is None


async def test_the_list_compiles_for_every_caller_with_its_counts(pair):
    found = await rows(pair.services, "SELECT status FROM surveys")
    assert {status for (status,) in found} == set(SURVEY_STATUSES)
    for principal in PRINCIPALS:
        seen, _ = await pair.walk(PAGE, "surveys", {"n": 1}, principal)
        assert len(seen) == len(found)
    body = await pair.agree(PAGE, {"n": 50}, "service", compiles=True)
    nodes = [e["node"] for e in body["data"]["surveys"]["edges"]]
    means = [n["averageScore"] for n in nodes]
    assert None in means and any(m is not None and m != int(m) for m in means), means  # null and a fraction
    assert any(n["actionItems"] for n in nodes)
    for statuses in ([], ["DRAFT"], ["OPEN", "CLOSED"]):
        await pair.walk(PAGE, "surveys", {"n": 1, "status": statuses}, "board key")
    for (survey_id,) in await rows(pair.services, "SELECT id FROM surveys"):
        await pair.agree(NODE, {"id": to_global_id("Survey", survey_id)}, "reporting key", compiles=True)
    # The answers' own list, and the survey of an answer (Feedback.survey), compile too.
    await pair.agree("{ feedback(first: 100) { edges { node { id survey { id averageScore } } } } }", compiles=True)


async def test_what_the_reference_refuses_or_keeps_falls_back(pair):
    for variables in ({"n": 101}, {"n": 2, "after": "nope"}):
        body = await pair.agree(PAGE, variables, "marketing", compiles=False)
        assert body["errors"], variables
    for inner in ("targets { totalCount }", "responses { edges { node { score } } }"):
        await pair.agree(f"{{ surveys(first: 3) {{ edges {{ node {{ {inner} }} }} }} }}", compiles=False)


# ---------------------------------------------------------------------------------------------- property


def survey() -> st.SearchStrategy[str]:
    user = selection(USER, {})
    items = selection(ACTION_ITEM, {"owner": user, "survey": selection(SURVEY, {})})
    return selection(SURVEY, {"createdBy": user, "actionItems": items})


@st.composite
def case(draw) -> tuple[str, list[dict], str]:
    body = draw(survey())
    wrap = draw(st.sampled_from(["plain", "inline", "fragment"]))
    fragments = ""
    if wrap == "inline":
        body = f"... on Survey {{ {body} }} ... on Node {{ id }}"
    elif wrap == "fragment":
        fragments, body = f"fragment S on Survey {{ {body} }}", "...S"
    extra = draw(st.sampled_from(["", "totalCount", "pageInfo { hasPreviousPage startCursor __typename }"]))
    text = f"""query Q($n: Int, $after: String, $status: [SurveyStatus!], $yes: Boolean!) {{
      list: surveys(first: $n, after: $after, status: $status) {{ {extra}
        pageInfo {{ hasNextPage endCursor }} edges {{ cursor node {{ {body} }} }} }}
      typename: __typename @include(if: $yes) }} {fragments}"""
    variables: dict[str, Any] = {"n": draw(st.one_of(st.none(), st.integers(0, 3))), "yes": draw(st.booleans())}
    if draw(st.booleans()):
        variables["status"] = draw(st.lists(st.sampled_from(SURVEY_STATUSES), max_size=3, unique=True))
    return text, [variables] * draw(st.integers(1, 3)), draw(st.sampled_from(PRINCIPALS))


def test_random_statuses_pages_and_callers_agree(db_url):
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
