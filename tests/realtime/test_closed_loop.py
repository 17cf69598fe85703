"""The improvement loop end to end through a real server (issue 11's first acceptance point): a
score-2 feedback opens an action item for the customer's owner, who is told live on
`myNotifications`; the owner starts and completes it, a supervisor sends it back (the owner is told
live again), it is completed again and verified; the customer's timeline and the audit log show each
step with its field changes."""

from __future__ import annotations

import asyncio

import pytest

from tests.support.realtime import Server, Subscriber, token_for

pytestmark = pytest.mark.timeout(120)

MINE = """subscription { myNotifications { cursor notification { kind title
  subject { __typename ... on ActionItem { id number status version } } } } }"""
CUSTOMER = 'mutation { createCustomer(input: {name: "Harbor Foods"}) { customer { id } errors { message } } }'
FEEDBACK = """mutation($c: ID!) { recordFeedback(input: {customerId: $c, source: RETURN_VISIT, score: 2,
  comment: "Slow repair"}) { feedback { id } errors { message } } }"""
ITEM = "actionItem { id status version outcome verificationNote } errors { code message }"
START = f"mutation($i: ActionItemActionInput!) {{ startActionItem(input: $i) {{ {ITEM} }} }}"
COMPLETE = f"mutation($i: CompleteActionItemInput!) {{ completeActionItem(input: $i) {{ {ITEM} }} }}"
VERIFY = f"mutation($i: VerifyActionItemInput!) {{ verifyActionItem(input: $i) {{ {ITEM} }} }}"
TIMELINE = """query($c: ID!) { node(id: $c) { ... on Customer { timeline(first: 50) { edges { node {
  action entityType changes { field old new } } } } } } }"""
AUDIT = """query { auditLog(first: 50, entityType: "ActionItem") { edges { node {
  action actor { name } changes { field old new } } } } }"""


@pytest.fixture
async def server(db_url):
    s = await Server(db_url).start()
    yield s
    s.stop()


async def step(server: Server, token: str, query: str, name: str, **input) -> dict:
    payload = (await server.mutate(token, query, {"i": input}))[name]
    assert payload["errors"] == [], payload
    return payload["actionItem"]


async def test_closed_loop(server, users):
    mia = await users.create("MARKETING", "STAFF", name="Mia Marketing")
    sam = await users.create("SERVICE", "STAFF", name="Sam Service")
    sid = await users.create("MANAGEMENT", "SUPERVISOR", name="Sid Supervisor")
    m, s, v = (token_for(p.user) for p in (mia, sam, sid))
    mine = await Subscriber(server.ws, m, MINE).connect()
    await asyncio.sleep(0.3)

    customer = (await server.mutate(m, CUSTOMER))["createCustomer"]["customer"]["id"]  # Mia owns it
    await server.mutate(s, FEEDBACK, {"c": customer})
    told = (await mine.next())["myNotifications"]["notification"]
    assert told["kind"] == "ACTION_ITEM_ASSIGNED" and told["subject"]["status"] == "OPEN"
    item = told["subject"]

    item = await step(server, m, START, "startActionItem", actionItemId=item["id"], expectedVersion=item["version"])
    item = await step(server, m, COMPLETE, "completeActionItem", actionItemId=item["id"], outcome="Called back")
    item = await step(
        server, v, VERIFY, "verifyActionItem", actionItemId=item["id"], effective=False, note="Customer still unhappy"
    )
    assert item["status"] == "IN_PROGRESS" and item["verificationNote"] == "Customer still unhappy"
    sent_back = (await mine.next())["myNotifications"]["notification"]
    assert sent_back["kind"] == "ACTION_ITEM_REJECTED" and "Customer still unhappy" in sent_back["title"]
    assert sent_back["subject"]["status"] == "IN_PROGRESS"

    item = await step(server, m, COMPLETE, "completeActionItem", actionItemId=item["id"], outcome="Replaced the unit")
    item = await step(server, v, VERIFY, "verifyActionItem", actionItemId=item["id"], effective=True, note="Confirmed")
    assert item["status"] == "VERIFIED" and item["outcome"] == "Replaced the unit"

    steps = ["created", "started", "completed", "rejected", "completed", "verified"]
    timeline = (await server.mutate(m, TIMELINE, {"c": customer}))["node"]["timeline"]["edges"]
    actions = [e["node"] for e in timeline if e["node"]["entityType"] == "ActionItem"]
    assert [a["action"].rsplit(".", 1)[-1] for a in actions] == steps
    statuses = [next(c for c in a["changes"] if c["field"] == "status") for a in actions[1:]]
    assert [(c["old"], c["new"]) for c in statuses] == [
        ("OPEN", "IN_PROGRESS"),
        ("IN_PROGRESS", "DONE"),
        ("DONE", "IN_PROGRESS"),
        ("IN_PROGRESS", "DONE"),
        ("DONE", "VERIFIED"),
    ]
    outcome = [c for c in actions[4]["changes"] if c["field"] == "outcome"]
    assert outcome == [{"field": "outcome", "old": "Called back", "new": "Replaced the unit"}]

    audit = [e["node"] for e in (await server.mutate(v, AUDIT))["auditLog"]["edges"]]  # newest first
    assert [a["action"].rsplit(".", 1)[-1] for a in reversed(audit)] == steps
    assert [a["actor"]["name"] for a in reversed(audit)] == [
        "Sam Service",  # recorded the feedback, which opened the action
        "Mia Marketing",
        "Mia Marketing",
        "Sid Supervisor",
        "Mia Marketing",
        "Sid Supervisor",
    ]
    assert all(a["changes"] for a in audit)
    await mine.close()
