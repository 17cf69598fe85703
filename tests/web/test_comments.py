"""Comments on every work item over HTTP (`addComment(subjectId:)` and each subject's `comments`): both
visibilities on opportunities, orders, service jobs, action items and tickets; INTERNAL ones never
reach an API key through a list or a timeline; service's technical advice on an opportunity; a ticket's
reply keeps the ticket's rules; refusals that change nothing; the permission matrix for every caller;
and, through a real server, the live side: a board key's `events` over a WebSocket carry every comment's
event but never an INTERNAL body."""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass
from datetime import timedelta

import pytest

from services import action_items as action_service
from services import opportunities as presale
from services.action_items import NewActionItem
from services.opportunities import NewOpportunity, RequirementData
from tests.support.accounts import PEOPLE, PRINCIPALS, credential, fast_account
from tests.support.database import all_rows, rows
from tests.support.graphql import error_codes, refused
from tests.support.orders import gid
from tests.support.realtime import Server, Subscriber, token_for, wait_closed
from tests.support.tickets import Cast, cast, new_job, open_ticket, ticket_in

ERRORS = "errors { code message field }"
ADD = f"""mutation($i: AddCommentInput!) {{ addComment(input: $i) {{
  comment {{ id body visibility createdAt author {{ name }} }} {ERRORS} }} }}"""
PAGE = "comments(first: 20) { totalCount edges { node { body visibility author { name } } } }"
TIMELINE = "timeline(first: 50) { edges { node { action summary entityType } } }"
TABLES = ("comments", "ticket_comments", "tickets", "activity", "events")


@dataclass
class Subjects:
    """One of each kind of subject, all of the cast's customer; the order is the service job's."""

    c: Cast
    ids: dict[str, str]  # GraphQL type -> global id

    @property
    def customer(self) -> str:
        return gid("Customer", self.c.customer_id)


@pytest.fixture
async def subjects(services) -> Subjects:
    c = await cast(services)
    opportunity = await c.run(
        c.marketing,
        presale.create_opportunity,
        NewOpportunity(c.customer_id, "Line 3 retrofit", requirements=[RequirementData("Dust-proof drives", "MUST")]),
    )
    job = await new_job(c, with_order=True)
    item = await c.run(
        c.supervisor,
        action_service.create_action_item,
        NewActionItem(
            title="Check the drive seals",
            source="SUPERVISION",
            owner_id=c.service.user.id,
            due_at=services.clock.now() + timedelta(days=3),
            customer_id=c.customer_id,
        ),
    )
    ticket = await open_ticket(c)
    ids = {
        "Opportunity": gid("Opportunity", opportunity.id),
        "Order": gid("Order", job.order_id),
        "ServiceJob": gid("ServiceJob", job.id),
        "ActionItem": gid("ActionItem", item.id),
        "Ticket": gid("Ticket", ticket.id),
    }
    return Subjects(c, ids)


async def comment(gql, token: str, subject: str, body: str, visibility: str) -> dict:
    data = {"subjectId": subject, "body": body, "visibility": visibility}
    return (await gql.mutate("addComment", ADD, {"i": data}, token))["comment"]


def node_query(type_name: str, fields: str) -> str:
    return f"query($id: ID!) {{ node(id: $id) {{ ... on {type_name} {{ {fields} }} }} }}"


async def page_of(gql, token: str, type_name: str, subject: str) -> dict:
    return (await gql.ok(node_query(type_name, PAGE), {"id": subject}, token))["node"]["comments"]


def bodies(page: dict) -> list[str]:
    return [e["node"]["body"] for e in page["edges"]]


async def test_comments_of_both_visibilities_on_every_kind_of_subject(gql, services, users, subjects):
    c = subjects.c
    board, reporting = await users.api_key("board"), await users.api_key("reporting")
    for type_name, subject in subjects.ids.items():
        secret = f"Internal about the {type_name}: margin is thin"
        internal = await comment(gql, c.service.token, subject, secret, "INTERNAL")
        assert internal["visibility"] == "INTERNAL" and internal["author"] == {"name": "Sam Service"}
        assert internal["body"] == secret and internal["createdAt"] == services.clock.now().isoformat()
        shared = await comment(gql, c.marketing.token, subject, f"  Visit planned ({type_name})  ", "CUSTOMER")
        assert shared["body"] == f"Visit planned ({type_name})"  # trimmed

        staff_page = await page_of(gql, c.supervisor.token, type_name, subject)
        assert staff_page["totalCount"] == 2
        assert bodies(staff_page) == [secret, f"Visit planned ({type_name})"]  # oldest first
        for key in (board, reporting):
            key_page = await page_of(gql, key, type_name, subject)
            assert key_page["totalCount"] == 1, (type_name, key_page)
            assert bodies(key_page) == [f"Visit planned ({type_name})"]

    # Each comment is one event about its subject, of the subject's domain; no event carries a body.
    found = await rows(
        services, "SELECT entity_type, type FROM events WHERE payload->>'visibility' IS NOT NULL ORDER BY id"
    )
    each = [
        ("Opportunity", "OPPORTUNITY_UPDATED"),
        ("Order", "ORDER_UPDATED"),
        ("ServiceJob", "SERVICE_JOB_UPDATED"),
        ("ActionItem", "ACTION_ITEM_COMMENTED"),
        ("Ticket", "TICKET_UPDATED"),
    ]
    assert found == [event for event in each for _ in ("INTERNAL", "CUSTOMER")]
    leaked = await rows(services, "SELECT type FROM events WHERE payload::text LIKE '%margin is thin%'")
    assert leaked == []


async def test_timelines_show_internal_comments_to_staff_only(gql, users, subjects):
    c = subjects.c
    board, reporting = await users.api_key("board"), await users.api_key("reporting")
    for subject in subjects.ids.values():
        await comment(gql, c.marketing.token, subject, "Secret pricing note", "INTERNAL")
        await comment(gql, c.marketing.token, subject, "Shared update", "CUSTOMER")
    customer_query = node_query("Customer", TIMELINE)

    def commented(body: dict, path: str) -> list[tuple[str, str]]:
        edges = body["node"][path]["edges"]
        return [(e["node"]["entityType"], e["node"]["summary"]) for e in edges if "comment" in e["node"]["action"]]

    staff = commented(await gql.ok(customer_query, {"id": subjects.customer}, c.supervisor.token), "timeline")
    assert {t for t, _ in staff} == set(subjects.ids) and len(staff) == 10
    assert not any("Secret pricing note" in s for _, s in staff)  # an internal body is never quoted
    assert [s for t, s in staff if t == "Opportunity"] == [
        'Internal comment on opportunity "Line 3 retrofit"',
        'Comment on opportunity "Line 3 retrofit": Shared update',
    ]
    assert [s.split(" O-")[0] for t, s in staff if t == "Order"] == ["Internal comment on order", "Comment on order"]
    for key in (board, reporting):
        seen = commented(await gql.ok(customer_query, {"id": subjects.customer}, key), "timeline")
        assert len(seen) == 5 and all("Shared update" in s or "customer-visible" in s for _, s in seen), seen
    # The order's timeline has the order's and its service job's comments; each subject's own timeline its own.
    order_query = node_query("Order", TIMELINE)
    on_order = commented(await gql.ok(order_query, {"id": subjects.ids["Order"]}, c.service.token), "timeline")
    assert sorted({t for t, _ in on_order}) == ["Order", "ServiceJob"] and len(on_order) == 4
    on_order_key = commented(await gql.ok(order_query, {"id": subjects.ids["Order"]}, board), "timeline")
    assert len(on_order_key) == 2
    for type_name in ("Opportunity", "ServiceJob", "ActionItem", "Ticket"):
        own = node_query(type_name, TIMELINE)
        assert len(commented(await gql.ok(own, {"id": subjects.ids[type_name]}, c.service.token), "timeline")) == 2
        assert len(commented(await gql.ok(own, {"id": subjects.ids[type_name]}, reporting), "timeline")) == 1


async def test_service_comments_on_an_opportunity_are_technical_advice(gql, subjects):
    c, opportunity = subjects.c, subjects.ids["Opportunity"]
    await comment(gql, c.service.token, opportunity, "Use sealed IP65 drives; the site is dusty", "CUSTOMER")
    await comment(gql, c.service.token, opportunity, "Our last retrofit there overran", "INTERNAL")
    await comment(gql, c.marketing.token, opportunity, "Customer asks for a quote by Friday", "CUSTOMER")
    body = await gql.ok(node_query("Opportunity", TIMELINE), {"id": opportunity}, c.marketing.token)
    summaries = [e["node"]["summary"] for e in body["node"]["timeline"]["edges"] if "comment" in e["node"]["action"]]
    assert summaries == [
        'Technical advice on the requirements of opportunity "Line 3 retrofit": '
        "Use sealed IP65 drives; the site is dusty",
        'Internal technical advice on the requirements of opportunity "Line 3 retrofit"',
        'Comment on opportunity "Line 3 retrofit": Customer asks for a quote by Friday',
    ]


async def test_a_ticket_reply_keeps_the_ticket_rules(gql, services, subjects):
    c = subjects.c
    ticket = subjects.ids["Ticket"]
    fields = f"firstRespondedAt status {PAGE}"
    await comment(gql, c.service.token, ticket, "Checking the logs", "INTERNAL")
    before = (await gql.ok(node_query("Ticket", fields), {"id": ticket}, c.service.token))["node"]
    assert before["firstRespondedAt"] is None  # an internal comment is no response to the customer
    reply = await comment(gql, c.service.token, ticket, "A technician comes tomorrow", "CUSTOMER")
    after = (await gql.ok(node_query("Ticket", fields), {"id": ticket}, c.service.token))["node"]
    assert after["firstRespondedAt"] == services.clock.now().isoformat()
    assert bodies(after["comments"]) == ["Checking the logs", "A technician comes tomorrow"]
    assert reply["body"] == "A technician comes tomorrow" and reply["author"] == {"name": "Sam Service"}
    closed = await ticket_in(c, "CLOSED")
    data = {"subjectId": gid("Ticket", closed.id), "body": "Late note", "visibility": "CUSTOMER"}
    errors = await refused(gql, "addComment", ADD, {"i": data}, c.service.token)
    assert [(e["code"], e["field"]) for e in errors] == [("INVALID_TRANSITION", ["subjectId"])]


async def test_refusals_change_nothing(gql, services, subjects):
    c = subjects.c
    before = await all_rows(services, TABLES)
    order = subjects.ids["Order"]
    cases = [
        ({"subjectId": "nope"}, "VALIDATION", ["subjectId"]),
        ({"subjectId": subjects.customer}, "VALIDATION", ["subjectId"]),  # customers take no comments
        ({"subjectId": gid("Order", "not-a-uuid")}, "VALIDATION", ["subjectId"]),
        ({"subjectId": gid("Order", uuid.uuid4())}, "NOT_FOUND", ["subjectId"]),
        ({"subjectId": gid("Ticket", uuid.uuid4())}, "NOT_FOUND", ["subjectId"]),
        ({"subjectId": order, "body": "   "}, "VALIDATION", ["body"]),
        ({"subjectId": subjects.ids["Ticket"], "body": ""}, "VALIDATION", ["body"]),
    ]
    for data, code, field in cases:
        data = {"body": "A remark", "visibility": "INTERNAL", **data}
        errors = await refused(gql, "addComment", ADD, {"i": data}, c.marketing.token)
        assert [(e["code"], e["field"]) for e in errors] == [(code, field)], (data, errors)
        assert all(e["message"] for e in errors)
    unknown = await gql(ADD, {"i": {"subjectId": order, "body": "x", "visibility": "SECRET"}}, c.marketing.token)
    assert unknown["errors"] and unknown.get("data") is None  # not a CommentVisibility: refused before execution
    too_long = await gql(
        ADD, {"i": {"subjectId": order, "body": "x" * 20_001, "visibility": "CUSTOMER"}}, c.marketing.token
    )
    assert error_codes(too_long) == ["BAD_USER_INPUT"]  # the request limits' longest string (schema/limits/)
    assert await all_rows(services, TABLES) == before


async def test_comments_page_with_cursors(gql, users, subjects):
    c, order = subjects.c, subjects.ids["Order"]
    for i in range(5):
        await comment(gql, c.marketing.token, order, f"Note {i}", "INTERNAL" if i % 2 else "CUSTOMER")
    query = node_query(
        "Order",
        "comments(first: 2, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { body } } }",
    ).replace("$id: ID!", "$id: ID!, $after: String")
    seen, after = [], None
    while True:
        page = (await gql.ok(query, {"id": order, "after": after}, await users.api_key("board")))["node"]["comments"]
        assert page["totalCount"] == 3
        seen += bodies(page)
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == ["Note 0", "Note 2", "Note 4"]
    too_many = await gql(node_query("Order", "comments(first: 101) { totalCount }"), {"id": order}, c.service.token)
    assert error_codes(too_many) == ["BAD_USER_INPUT"]


# DOMAIN.md: "open ticket, comment, record feedback" is every person's (TICKET_PARTICIPATE); keys never write.
# Leads too: the matrix has no lead column, they act for their department.
LEADS = {"marketing lead": ("MARKETING", "LEAD"), "service lead": ("SERVICE", "LEAD")}


@pytest.mark.parametrize("principal", [*PRINCIPALS, *LEADS])
async def test_permission_matrix(gql, services, users, subjects, principal):
    if principal in LEADS:
        token = (await fast_account(services, *LEADS[principal])).token
    else:
        token = await credential(services, users, principal)
    writes = principal in PEOPLE or principal in LEADS
    for type_name, subject in subjects.ids.items():
        data = {"subjectId": subject, "body": f"By {principal}", "visibility": "INTERNAL"}
        body = await gql(ADD, {"i": data}, token)
        if writes:
            assert body["data"]["addComment"]["errors"] == [], body
            assert body["data"]["addComment"]["comment"]["body"] == f"By {principal}"
        else:
            assert error_codes(body) == ["FORBIDDEN"] and body.get("data") is None, (type_name, body)
    written = await rows(services, "SELECT count(*) FROM comments WHERE body = :b", b=f"By {principal}")
    assert written == [(4 if writes else 0,)]  # the ticket's is a reply (ticket_comments)


# The comments' event types (the server's SLA watcher announces the subjects' clocks too).
LIVE = """subscription { events(types: [OPPORTUNITY_UPDATED, ORDER_UPDATED, SERVICE_JOB_UPDATED, ACTION_ITEM_COMMENTED,
  TICKET_UPDATED]) { cursor type ... on EntityEvent { entityType entityId }
  ... on TicketEvent { ticket { number comments(first: 20) { totalCount edges { node { body visibility } } } } } } }"""


@pytest.mark.timeout(120)
async def test_internal_comments_never_reach_a_board_key_live(db_url, users, subjects):
    c = subjects.c
    server = await Server(db_url).start()
    subscribers = []
    try:
        board = await Subscriber(server.ws, await users.api_key("board"), LIVE).connect()
        staff = await Subscriber(server.ws, token_for(c.supervisor.user), LIVE).connect()
        subscribers += [board, staff]
        reporting = await Subscriber(server.ws, await users.api_key("reporting"), LIVE).connect()
        subscribers.append(reporting)
        assert (reporting.close_code or await wait_closed(reporting)) == 4403  # reporting keys never subscribe
        await asyncio.sleep(0.3)  # both subscriptions are live
        writer = token_for(c.service.user)
        for type_name, subject in subjects.ids.items():
            for visibility in ("INTERNAL", "CUSTOMER"):
                data = {"subjectId": subject, "body": f"{visibility} word on the {type_name}", "visibility": visibility}
                answer = await server.mutate(writer, ADD, {"i": data})
                assert answer["addComment"]["errors"] == []
        seen = {name: await sub.collect(10) for name, sub in (("board", board), ("staff", staff))}
        # Both get every comment's event, in the same order (nothing is withheld but the INTERNAL bodies)...
        expected = [t for t in subjects.ids for _ in range(2)]
        for events in seen.values():
            kinds = [e["events"].get("entityType") or "Ticket" for e in events]
            assert kinds == expected, events
        # ... and only staff ever read an INTERNAL one (a ticket event brings the ticket's comments).
        board_text = json.dumps(seen["board"])
        assert "INTERNAL word" not in board_text and "CUSTOMER word on the Ticket" in board_text
        assert "INTERNAL word on the Ticket" in json.dumps(seen["staff"])
    finally:
        for sub in subscribers:
            await sub.close()
        server.stop()
