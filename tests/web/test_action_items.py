"""Action items (整改, the improvement loop) over HTTP: the closed loop from a score-2 feedback to a
verified effect, who may take each step, overdue, filters, refusals that change nothing, and the
permission matrix for every caller."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.policy import DEFAULT_FEEDBACK_ACTION_DUE, Policy
from settings import Settings
from tests.support.accounts import PRINCIPALS, credential, fast_account
from tests.support.database import all_rows
from tests.support.graphql import error_codes, refused
from tests.support.orders import event_types, gid, new_customer, raw_id

ERRORS = "errors { code message field }"
ITEM = """id number title description source status dueAt overdue outcome verifiedAt verificationNote createdAt
  version owner { name } verifiedBy { name } createdBy { name } customer { name } feedback { score }
  ticket { number }"""
CREATE = (
    f"mutation($i: CreateActionItemInput!) {{ createActionItem(input: $i) {{ actionItem {{ {ITEM} }} {ERRORS} }} }}"
)
START = f"mutation($i: ActionItemActionInput!) {{ startActionItem(input: $i) {{ actionItem {{ {ITEM} }} {ERRORS} }} }}"
COMPLETE = (
    f"mutation($i: CompleteActionItemInput!) {{ completeActionItem(input: $i) {{ actionItem {{ {ITEM} }} {ERRORS} }} }}"
)
VERIFY = (
    f"mutation($i: VerifyActionItemInput!) {{ verifyActionItem(input: $i) {{ actionItem {{ {ITEM} }} {ERRORS} }} }}"
)
CANCEL = (
    f"mutation($i: ActionItemActionInput!) {{ cancelActionItem(input: $i) {{ actionItem {{ {ITEM} }} {ERRORS} }} }}"
)
RECORD = """mutation($i: RecordFeedbackInput!) { recordFeedback(input: $i) { feedback { id } errors { code } } }"""
TIMELINE = "timeline(first: 20) { edges { node { action summary actor { name } } } }"
LIST = f"""query($f: ActionItemFilter) {{ actionItems(first: 50, filter: $f) {{ totalCount
  edges {{ node {{ {ITEM} {TIMELINE} }} }} }} }}"""
TABLES = ("action_items", "activity", "events", "feedback")


@pytest.fixture
async def loop(services):
    seller = await fast_account(services, "MARKETING", name="Mei Lin")
    servicer = await fast_account(services, "SERVICE", name="Sam Wu")
    supervisor = await fast_account(services, "MANAGEMENT", "SUPERVISOR", name="Hana Supervisor")
    lead = await fast_account(services, "MARKETING", "LEAD", name="Lee Lead")
    return {"seller": seller, "servicer": servicer, "supervisor": supervisor, "lead": lead}


async def create_customer(gql, token: str, name: str) -> str:
    query = "mutation($n: String!) { createCustomer(input: {name: $n}) { customer { id } errors { code } } }"
    return (await gql.mutate("createCustomer", query, {"n": name}, token))["customer"]["id"]


def step(item: dict, **extra) -> dict:
    return {"actionItemId": item["id"], "expectedVersion": item["version"], **extra}


async def test_the_closed_loop_from_low_feedback_to_a_verified_effect(gql, services, clock, loop):
    seller, servicer, supervisor = loop["seller"], loop["servicer"], loop["supervisor"]
    customer = await create_customer(gql, seller.token, "Harbor Foods")  # created by marketing: its owner
    feedback = {"customerId": customer, "source": "RETURN_VISIT", "score": 2, "comment": "Slow repair"}
    await gql.mutate("recordFeedback", RECORD, {"i": feedback}, servicer.token)

    listed = (await gql.ok(LIST, {"f": {"customerId": customer}}, servicer.token))["actionItems"]
    assert listed["totalCount"] == 1
    item = listed["edges"][0]["node"]
    assert item["source"] == "FEEDBACK" and item["status"] == "OPEN" and item["owner"]["name"] == "Mei Lin"
    assert item["feedback"] == {"score": 2} and item["customer"] == {"name": "Harbor Foods"}
    assert item["description"] == "Slow repair" and item["createdBy"]["name"] == "Sam Wu"
    assert item["number"].startswith("A-") and item["overdue"] is False
    assert item["dueAt"] == (clock.now() + DEFAULT_FEEDBACK_ACTION_DUE).isoformat()

    # Only the owner starts and completes it.
    assert [e["code"] for e in await refused(gql, "startActionItem", START, {"i": step(item)}, servicer.token)] == [
        "FORBIDDEN"
    ]
    item = (await gql.mutate("startActionItem", START, {"i": step(item)}, seller.token))["actionItem"]
    assert item["status"] == "IN_PROGRESS"
    item = (
        await gql.mutate("completeActionItem", COMPLETE, {"i": step(item, outcome="Spare parts stocked")}, seller.token)
    )["actionItem"]
    assert item["status"] == "DONE" and item["outcome"] == "Spare parts stocked"

    # The supervisor finds it not effective: back to IN_PROGRESS with the note.
    rejected = step(item, effective=False, note="Still waiting 3 days for parts")
    item = (await gql.mutate("verifyActionItem", VERIFY, {"i": rejected}, supervisor.token))["actionItem"]
    assert item["status"] == "IN_PROGRESS" and item["verificationNote"] == "Still waiting 3 days for parts"
    assert item["verifiedBy"] is None
    item = (
        await gql.mutate("completeActionItem", COMPLETE, {"i": step(item, outcome="Parts held locally")}, seller.token)
    )["actionItem"]
    effective = step(item, effective=True, note="Repairs within a day since")
    item = (await gql.mutate("verifyActionItem", VERIFY, {"i": effective}, supervisor.token))["actionItem"]
    assert item["status"] == "VERIFIED" and item["verifiedBy"]["name"] == "Hana Supervisor"
    assert item["verifiedAt"] == clock.now().isoformat() and item["outcome"] == "Parts held locally"

    # Each step is on the action item's timeline and the customer's, and each is an event.
    listed = (await gql.ok(LIST, {"f": {"customerId": customer}}, servicer.token))["actionItems"]
    steps = [e["node"]["action"] for e in listed["edges"][0]["node"]["timeline"]["edges"]]
    assert steps == [
        "action_item.created",
        "action_item.started",
        "action_item.completed",
        "action_item.rejected",
        "action_item.completed",
        "action_item.verified",
    ]
    timeline_query = (
        "query($c: ID!) { node(id: $c) { ... on Customer { timeline(first: 50) { edges { node { action } } } } } }"
    )
    customer_steps = [
        e["node"]["action"]
        for e in (await gql.ok(timeline_query, {"c": customer}, servicer.token))["node"]["timeline"]["edges"]
    ]
    assert [s for s in customer_steps if s.startswith(("feedback.", "action_item."))] == ["feedback.recorded", *steps]
    assert await event_types(services, raw_id(item["id"])) == [
        "ACTION_ITEM_CREATED",
        "ACTION_ITEM_STARTED",
        "ACTION_ITEM_COMPLETED",
        "ACTION_ITEM_REJECTED",
        "ACTION_ITEM_COMPLETED",
        "ACTION_ITEM_VERIFIED",
    ]


async def test_low_feedback_without_a_customer_owner_goes_to_the_marketing_lead(gql, services, loop):
    customer = await new_customer(services, "Ownerless Mills")  # created without a person: no owner
    feedback = {"customerId": gid("Customer", customer.id), "source": "TICKET", "score": 1}
    await gql.mutate("recordFeedback", RECORD, {"i": feedback}, loop["servicer"].token)
    await gql.mutate("recordFeedback", RECORD, {"i": {**feedback, "score": 3}}, loop["servicer"].token)  # no action
    listed = await gql.ok(LIST, {"f": {"customerId": gid("Customer", customer.id)}}, loop["seller"].token)
    owners = [e["node"]["owner"]["name"] for e in listed["actionItems"]["edges"]]
    assert owners == ["Lee Lead"]


async def test_the_automatic_action_is_due_when_the_setting_says(gql, services, clock, loop):
    settings = Settings.from_env({"TANDEM_FEEDBACK_ACTION_DUE_HOURS": "10"})
    services.policy = Policy.from_settings(settings)
    customer = await create_customer(gql, loop["seller"].token, "Delta Tools")
    feedback = {"customerId": customer, "source": "RETURN_VISIT", "score": 1}
    await gql.mutate("recordFeedback", RECORD, {"i": feedback}, loop["servicer"].token)
    item = (await gql.ok(LIST, {"f": {"customerId": customer}}, loop["seller"].token))["actionItems"]["edges"][0]
    assert item["node"]["dueAt"] == (clock.now() + timedelta(hours=10)).isoformat()
    for bad in ("0", "-3", "soon"):
        with pytest.raises(ValueError, match="TANDEM_FEEDBACK_ACTION_DUE_HOURS"):
            Settings.from_env({"TANDEM_FEEDBACK_ACTION_DUE_HOURS": bad})


async def test_overdue_and_the_filters(gql, clock, loop):
    seller, servicer = loop["seller"], loop["servicer"]
    customer = await create_customer(gql, seller.token, "Filter Farms")
    due = (clock.now() + timedelta(hours=2)).isoformat()
    base = {"source": "SUPERVISION", "ownerId": servicer.gid, "dueAt": due, "customerId": customer}
    soon = (await gql.mutate("createActionItem", CREATE, {"i": {**base, "title": "Recheck seals"}}, seller.token))[
        "actionItem"
    ]
    done = (await gql.mutate("createActionItem", CREATE, {"i": {**base, "title": "Train crew"}}, seller.token))[
        "actionItem"
    ]
    done = (await gql.mutate("startActionItem", START, {"i": step(done)}, servicer.token))["actionItem"]
    await gql.mutate("completeActionItem", COMPLETE, {"i": step(done, outcome="Trained")}, servicer.token)
    clock.advance(hours=3)

    def titles(answer: dict) -> list[str]:
        return sorted(e["node"]["title"] for e in answer["actionItems"]["edges"])

    assert titles(await gql.ok(LIST, {"f": {"overdue": True}}, seller.token)) == ["Recheck seals"]
    assert titles(await gql.ok(LIST, {"f": {"overdue": False}}, seller.token)) == ["Train crew"]
    assert titles(await gql.ok(LIST, {"f": {"status": ["DONE"]}}, seller.token)) == ["Train crew"]
    assert titles(await gql.ok(LIST, {"f": {"ownerId": seller.gid}}, seller.token)) == []
    assert titles(await gql.ok(LIST, {"f": {"source": ["SUPERVISION"], "ownerId": servicer.gid}}, seller.token)) == [
        "Recheck seals",
        "Train crew",
    ]
    node = await gql.ok(
        "query($i: ID!) { node(id: $i) { ... on ActionItem { overdue } } }", {"i": soon["id"]}, seller.token
    )
    assert node["node"]["overdue"] is True
    bad = await gql(LIST, {"f": {"ownerId": "nope"}}, seller.token)
    assert error_codes(bad) == ["BAD_USER_INPUT"]


async def test_refusals_change_nothing(gql, services, clock, loop):
    seller, servicer, supervisor = loop["seller"], loop["servicer"], loop["supervisor"]
    customer = await create_customer(gql, seller.token, "Refusal Foods")
    other = await create_customer(gql, seller.token, "Other Foods")
    due = (clock.now() + timedelta(days=1)).isoformat()
    base = {"title": "Check", "source": "OTHER", "ownerId": servicer.gid, "dueAt": due, "customerId": customer}
    item = (await gql.mutate("createActionItem", CREATE, {"i": base}, seller.token))["actionItem"]
    feedback = (
        await gql.mutate(
            "recordFeedback", RECORD, {"i": {"customerId": other, "source": "OTHER", "score": 5}}, seller.token
        )
    )["feedback"]
    before = await all_rows(services, TABLES)
    cases = [
        ("createActionItem", CREATE, {**base, "title": "  "}, seller, "VALIDATION"),
        (
            "createActionItem",
            CREATE,
            {**base, "dueAt": (clock.now() - timedelta(hours=1)).isoformat()},
            seller,
            "VALIDATION",
        ),
        (
            "createActionItem",
            CREATE,
            {**base, "feedbackId": feedback["id"]},
            seller,
            "VALIDATION",
        ),  # another customer's
        ("createActionItem", CREATE, {**base, "ownerId": gid("User", raw_id(customer))}, seller, "VALIDATION"),
        ("completeActionItem", COMPLETE, step(item, outcome="x"), servicer, "INVALID_TRANSITION"),  # not started
        ("verifyActionItem", VERIFY, step(item, effective=True, note="ok"), supervisor, "INVALID_TRANSITION"),
        ("startActionItem", START, step(item, expectedVersion=item["version"] + 1), servicer, "VERSION_CONFLICT"),
        ("cancelActionItem", CANCEL, step(item), servicer, "FORBIDDEN"),  # neither creator nor supervisor
    ]
    for name, query, data, who, code in cases:
        errors = await refused(gql, name, query, {"i": data}, who.token)
        assert [e["code"] for e in errors] == [code], (name, data, errors)
    assert await all_rows(services, TABLES) == before
    cancelled = (await gql.mutate("cancelActionItem", CANCEL, {"i": step(item)}, supervisor.token))["actionItem"]
    assert cancelled["status"] == "CANCELLED"
    assert [
        e["code"] for e in await refused(gql, "startActionItem", START, {"i": step(cancelled)}, servicer.token)
    ] == ["INVALID_TRANSITION"]


async def test_create_is_idempotent(gql, clock, loop):
    data = {
        "title": "Audit the spare-parts stock",
        "source": "ROOT_CAUSE_REVIEW",
        "ownerId": loop["servicer"].gid,
        "dueAt": (clock.now() + timedelta(days=5)).isoformat(),
        "idempotencyKey": "audit-1",
    }
    first = (await gql.mutate("createActionItem", CREATE, {"i": data}, loop["seller"].token))["actionItem"]
    again = (await gql.mutate("createActionItem", CREATE, {"i": data}, loop["seller"].token))["actionItem"]
    assert again["id"] == first["id"] and first["customer"] is None


# DOMAIN.md: improvement actions marketing, service, supervisor (verify), admin; keys never write.
ACTING = {"marketing staff", "service staff", "supervisor", "admin"}
VERIFYING = {"supervisor", "admin"}


@pytest.mark.parametrize("principal", PRINCIPALS)
async def test_permission_matrix(gql, services, users, clock, loop, principal):
    token = await credential(services, users, principal)
    me = (await gql("{ me { id } }", None, token)).get("data") or {}
    owner = me.get("me", {}).get("id") if me.get("me") else loop["servicer"].gid
    due = (clock.now() + timedelta(days=1)).isoformat()
    data = {"title": "Matrix", "source": "OTHER", "ownerId": owner, "dueAt": due}
    body = await gql(CREATE, {"i": data}, token)
    if principal not in ACTING:
        assert error_codes(body) == ["FORBIDDEN"] and body.get("data") is None, body
        created = (await gql.mutate("createActionItem", CREATE, {"i": data}, loop["seller"].token))["actionItem"]
    else:
        assert body["data"]["createActionItem"]["errors"] == [], body
        created = body["data"]["createActionItem"]["actionItem"]
    # start/complete: the matrix first; then (for those who may act) the owner rule.
    started = await gql(START, {"i": step(created)}, token)
    if principal not in ACTING:
        assert error_codes(started) == ["FORBIDDEN"], started
        return
    item = started["data"]["startActionItem"]["actionItem"]
    assert item["status"] == "IN_PROGRESS", started
    item = (await gql.mutate("completeActionItem", COMPLETE, {"i": step(item, outcome="Done")}, token))["actionItem"]
    verified = await gql(VERIFY, {"i": step(item, effective=True, note="Fine")}, token)
    if principal in VERIFYING:
        assert verified["data"]["verifyActionItem"]["actionItem"]["status"] == "VERIFIED", verified
    else:
        assert error_codes(verified) == ["FORBIDDEN"] and verified.get("data") is None, verified
