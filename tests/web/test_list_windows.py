"""Backward paging (`last`/`before`), `orderBy` and the tickets' date and root-cause filters, over HTTP.

The suite runs the compare executor: every root list read here is answered by the compiled path and the
reference alike, any difference failing as COMPILED_MISMATCH. tests/compiled/test_orderings.py walks
random lists, orders, filters and page sizes over the demo data with both executors side by side.
"""

from __future__ import annotations

import base64
from datetime import timedelta

import orjson
import pytest
from graphql import parse

from schema.limits import query_cost
from schema.schema import build_schema
from tests.support.database import statements
from tests.support.graphql import error_codes
from tests.support.tickets import cast, open_ticket, step
from tests.web.test_pagination import insert_customers, raw_id

CUSTOMERS = """query($first: Int, $after: String, $last: Int, $before: String, $order: CustomersOrderBy! = NAME_ASC) {
  customers(first: $first, after: $after, last: $last, before: $before, orderBy: $order) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id name createdAt } }
  }
}"""

TICKETS = """query($f: TicketFilter, $order: TicketsOrderBy! = CREATED_AT_DESC, $last: Int, $before: String) {
  tickets(filter: $f, orderBy: $order, last: $last, before: $before, first: null) {
    totalCount edges { node { id number createdAt resolvedAt } }
  }
}"""

NAMES = ["delta", "Alpha", "charlie", "Bravo", "echo"] * 5 + ["Same", "SAME", "same"]  # ties on lower(name)


def expected(rows, order: str) -> list:
    by_name = sorted(rows, key=lambda r: (r.name.lower(), r.id))
    by_created = sorted(rows, key=lambda r: (r.created_at, r.id))
    lists = {"NAME_ASC": by_name, "CREATED_AT_ASC": by_created}
    lists["NAME_DESC"], lists["CREATED_AT_DESC"] = by_name[::-1], by_created[::-1]
    return [r.id for r in lists[order]]


async def forwards(gql, token: str, size: int, order: str) -> list[dict]:
    pages, after = [], None
    while True:
        data = (await gql.ok(CUSTOMERS, {"first": size, "after": after, "order": order}, token))["customers"]
        pages.append(data)
        if not data["pageInfo"]["hasNextPage"]:
            return pages
        after = data["pageInfo"]["endCursor"]


async def backwards(gql, token: str, size: int, order: str) -> list[dict]:
    """From the end of the list to its start, following startCursor with `last`."""
    pages, before = [], None
    while True:
        data = (await gql.ok(CUSTOMERS, {"last": size, "before": before, "order": order}, token))["customers"]
        pages.append(data)
        if not data["pageInfo"]["hasPreviousPage"]:
            return pages
        before = data["pageInfo"]["startCursor"]
        assert len(pages) < 100, "paging does not end"


def ids_of(pages: list[dict]) -> list:
    return [raw_id(e["node"]["id"]) for page in pages for e in page["edges"]]


@pytest.mark.parametrize("order", ["NAME_ASC", "NAME_DESC", "CREATED_AT_DESC", "CREATED_AT_ASC"])
async def test_walking_backwards_gives_every_row_once_in_the_lists_order(gql, users, services, order):
    reader = await users.create()
    # Two batches: the names tie among themselves, and each batch's created_at is one instant (ties by id).
    rows = await insert_customers(services, NAMES)
    services.clock.advance(minutes=5)
    rows += await insert_customers(services, NAMES[:7])
    want = expected(rows, order)
    for size in (4, 7):
        back = await backwards(gql, reader.token, size, order)
        assert ids_of(back[::-1]) == want, (order, size)  # each page in the list's order, not reversed
        assert ids_of(await forwards(gql, reader.token, size, order)) == want
        assert [len(p["edges"]) for p in back[:-1]] == [size] * (len(back) - 1)
        assert {p["totalCount"] for p in back} == {len(rows)}
        # From the end: nothing after the first page read; everything before it until the start.
        assert [p["pageInfo"]["hasNextPage"] for p in back] == [False] + [True] * (len(back) - 1)
        assert [p["pageInfo"]["hasPreviousPage"] for p in back] == [True] * (len(back) - 1) + [False]
        for p in back:
            assert p["pageInfo"]["startCursor"] == p["edges"][0]["cursor"]
            assert p["pageInfo"]["endCursor"] == p["edges"][-1]["cursor"]


async def test_turning_round_on_a_cursor(gql, users, services):
    """`last: n, before: c` is the n rows just before c, `first: n, after: c` the n just after: a client
    may change direction on any cursor and sees the rows next to it."""
    reader = await users.create()
    rows = await insert_customers(services, NAMES)
    want = expected(rows, "NAME_DESC")
    pages = await forwards(gql, reader.token, 6, "NAME_DESC")
    third = pages[2]["pageInfo"]["startCursor"]
    back = (await gql.ok(CUSTOMERS, {"last": 4, "before": third, "order": "NAME_DESC"}, reader.token))["customers"]
    assert [raw_id(e["node"]["id"]) for e in back["edges"]] == want[8:12]
    assert back["pageInfo"]["hasPreviousPage"] and back["pageInfo"]["hasNextPage"]
    again = {"first": 4, "after": back["pageInfo"]["endCursor"], "order": "NAME_DESC"}
    ahead = (await gql.ok(CUSTOMERS, again, reader.token))["customers"]
    assert [raw_id(e["node"]["id"]) for e in ahead["edges"]] == want[12:16]
    empty = (await gql.ok(CUSTOMERS, {"last": 0, "order": "NAME_DESC"}, reader.token))["customers"]
    assert empty["edges"] == [] and empty["pageInfo"]["hasPreviousPage"] and empty["totalCount"] == len(rows)
    first_row = {"last": 5, "before": pages[0]["edges"][0]["cursor"], "order": "NAME_DESC"}
    nothing_before = (await gql.ok(CUSTOMERS, first_row, reader.token))["customers"]
    assert nothing_before["edges"] == [] and not nothing_before["pageInfo"]["hasPreviousPage"]


@pytest.mark.parametrize(
    "variables",
    [
        {"first": 2, "last": 2},
        {"after": "x", "before": "y"},
        {"first": 2, "before": "y"},
        {"last": 2, "after": "x"},
        {"last": 101},
        {"last": -1},
    ],
)
async def test_pages_that_name_no_single_page_are_refused_before_anything_is_read(gql, users, services, variables):
    reader = await users.create()
    await insert_customers(services, NAMES[:3])
    await gql.ok("{ __typename }", token=reader.token)  # the credential is checked in full once, then remembered
    with statements(services.db.engine, services.db.reads_engine) as baseline:
        await gql.ok("{ __typename }", token=reader.token)
    with statements(services.db.engine, services.db.reads_engine) as seen:
        body = await gql(CUSTOMERS, variables, reader.token)
    assert body["data"] is None and error_codes(body) == ["BAD_USER_INPUT"], body
    message = body["errors"][0]["message"]
    if {"first", "after"} & set(variables):
        assert message == "page forwards with first/after or backwards with last/before, not both at once"
    else:
        assert message == f"last must be between 0 and 100 (got {variables['last']})"
    assert seen == baseline  # nothing beyond the credential check


async def test_a_cursor_is_only_valid_with_the_order_that_made_it(gql, users, services):
    reader = await users.create()
    await insert_customers(services, NAMES)
    cursors = {}
    for order in ("NAME_ASC", "NAME_DESC", "CREATED_AT_DESC"):
        page = (await gql.ok(CUSTOMERS, {"first": 3, "order": order}, reader.token))["customers"]
        cursors[order] = page["pageInfo"]["endCursor"]
    for made_by, cursor in cursors.items():
        for used_with in ("NAME_ASC", "NAME_DESC", "CREATED_AT_DESC", "CREATED_AT_ASC"):
            for direction in ("after", "before"):
                variables = {direction: cursor, "order": used_with}
                body = await gql(CUSTOMERS, variables, reader.token)
                if made_by == used_with:
                    assert body.get("errors") is None, body
                    continue
                assert body["data"] is None and error_codes(body) == ["BAD_USER_INPUT"], (made_by, used_with)
                made = "the default order" if made_by == "NAME_ASC" else made_by
                assert f"made for orderBy {made}, not {used_with}" in body["errors"][0]["message"]
    # The default order's cursors are as they always were (a plain list of the sort values), so cursors
    # clients kept from before orderBy existed still work; the other orders' start with their tag.
    raw = base64.urlsafe_b64decode(cursors["NAME_ASC"] + "==")
    assert isinstance(orjson.loads(raw)[0], str)
    assert orjson.loads(base64.urlsafe_b64decode(cursors["NAME_DESC"] + "=="))[0] == {"orderBy": "NAME_DESC"}


async def test_nested_connections_page_backwards_too(gql, users, services):
    """Customer.timeline is read by the reference path (nested lists are not compiled)."""
    reader = await users.create()
    c = await cast(services)
    for i in range(5):
        await open_ticket(c, subject=f"Ticket {i}")
    query = """query($id: ID!, $last: Int, $before: String) { node(id: $id) { ... on Customer {
      timeline(last: $last, before: $before) {
        pageInfo { hasPreviousPage hasNextPage startCursor } edges { node { id } }
      }
      all: timeline(first: 100) { edges { node { id } } } } } }"""
    gid = (await gql.ok("{ customers(first: 1) { edges { node { id } } } }", token=reader.token))["customers"]
    customer = gid["edges"][0]["node"]["id"]
    everything = None
    walked, before = [], None
    while True:
        data = (await gql.ok(query, {"id": customer, "last": 2, "before": before}, reader.token))["node"]
        everything = [e["node"]["id"] for e in data["all"]["edges"]]
        walked = [e["node"]["id"] for e in data["timeline"]["edges"]] + walked
        if not data["timeline"]["pageInfo"]["hasPreviousPage"]:
            break
        before = data["timeline"]["pageInfo"]["startCursor"]
    assert walked == everything and len(everything) >= 6


async def test_ticket_periods_are_half_open_and_validated(gql, services):
    c = await cast(services)
    token = c.token(c.service)
    start = services.clock.now()
    opened = []
    for i in range(4):
        opened.append(await open_ticket(c, subject=f"Pump {i}"))
        services.clock.advance(hours=1)
    resolved = await step(c, opened[1].id, "acknowledge")
    resolved = await step(c, opened[1].id, "start")
    resolved = await step(c, opened[1].id, "resolve")  # root cause PRODUCT_DEFECT, resolved at start + 4 h

    def numbers(body: dict) -> list[str]:
        return sorted(e["node"]["number"] for e in body["tickets"]["edges"])

    iso = lambda moment: moment.isoformat()  # noqa: E731
    # created exactly at createdFrom: in; exactly at createdTo: out.
    f = {"createdFrom": iso(start + timedelta(hours=1)), "createdTo": iso(start + timedelta(hours=3))}
    assert numbers(await gql.ok(TICKETS, {"f": f}, token)) == sorted(t.number for t in opened[1:3])
    empty = {"createdFrom": iso(start), "createdTo": iso(start)}
    assert numbers(await gql.ok(TICKETS, {"f": empty}, token)) == []
    at = resolved.resolved_at
    inside = {"resolvedFrom": iso(at), "resolvedTo": iso(at + timedelta(seconds=1))}
    assert numbers(await gql.ok(TICKETS, {"f": inside}, token)) == [resolved.number]
    assert numbers(await gql.ok(TICKETS, {"f": {"resolvedTo": iso(at)}}, token)) == []
    assert numbers(await gql.ok(TICKETS, {"f": {"rootCause": "PRODUCT_DEFECT"}}, token)) == [resolved.number]
    assert numbers(await gql.ok(TICKETS, {"f": {"rootCause": "NO_SUCH_CODE"}}, token)) == []
    both = {"rootCause": "PRODUCT_DEFECT", "createdFrom": iso(start + timedelta(hours=2))}
    assert numbers(await gql.ok(TICKETS, {"f": both}, token)) == []
    # The last two, backwards, in the list's order (newest first).
    body = await gql.ok(TICKETS, {"last": 2}, token)
    assert [e["node"]["number"] for e in body["tickets"]["edges"]] == [opened[1].number, opened[0].number]

    for bad, names in (
        ({"createdFrom": iso(start + timedelta(hours=1)), "createdTo": iso(start)}, "createdFrom/createdTo"),
        ({"resolvedFrom": iso(at), "resolvedTo": iso(at - timedelta(microseconds=1))}, "resolvedFrom/resolvedTo"),
    ):
        refused = await gql(TICKETS, {"f": bad}, token)
        assert refused["data"] is None and error_codes(refused) == ["BAD_USER_INPUT"], refused
        assert refused["errors"][0]["message"] == f"filter.{names} must not end before it starts"


ORDERED_TICKETS = """query($order: TicketsOrderBy!, $after: String) {
  tickets(first: 3, after: $after, orderBy: $order) {
    pageInfo { hasNextPage endCursor }
    edges { node { id priority createdAt sla { resolutionDueAt firstResponseDueAt } } }
  }
}"""

RANK = {"LOW": 0, "NORMAL": 1, "HIGH": 2, "URGENT": 3}


async def test_ticket_orders(gql, services):
    c = await cast(services)
    token = c.token(c.service)
    for priority in ("LOW", "URGENT", "NORMAL", "URGENT", "HIGH", "LOW", "NORMAL"):
        await open_ticket(c, priority=priority)  # some in the same instant: ties broken by the id
        if priority != "URGENT":
            services.clock.advance(minutes=7)
    keys = {
        "PRIORITY_DESC": lambda n: (RANK[n["priority"]], n["createdAt"], raw_id(n["id"])),
        "RESOLUTION_DUE_AT_ASC": lambda n: (n["sla"]["resolutionDueAt"], raw_id(n["id"])),
        "FIRST_RESPONSE_DUE_AT_DESC": lambda n: (n["sla"]["firstResponseDueAt"], raw_id(n["id"])),
        "CREATED_AT_ASC": lambda n: (n["createdAt"], raw_id(n["id"])),
    }
    for order, key in keys.items():
        nodes, after = [], None
        while True:
            data = (await gql.ok(ORDERED_TICKETS, {"order": order, "after": after}, token))["tickets"]
            nodes += [e["node"] for e in data["edges"]]
            if not data["pageInfo"]["hasNextPage"]:
                break
            after = data["pageInfo"]["endCursor"]
        assert len(nodes) == 7
        assert nodes == sorted(nodes, key=key, reverse=order.endswith("_DESC")), order


async def test_last_counts_like_first_in_the_cost_estimate(gql, users):
    schema = build_schema()._schema

    def cost(text: str, variables: dict | None = None) -> int:
        document = parse(text)
        return query_cost(schema, document, document.definitions[0], variables)

    forwards_ = "{ customers(first: 100) { edges { node { timeline(first: 100) { edges { node { id } } } } } } }"
    assert cost(forwards_.replace("first", "last")) == cost(forwards_)
    with_variables = "query($n: Int) { customers(last: $n) { edges { node { id } } } }"
    assert cost(with_variables, {"n": 100}) == cost("{ customers(first: 100) { edges { node { id } } } }")
    assert cost(with_variables, {}) == cost("{ customers { edges { node { id } } } }")  # 20, as for first

    reader = await users.create()
    deep = "{ " + " ".join(f"a{i}: {forwards_.replace('first', 'last')[2:-2]}" for i in range(6)) + " }"
    body = await gql(deep, token=reader.token)
    assert body["data"] is None and error_codes(body) == ["QUERY_TOO_COMPLEX"], body

    # One document, its plan's cost kept per page size: a larger `last` is never let through on the
    # cost of a smaller one (the compiled executor caches costs by the sizes asked for).
    # Compiled lists only (tickets with their customers' contacts), so the compiled plan's cost cache is used.
    one = "tickets(last: $n) { edges { node { customer { contacts { id } } } } }"
    nested = "query($n: Int) { " + " ".join(f"a{i}: {one}" for i in range(6)) + " }"
    assert (await gql(nested, {"n": 1}, reader.token)).get("errors") is None
    refused = await gql(nested, {"n": 100}, reader.token)
    assert refused["data"] is None and error_codes(refused) == ["QUERY_TOO_COMPLEX"], refused
