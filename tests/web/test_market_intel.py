"""Market intelligence (市場動態) over HTTP: posting, search by title, body and tags (Chinese included),
the kind, tag and customer filters, pages, edits by the author or an admin only, version conflicts,
idempotent posts, refusals that change nothing, and the permission matrix for every caller."""

from __future__ import annotations

import uuid

import pytest

from tests.support.accounts import PRINCIPALS, credential, fast_account
from tests.support.database import all_rows, rows, statements
from tests.support.graphql import error_codes, pages, refused
from tests.support.orders import event_types, gid, new_customer, raw_id

ERRORS = "errors { code message field }"
INTEL = "id kind title body tags createdAt updatedAt version author { name } customer { id name }"
POST = f"mutation($i: PostMarketIntelInput!) {{ postMarketIntel(input: $i) {{ marketIntel {{ {INTEL} }} {ERRORS} }} }}"
UPDATE = (
    f"mutation($i: UpdateMarketIntelInput!) {{ updateMarketIntel(input: $i) {{ marketIntel {{ {INTEL} }} {ERRORS} }} }}"
)
LIST = """query($first: Int, $after: String, $kind: [IntelKind!], $tag: String, $search: String, $customerId: ID) {
  marketIntel(first: $first, after: $after, kind: $kind, tag: $tag, search: $search, customerId: $customerId) {
    totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id title tags kind } } } }"""
TABLES = ("market_intel", "activity", "events", "idempotency_records")


@pytest.fixture
async def team(services):
    return {
        "author": await fast_account(services, "MARKETING", name="Mei Lin"),
        "colleague": await fast_account(services, "MARKETING", name="Marco Rossi"),
        "lead": await fast_account(services, "MARKETING", "LEAD", name="Lee Lead"),
        "servicer": await fast_account(services, "SERVICE", name="Sam Wu"),
        "admin": await fast_account(services, "MANAGEMENT", "ADMIN", name="Ada Admin"),
    }


async def post(gql, token: str, **data) -> dict:
    return (await gql.mutate("postMarketIntel", POST, {"i": data}, token))["marketIntel"]


async def titles(gql, token: str, **filters) -> list[str]:
    listed = (await gql.ok(LIST, {"first": 50, **filters}, token))["marketIntel"]
    assert listed["totalCount"] == len(listed["edges"])
    return [e["node"]["title"] for e in listed["edges"]]


@pytest.fixture
async def posts(gql, services, clock, team):
    """Four posts, a minute apart (newest first: pumps, 法規, 競爭, Harbor)."""
    harbor = await new_customer(services, "Harbor Foods")
    token = team["author"].token
    made = {}
    for key, data in (
        (
            "harbor",
            {
                "kind": "CUSTOMER_NEED",
                "title": "Harbor wants remote monitoring",
                "customerId": gid("Customer", harbor.id),
                "tags": ["IoT", "monitoring"],
            },
        ),
        ("rival", {"kind": "COMPETITOR", "title": "競爭對手推出新型號", "body": "對手的價格比我們低百分之十。"}),
        ("law", {"kind": "REGULATION", "title": "新的能源效率法規", "body": "明年起所有泵浦須符合一級能效。"}),
        ("pumps", {"kind": "MARKET_TREND", "title": "Variable-speed pumps take over", "tags": ["Pumps", "節能"]}),
    ):
        data = {"body": "Asked twice for a 100% uptime_report.", "tags": [], **data}
        made[key] = await post(gql, token, **data)
        clock.advance(minutes=1)
    return made


async def test_posting_shows_what_was_posted_and_records_it(gql, services, team, posts):
    harbor = posts["harbor"]
    assert harbor["kind"] == "CUSTOMER_NEED" and harbor["author"] == {"name": "Mei Lin"}
    assert harbor["customer"]["name"] == "Harbor Foods" and harbor["tags"] == ["IoT", "monitoring"]
    assert harbor["version"] == 1 and harbor["createdAt"] == harbor["updatedAt"]
    assert posts["rival"]["customer"] is None and posts["rival"]["tags"] == []
    node = await gql.ok(
        "query($i: ID!) { node(id: $i) { ... on MarketIntel { title body author { name } } } }",
        {"i": posts["law"]["id"]},
        team["servicer"].token,
    )
    assert node["node"] == {
        "title": "新的能源效率法規",
        "body": "明年起所有泵浦須符合一級能效。",
        "author": {"name": "Mei Lin"},
    }
    assert await event_types(services, raw_id(harbor["id"])) == ["MARKET_INTEL_POSTED"]
    [(action, changes, customer_id)] = await rows(
        services, "SELECT action, changes, customer_id FROM activity WHERE entity_id = :e", e=raw_id(harbor["id"])
    )
    # On the customer's timeline: the post is about it.
    assert action == "market_intel.posted" and customer_id == raw_id(harbor["customer"]["id"])
    assert changes["tags"] == [None, ["IoT", "monitoring"]] and changes["title"] == "Harbor wants remote monitoring"


async def test_search_by_title_body_and_tags_any_case_chinese_too(gql, team, posts):
    token = team["servicer"].token  # everyone reads
    assert await titles(gql, token) == [
        "Variable-speed pumps take over",
        "新的能源效率法規",
        "競爭對手推出新型號",
        "Harbor wants remote monitoring",
    ]
    assert await titles(gql, token, search="對手") == ["競爭對手推出新型號"]  # a word of the title
    assert await titles(gql, token, search="價格") == ["競爭對手推出新型號"]  # a word of the body
    assert await titles(gql, token, search="一級能效") == ["新的能源效率法規"]
    assert await titles(gql, token, search="節能") == ["Variable-speed pumps take over"]  # a tag
    assert await titles(gql, token, search="iot") == ["Harbor wants remote monitoring"]  # a tag, any case
    assert await titles(gql, token, search="  REMOTE   monitoring ") == ["Harbor wants remote monitoring"]
    # % and _ are matched as themselves, not as wildcards.
    assert await titles(gql, token, search="100%") == [
        "Variable-speed pumps take over",
        "Harbor wants remote monitoring",
    ]
    assert await titles(gql, token, search="uptime_r") == [
        "Variable-speed pumps take over",
        "Harbor wants remote monitoring",
    ]
    assert await titles(gql, token, search="uptime%r") == []
    assert await titles(gql, token, search="10_%") == []
    assert await titles(gql, token, search="nothing like this") == []
    assert len(await titles(gql, token, search="   ")) == 4  # a blank search is no search
    body = await gql(LIST, {"search": "x" * 201}, token)
    assert error_codes(body) == ["BAD_USER_INPUT"]


async def test_the_kind_tag_and_customer_filters(gql, team, posts):
    token = team["colleague"].token
    assert await titles(gql, token, kind=["REGULATION", "COMPETITOR"]) == ["新的能源效率法規", "競爭對手推出新型號"]
    assert await titles(gql, token, tag="pumps") == ["Variable-speed pumps take over"]  # exact tag, any case
    assert await titles(gql, token, tag=" PUMPS ") == ["Variable-speed pumps take over"]
    assert await titles(gql, token, tag="節能") == ["Variable-speed pumps take over"]
    assert await titles(gql, token, tag="pump") == []  # a tag filter is the whole tag
    customer_id = posts["harbor"]["customer"]["id"]
    assert await titles(gql, token, customerId=customer_id) == ["Harbor wants remote monitoring"]
    assert await titles(gql, token, customerId=customer_id, kind=["COMPETITOR"]) == []
    assert await titles(gql, token, customerId=customer_id, search="uptime", tag="monitoring") == [
        "Harbor wants remote monitoring"
    ]
    assert error_codes(await gql(LIST, {"customerId": "nope"}, token)) == ["BAD_USER_INPUT"]
    assert error_codes(await gql(LIST, {"kind": ["RUMOUR"]}, token)) != []


async def test_pages_newest_first_without_repeats(gql, team, posts):
    seen: list[str] = []
    async for page in pages(gql, LIST, {"first": 3}, team["author"].token, "marketIntel"):
        assert page["totalCount"] == 4
        seen += [e["node"]["title"] for e in page["edges"]]
    assert seen == await titles(gql, team["author"].token)
    searched: list[str] = []
    async for page in pages(gql, LIST, {"first": 1, "search": "uptime"}, team["author"].token, "marketIntel"):
        assert page["totalCount"] == 2
        searched += [e["node"]["title"] for e in page["edges"]]
    assert searched == ["Variable-speed pumps take over", "Harbor wants remote monitoring"]
    assert error_codes(await gql(LIST, {"first": 101}, team["author"].token)) == ["BAD_USER_INPUT"]
    assert error_codes(await gql(LIST, {"after": "garbage"}, team["author"].token)) == ["BAD_USER_INPUT"]


async def test_a_page_costs_the_same_statements_however_long(gql, services, team):
    query = """query($n: Int!) { marketIntel(first: $n, search: "demo") {
      edges { node { title author { name } customer { name } } } } }"""
    customers = [gid("Customer", (await new_customer(services, f"Customer {i}")).id) for i in range(3)]
    authors = [team["author"], team["colleague"], team["admin"]]

    async def add(start: int, count: int) -> None:
        for i in range(start, start + count):
            data = {"kind": "OTHER", "title": f"demo {i}", "body": "b", "customerId": customers[i % 3]}
            await post(gql, authors[i % 3].token, **data)

    async def cost(n: int) -> int:
        with statements(services.db.engine, services.db.reads_engine) as seen:
            edges = (await gql.ok(query, {"n": n}, team["servicer"].token))["marketIntel"]["edges"]
        assert len(edges) == n and all(e["node"]["author"] and e["node"]["customer"] for e in edges)
        return len(seen)

    await add(0, 3)
    await cost(3)  # warm up
    small = await cost(3)
    await add(3, 27)
    assert await cost(30) == small


def edit(intel: dict, **fields) -> dict:
    return {"marketIntelId": intel["id"], "expectedVersion": intel["version"], **fields}


async def test_the_author_and_an_admin_edit_others_may_not(gql, services, clock, team, posts):
    intel = posts["pumps"]
    clock.advance(hours=1)
    # The author: only what is given changes; tags are kept as typed, once each whatever the case.
    edited = (
        await gql.mutate(
            "updateMarketIntel",
            UPDATE,
            {"i": edit(intel, tags=[" pumps ", "PUMPS", "Energy  saving"])},
            team["author"].token,
        )
    )["marketIntel"]
    assert edited["tags"] == ["pumps", "Energy saving"] and edited["title"] == intel["title"]
    assert edited["body"] == intel["body"] and edited["version"] == intel["version"] + 1
    assert edited["updatedAt"] == clock.now().isoformat() and edited["createdAt"] == intel["createdAt"]
    assert await titles(gql, team["author"].token, tag="節能") == []  # the old tag is gone from the filter
    assert await titles(gql, team["author"].token, tag="energy saving") == [intel["title"]]

    # An admin edits anyone's post.
    by_admin = edit(edited, kind="PRODUCT_FEEDBACK", title="變頻泵浦成為主流")
    edited = (await gql.mutate("updateMarketIntel", UPDATE, {"i": by_admin}, team["admin"].token))["marketIntel"]
    assert edited["kind"] == "PRODUCT_FEEDBACK" and edited["title"] == "變頻泵浦成為主流"
    assert edited["author"] == {"name": "Mei Lin"}
    assert await titles(gql, team["author"].token, search="泵浦") == ["變頻泵浦成為主流", "新的能源效率法規"]

    # The same values again: nothing to record, no new version.
    same = (
        await gql.mutate(
            "updateMarketIntel", UPDATE, {"i": edit(edited, title="變頻泵浦成為主流")}, team["author"].token
        )
    )["marketIntel"]
    assert same["version"] == edited["version"]

    before = await all_rows(services, TABLES)
    for who in ("colleague", "lead"):  # marketing, but not the author
        errors = await refused(gql, "updateMarketIntel", UPDATE, {"i": edit(edited, title="Mine now")}, team[who].token)
        assert [(e["code"], e["field"]) for e in errors] == [("FORBIDDEN", ["marketIntelId"])], who
    body = await gql(UPDATE, {"i": edit(edited, title="Service view")}, team["servicer"].token)  # the matrix
    assert error_codes(body) == ["FORBIDDEN"] and body["data"] is None
    stale = await refused(gql, "updateMarketIntel", UPDATE, {"i": edit(intel, title="Stale")}, team["author"].token)
    assert [e["code"] for e in stale] == ["VERSION_CONFLICT"]
    assert await all_rows(services, TABLES) == before

    assert await event_types(services, raw_id(intel["id"])) == [
        "MARKET_INTEL_POSTED",
        "MARKET_INTEL_UPDATED",
        "MARKET_INTEL_UPDATED",
    ]
    changes = [
        r[0]
        for r in await rows(
            services,
            "SELECT changes FROM activity WHERE entity_id = :e AND action = 'market_intel.updated' ORDER BY seq",
            e=raw_id(intel["id"]),
        )
    ]
    assert changes == [
        {"tags": [["Pumps", "節能"], ["pumps", "Energy saving"]]},
        {"kind": ["MARKET_TREND", "PRODUCT_FEEDBACK"], "title": ["Variable-speed pumps take over", "變頻泵浦成為主流"]},
    ]
    # The audit log shows them old → new, as the API spells the values.
    audit = """query($e: String) { auditLog(first: 20, entityType: $e) { edges { node { action actor { name }
      changes { field old new } } } } }"""
    log = (await gql.ok(audit, {"e": "MarketIntel"}, team["admin"].token))["auditLog"]["edges"]
    mine = [e["node"] for e in log if e["node"]["action"] == "market_intel.updated"]
    assert [(n["actor"]["name"], n["changes"]) for n in mine] == [
        (
            "Ada Admin",
            [
                {"field": "kind", "old": "MARKET_TREND", "new": "PRODUCT_FEEDBACK"},
                {"field": "title", "old": "Variable-speed pumps take over", "new": "變頻泵浦成為主流"},
            ],
        ),
        ("Mei Lin", [{"field": "tags", "old": '["Pumps","節能"]', "new": '["pumps","Energy saving"]'}]),
    ]
    posted = [e["node"]["changes"] for e in log if e["node"]["action"] == "market_intel.posted"][-1]
    assert {"field": "tags", "old": None, "new": '["IoT","monitoring"]'} in posted


async def test_a_post_is_idempotent(gql, services, team):
    data = {"kind": "OTHER", "title": "Trade fair dates", "body": "Shanghai, May.", "idempotencyKey": "fair-1"}
    first = await post(gql, team["author"].token, **data)
    again = await post(gql, team["author"].token, **data)
    assert again["id"] == first["id"]
    assert await event_types(services, raw_id(first["id"])) == ["MARKET_INTEL_POSTED"]
    errors = await refused(gql, "postMarketIntel", POST, {"i": {**data, "title": "Other"}}, team["author"].token)
    assert [e["code"] for e in errors] == ["DUPLICATE"]
    # The key is the caller's own: a colleague using the same key posts their own.
    theirs = await post(gql, team["colleague"].token, **data)
    assert theirs["id"] != first["id"] and theirs["author"] == {"name": "Marco Rossi"}


async def test_bad_input_is_refused_and_changes_nothing(gql, services, team, posts):
    token = team["author"].token
    base = {"kind": "MARKET_TREND", "title": "Fine", "body": "Fine"}
    intel = posts["rival"]
    before = await all_rows(services, TABLES)
    cases = [
        ("postMarketIntel", POST, {**base, "title": "   "}, [("VALIDATION", ["title"])]),
        ("postMarketIntel", POST, {**base, "body": ""}, [("VALIDATION", ["body"])]),
        ("postMarketIntel", POST, {**base, "title": "t" * 201}, [("VALIDATION", ["title"])]),
        ("postMarketIntel", POST, {**base, "tags": [f"t{i}" for i in range(11)]}, [("VALIDATION", ["tags"])]),
        ("postMarketIntel", POST, {**base, "tags": ["ok", " "]}, [("VALIDATION", ["tags", "1"])]),
        ("postMarketIntel", POST, {**base, "tags": ["x" * 41]}, [("VALIDATION", ["tags", "0"])]),
        (
            "postMarketIntel",
            POST,
            {**base, "title": "", "body": ""},
            [("VALIDATION", ["title"]), ("VALIDATION", ["body"])],
        ),
        (
            "postMarketIntel",
            POST,
            {**base, "customerId": gid("Customer", raw_id(intel["id"]))},
            [("NOT_FOUND", ["customerId"])],
        ),
        ("postMarketIntel", POST, {**base, "customerId": intel["id"]}, [("VALIDATION", ["customerId"])]),
        ("updateMarketIntel", UPDATE, edit(intel, title=None), [("VALIDATION", ["title"])]),
        ("updateMarketIntel", UPDATE, edit(intel, kind=None), [("VALIDATION", ["kind"])]),
        ("updateMarketIntel", UPDATE, edit(intel, tags=[str(i) for i in range(11)]), [("VALIDATION", ["tags"])]),
        ("updateMarketIntel", UPDATE, edit(intel, body=" ", title="New"), [("VALIDATION", ["body"])]),
        (
            "updateMarketIntel",
            UPDATE,
            edit(intel, marketIntelId=gid("MarketIntel", uuid.uuid4())),
            [("NOT_FOUND", ["marketIntelId"])],
        ),
        (
            "updateMarketIntel",
            UPDATE,
            edit(intel, marketIntelId=posts["harbor"]["customer"]["id"]),
            [("VALIDATION", ["marketIntelId"])],
        ),
    ]
    for name, query, data, expected in cases:
        errors = await refused(gql, name, query, {"i": data}, token)
        assert [(e["code"], e["field"]) for e in errors] == expected, (name, data, errors)
    assert await all_rows(services, TABLES) == before
    # Tags given as null clear them (omitted ones stay).
    cleared = (await gql.mutate("updateMarketIntel", UPDATE, {"i": edit(posts["pumps"], tags=None)}, token))[
        "marketIntel"
    ]
    assert cleared["tags"] == [] and cleared["title"] == posts["pumps"]["title"]


# DOMAIN.md roles: market intelligence ✓ marketing and admin; service and supervisors read; everyone reads,
# API keys too (reporting and board keys read operational data: Action.READ). Keys never write.
# Leads act for their department (services/access.py `column_of`).
LEADS = {"marketing lead": ("MARKETING", "LEAD"), "service lead": ("SERVICE", "LEAD")}
POSTING = {"marketing staff", "marketing lead", "admin"}


@pytest.mark.parametrize("principal", [*PRINCIPALS, *LEADS])
async def test_permission_matrix(gql, services, users, team, principal):
    if principal in LEADS:
        token = (await fast_account(services, *LEADS[principal])).token
    else:
        token = await credential(services, users, principal)
    theirs = await post(gql, team["author"].token, kind="OTHER", title="Someone's", body="Read by all", tags=["all"])
    listed = await gql.ok(LIST, {"tag": "ALL"}, token)
    assert [e["node"]["title"] for e in listed["marketIntel"]["edges"]] == ["Someone's"]
    node = await gql.ok("query($i: ID!) { node(id: $i) { ... on MarketIntel { title } } }", {"i": theirs["id"]}, token)
    assert node["node"] == {"title": "Someone's"}

    data = {"kind": "COMPETITOR", "title": f"By {principal}", "body": "Seen at the fair"}
    body = await gql(POST, {"i": data}, token)
    foreign = await gql(UPDATE, {"i": edit(theirs, title="Rewritten")}, token)
    if principal not in POSTING:
        for answer in (body, foreign):
            assert error_codes(answer) == ["FORBIDDEN"] and answer.get("data") is None, answer
        return
    mine = body["data"]["postMarketIntel"]["marketIntel"]
    assert body["data"]["postMarketIntel"]["errors"] == [] and mine["title"] == f"By {principal}"
    edited = (await gql.mutate("updateMarketIntel", UPDATE, {"i": edit(mine, body="Seen twice")}, token))["marketIntel"]
    assert edited["body"] == "Seen twice"
    payload = foreign["data"]["updateMarketIntel"]
    if principal == "admin":
        assert payload["marketIntel"]["title"] == "Rewritten", payload
    else:
        assert [e["code"] for e in payload["errors"]] == ["FORBIDDEN"], payload


COMMENT = """mutation($i: AddCommentInput!) { addComment(input: $i) { comment { body visibility author { name } }
  errors { code field } } }"""
COMMENTS = """query($i: ID!) { node(id: $i) { ... on MarketIntel { version
  comments(first: 10) { totalCount edges { node { body visibility author { name } } } } } } }"""


async def test_every_person_comments_api_keys_see_customer_ones_only(gql, services, users, team, posts):
    intel = posts["harbor"]
    supervisor = await fast_account(services, "MANAGEMENT", "SUPERVISOR", name="Hana Supervisor")
    said = [
        (team["servicer"], "We can fit the sensors on the next visit.", "CUSTOMER"),
        (supervisor, "Check the margin before promising it.", "INTERNAL"),
        (team["colleague"], "Same ask from Lakeside.", "CUSTOMER"),
    ]
    for who, body, visibility in said:
        data = {"subjectId": intel["id"], "body": body, "visibility": visibility}
        comment = (await gql.mutate("addComment", COMMENT, {"i": data}, who.token))["comment"]
        assert comment == {"body": body, "visibility": visibility, "author": {"name": who.user.name}}
    staff = (await gql.ok(COMMENTS, {"i": intel["id"]}, team["author"].token))["node"]
    assert [e["node"]["body"] for e in staff["comments"]["edges"]] == [body for _, body, _ in said]
    assert staff["comments"]["totalCount"] == 3 and staff["version"] == intel["version"]  # a remark is no edit
    for scope in ("reporting", "board"):
        key = await users.api_key(scope)
        seen = (await gql.ok(COMMENTS, {"i": intel["id"]}, key))["node"]["comments"]
        assert [e["node"]["visibility"] for e in seen["edges"]] == ["CUSTOMER", "CUSTOMER"], scope
        assert seen["totalCount"] == 2
        refused_key = await gql(COMMENT, {"i": {"subjectId": intel["id"], "body": "x", "visibility": "CUSTOMER"}}, key)
        assert error_codes(refused_key) == ["FORBIDDEN"]
    # Each comment is an activity of the post (an INTERNAL one hidden from keys) and a MARKET_INTEL_UPDATED.
    found = await rows(
        services,
        "SELECT action, internal FROM activity WHERE entity_id = :e AND action = 'market_intel.commented' ORDER BY seq",
        e=raw_id(intel["id"]),
    )
    assert found == [
        ("market_intel.commented", False),
        ("market_intel.commented", True),
        ("market_intel.commented", False),
    ]
    assert (await event_types(services, raw_id(intel["id"])))[1:] == ["MARKET_INTEL_UPDATED"] * 3
