"""Relay connections: keyset pages that are stable under inserts, `first` capped at 100, and
malformed cursors reported as the client's mistake."""

from __future__ import annotations

import base64
import json
import uuid

from schema.ids import parse_global_id
from services import customers as customer_service
from services.customers import NewCustomer
from services.principal import Principal, PrincipalKind
from services.unit_of_work import unit_of_work
from tests.support.graphql import error_codes

CUSTOMERS = """query($first: Int, $after: String, $search: String) {
  customers(first: $first, after: $after, search: $search) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id name } }
  }
}"""

TIMELINE = """query($id: ID!, $first: Int, $after: String) { node(id: $id) { ... on Customer {
  timeline(first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id action summary } }
  } } } }"""

# Words none of which is a prefix of another, so the expected order is the same in every collation.
WORDS = ["alpha", "Bravo", "CHARLIE", "delta", "Echo", "foxtrot", "Golf", "hotel", "India", "juliet"]


def raw_id(gid: str) -> uuid.UUID:
    _type_name, raw = parse_global_id(gid)
    return uuid.UUID(raw)


def cursor_of(value) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


async def insert_customers(services, names: list[str], actor: Principal | None = None) -> list:
    """Create customers through the service layer, one transaction for the lot (fast)."""
    async with unit_of_work(services.db.sessions, actor, services.clock) as uow:
        return [await customer_service.create_customer(uow, NewCustomer(name=n)) for n in names]


def expected_order(rows) -> list[uuid.UUID]:
    return [r.id for r in sorted(rows, key=lambda r: (r.name.lower(), r.id))]


async def walk(gql, token: str, first: int, search: str | None = None) -> tuple[list[dict], list[dict]]:
    """Every page of `customers(first:)`, following endCursor; returns (pages, edges)."""
    pages, edges, after = [], [], None
    while True:
        data = (await gql.ok(CUSTOMERS, {"first": first, "after": after, "search": search}, token))["customers"]
        pages.append(data)
        edges += data["edges"]
        if not data["pageInfo"]["hasNextPage"]:
            return pages, edges
        after = data["pageInfo"]["endCursor"]
        assert len(pages) < 300, "paging does not end"


async def test_250_customers_page_once_each_in_alphabetical_order(gql, users, services):
    reader = await users.create("SERVICE")
    names = [f"{WORDS[i % len(WORDS)]} {i:03d}" for i in range(240)]
    # Equal names (up to case) are ordered by id, still each exactly once.
    names += ["Same Name"] * 5 + ["SAME NAME", "same name", "Same name", "sAME nAME", "same NAME"]
    rows = await insert_customers(services, names)
    assert len(rows) == 250

    pages, edges = await walk(gql, reader.token, 50)
    assert len(pages) == 5
    assert [p["totalCount"] for p in pages] == [250] * 5
    assert [p["pageInfo"]["hasNextPage"] for p in pages] == [True, True, True, True, False]
    assert [p["pageInfo"]["hasPreviousPage"] for p in pages] == [False, True, True, True, True]
    for p in pages:
        assert len(p["edges"]) == 50
        assert p["pageInfo"]["startCursor"] == p["edges"][0]["cursor"]
        assert p["pageInfo"]["endCursor"] == p["edges"][-1]["cursor"]
    ids = [raw_id(e["node"]["id"]) for e in edges]
    assert len(set(ids)) == 250
    assert ids == expected_order(rows)
    lowered = [e["node"]["name"].lower() for e in edges]
    assert lowered == sorted(lowered)
    assert len({e["cursor"] for e in edges}) == 250

    # Walking again with other page sizes gives the same order.
    for size in (7, 100):
        _, again = await walk(gql, reader.token, size)
        assert [raw_id(e["node"]["id"]) for e in again] == ids, size


async def test_inserts_between_pages_neither_duplicate_nor_skip(gql, users, services):
    reader = await users.create()
    rows = await insert_customers(services, [f"{WORDS[i % 10]} {i:02d}" for i in range(30)])
    order = expected_order(rows)

    first = (await gql.ok(CUSTOMERS, {"first": 10}, reader.token))["customers"]
    seen = [raw_id(e["node"]["id"]) for e in first["edges"]]
    assert seen == order[:10]
    # New customers sorting before and after the cursor arrive while the client pages on.
    early, late = await insert_customers(services, ["aardvark first", "zulu last"])
    after = first["pageInfo"]["endCursor"]
    while True:
        data = (await gql.ok(CUSTOMERS, {"first": 10, "after": after}, reader.token))["customers"]
        assert data["totalCount"] == 32
        seen += [raw_id(e["node"]["id"]) for e in data["edges"]]
        if not data["pageInfo"]["hasNextPage"]:
            break
        after = data["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen))
    assert [i for i in seen if i in set(order)] == order  # every old one once, in order
    assert late.id in seen and early.id not in seen  # behind the cursor: seen on the next walk


async def test_first_is_capped_and_validated(gql, users, services):
    reader = await users.create()
    await insert_customers(services, [f"{w} customer" for w in WORDS] * 3)

    for bad in (101, 1000, -1):
        body = await gql(CUSTOMERS, {"first": bad}, reader.token)
        assert body["data"] is None, bad
        assert error_codes(body) == ["BAD_USER_INPUT"], body
        assert str(bad) in body["errors"][0]["message"]
        assert body["errors"][0]["path"] == ["customers"]

    full = (await gql.ok(CUSTOMERS, {"first": 100}, reader.token))["customers"]
    assert len(full["edges"]) == 30 and not full["pageInfo"]["hasNextPage"]

    empty = (await gql.ok(CUSTOMERS, {"first": 0}, reader.token))["customers"]
    assert empty["edges"] == [] and empty["totalCount"] == 30
    assert empty["pageInfo"]["startCursor"] is None and empty["pageInfo"]["endCursor"] is None
    assert empty["pageInfo"]["hasNextPage"] is True

    default = (await gql.ok(CUSTOMERS, {}, reader.token))["customers"]
    assert len(default["edges"]) == 20 and default["pageInfo"]["hasNextPage"]


async def test_malformed_cursors_are_bad_user_input(gql, users, services):
    reader = await users.create()
    [row] = await insert_customers(services, ["Acme"])
    valid = (await gql.ok(CUSTOMERS, {"first": 1}, reader.token))["customers"]["edges"][0]["cursor"]
    assert (await gql.ok(CUSTOMERS, {"first": 1, "after": valid}, reader.token))["customers"]["edges"] == []
    bad_cursors = [
        "not a cursor!!",
        "%%%",
        valid[:-3],  # truncated
        cursor_of({"name": "acme"}),  # not a list
        cursor_of(["acme"]),  # too short
        cursor_of(["acme", str(row.id), 1]),  # too long
        cursor_of(["acme", "not-a-uuid"]),  # bad id
        cursor_of([123, str(row.id)]),  # a number where the name goes
        cursor_of([None, str(row.id)]),
        cursor_of([["acme"], str(row.id)]),
        cursor_of(["ac\u0000me", str(row.id)]),  # PostgreSQL text cannot hold NUL
        cursor_of([1]),  # a cursor of another list (the timeline)
    ]
    for cursor in bad_cursors:
        body = await gql(CUSTOMERS, {"first": 5, "after": cursor}, reader.token)
        assert body["data"] is None, cursor
        assert error_codes(body) == ["BAD_USER_INPUT"], (cursor, body)
        assert "Internal server error" not in body["errors"][0]["message"]


async def test_names_that_python_and_postgresql_lowercase_differently(gql, users, services):
    """The cursor must hold the value the database sorted by: Python's str.lower() differs from
    PostgreSQL's lower() for some letters (final sigma, dotted capital I), and a cursor built in
    Python would then skip rows or repeat them."""
    reader = await users.create()
    names = [
        "ΟΔΥΣΣΕΥΣ Shipping",
        "οδυσσευσ Logistics",
        "İstanbul Trading",
        "Isuzu Motors",
        "istanbul Foods",
        "Ölmez",
        "Zeta",
        "alpha",
        "上海贸易",
        "北京科技",
    ]
    rows = await insert_customers(services, names)
    for size in (1, 2, 3):
        _, edges = await walk(gql, reader.token, size)
        ids = [raw_id(e["node"]["id"]) for e in edges]
        assert sorted(ids) == sorted(r.id for r in rows), f"page size {size}: {[e['node']['name'] for e in edges]}"
        assert len(ids) == len(set(ids)) == len(rows)
        # The order matches a single unpaged read.
        assert ids == [raw_id(e["node"]["id"]) for e in (await walk(gql, reader.token, 100))[1]]


async def test_search_results_page_too(gql, users, services):
    reader = await users.create()
    await insert_customers(services, [f"Acme {i:02d}" for i in range(12)] + [f"Other {i:02d}" for i in range(12)])
    pages, edges = await walk(gql, reader.token, 5, search="acme")
    assert [p["totalCount"] for p in pages] == [12, 12, 12]
    assert [e["node"]["name"] for e in edges] == [f"Acme {i:02d}" for i in range(12)]


async def test_timeline_pages_the_same_way(gql, users, services, clock):
    rep = await users.create()
    actor = Principal(PrincipalKind.USER, rep.user.id, rep.user.name, department="MARKETING", role="STAFF")
    [customer] = await insert_customers(services, ["Acme"], actor)
    async with unit_of_work(services.db.sessions, actor, services.clock) as uow:
        for i in range(24):
            await customer_service.update_customer(uow, customer.id, None, region=f"Region {i:02d}")
    gid = (await gql.ok(CUSTOMERS, {"first": 1}, rep.token))["customers"]["edges"][0]["node"]["id"]

    seen, pages, after = [], [], None
    while True:
        data = (await gql.ok(TIMELINE, {"id": gid, "first": 10, "after": after}, rep.token))["node"]["timeline"]
        pages.append(data)
        seen += [e["node"] for e in data["edges"]]
        if not data["pageInfo"]["hasNextPage"]:
            break
        after = data["pageInfo"]["endCursor"]
    assert [len(p["edges"]) for p in pages] == [10, 10, 5]
    assert [p["totalCount"] for p in pages] == [25, 25, 25]
    assert [p["pageInfo"]["hasPreviousPage"] for p in pages] == [False, True, True]
    assert [n["action"] for n in seen] == ["customer.created"] + ["customer.updated"] * 24
    assert [n["summary"].endswith("region") for n in seen[1:]] == [True] * 24
    assert len({n["id"] for n in seen}) == 25
    ids = [int(parse_global_id(n["id"])[1]) for n in seen]
    assert ids == sorted(ids)  # oldest first

    # A change made while paging shows up at the end, once.
    async with unit_of_work(services.db.sessions, actor, services.clock) as uow:
        await customer_service.update_customer(uow, customer.id, None, region="Last")
    tail = (await gql.ok(TIMELINE, {"id": gid, "first": 10, "after": pages[-1]["pageInfo"]["endCursor"]}, rep.token))[
        "node"
    ]["timeline"]
    assert [e["node"]["action"] for e in tail["edges"]] == ["customer.updated"]
    assert tail["totalCount"] == 26

    empty = (await gql.ok(TIMELINE, {"id": gid, "first": 0}, rep.token))["node"]["timeline"]
    assert empty["edges"] == [] and empty["totalCount"] == 26 and empty["pageInfo"]["hasNextPage"]

    customer_cursor = (await gql.ok(CUSTOMERS, {"first": 1}, rep.token))["customers"]["edges"][0]["cursor"]
    for first, after in (
        (101, None),
        (-1, None),
        (5, "garbage!"),
        (5, customer_cursor),
        (5, cursor_of(["x"])),
        (5, cursor_of([10**20])),
        (5, cursor_of([1.5e300])),
        (5, cursor_of([None])),
    ):
        body = await gql(TIMELINE, {"id": gid, "first": first, "after": after}, rep.token)
        assert error_codes(body) == ["BAD_USER_INPUT"], (first, after, body)
        assert body["errors"][0]["path"] == ["node", "timeline"]
        assert body["data"] == {"node": None}
