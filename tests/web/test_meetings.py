"""Meetings (例會) over HTTP: a meeting and its decisions' action items in one transaction, a refused
meeting that writes nothing, the links both ways, the list (newest held first, kind filter, keyset
pages), idempotent replays, and who may record one (every department, every role, every key scope)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from tests.support.accounts import credential, fast_account
from tests.support.database import all_rows, scalar, statements
from tests.support.graphql import error_codes, pages, refused
from tests.support.orders import event_types, gid, raw_id

ERRORS = "errors { code message field }"
ITEM = "id title source status dueAt description owner { name } createdBy { name } meeting { id title }"
MEETING = f"""id kind title heldAt minutes decisions version attendees {{ name }} recordedBy {{ name }}
  actionItems {{ {ITEM} }}"""
RECORD = f"mutation($i: RecordMeetingInput!) {{ recordMeeting(input: $i) {{ meeting {{ {MEETING} }} {ERRORS} }} }}"
LIST = """query($kind: [MeetingKind!], $after: String, $first: Int) {
  meetings(first: $first, after: $after, kind: $kind) { totalCount
    edges { cursor node { title kind heldAt } } pageInfo { hasNextPage endCursor } } }"""
CREATE_ITEM = f"""mutation($i: CreateActionItemInput!) {{ createActionItem(input: $i) {{ actionItem {{ {ITEM} }}
  {ERRORS} }} }}"""
TABLES = ("meetings", "meeting_attendees", "action_items", "activity", "events", "idempotency_records")


@pytest.fixture
async def team(services):
    return {
        "lead": await fast_account(services, "MARKETING", "LEAD", name="Mei Lin"),
        "service lead": await fast_account(services, "SERVICE", "LEAD", name="Sven Larsen"),
        "seller": await fast_account(services, "MARKETING", name="Marco Rossi"),
        "servicer": await fast_account(services, "SERVICE", name="Sofia Alvarez"),
        "gone": await fast_account(services, "SERVICE", name="Gone Gao", active=False),
    }


def weekly(clock, team, **changes) -> dict:
    """A weekly meeting of both departments with two decisions, each with its action item."""
    due = (clock.now() + timedelta(days=7)).isoformat()
    data = {
        "kind": "WEEKLY",
        "title": "Weekly joint meeting",
        "heldAt": (clock.now() - timedelta(hours=1)).isoformat(),
        "attendeeIds": [team["lead"].gid, team["service lead"].gid, team["servicer"].gid],
        "minutes": "Reviewed open tickets and this week's handoffs.",
        "decisions": ["Call back every complaint within 24 h", "Share the spare-parts list with sales"],
        "actions": [
            {"title": "Set up the call-back rota", "ownerId": team["servicer"].gid, "dueAt": due},
            {"title": "Send the spare-parts list", "ownerId": team["seller"].gid, "dueAt": due},
        ],
    }
    return {**data, **changes}


# The events of meetings and action items (the notifications their owners get have events of their own).
_OURS = {"events": "WHERE type = 'MEETING_RECORDED' OR type LIKE 'ACTION_ITEM_%'"}


async def counts(services) -> dict[str, int]:
    return {t: await scalar(services, f"SELECT count(*) FROM {t} {_OURS.get(t, '')}") for t in TABLES}


async def test_a_meeting_and_its_action_items_are_one_transaction(gql, services, clock, team):
    before = await counts(services)
    meeting = (await gql.mutate("recordMeeting", RECORD, {"i": weekly(clock, team)}, team["lead"].token))["meeting"]
    after = await counts(services)
    # One meeting, three attendees, two action items; an activity and an event for each of the three.
    assert {t: after[t] - before[t] for t in TABLES} == {
        "meetings": 1,
        "meeting_attendees": 3,
        "action_items": 2,
        "activity": 3,
        "events": 3,
        "idempotency_records": 0,
    }
    assert meeting["kind"] == "WEEKLY" and meeting["title"] == "Weekly joint meeting" and meeting["version"] == 1
    assert meeting["heldAt"] == (clock.now() - timedelta(hours=1)).isoformat()
    assert [a["name"] for a in meeting["attendees"]] == ["Mei Lin", "Sofia Alvarez", "Sven Larsen"]  # by name
    assert meeting["decisions"] == ["Call back every complaint within 24 h", "Share the spare-parts list with sales"]
    assert meeting["recordedBy"] == {"name": "Mei Lin"}
    items = meeting["actionItems"]
    assert [(i["title"], i["owner"]["name"]) for i in items] == [
        ("Set up the call-back rota", "Sofia Alvarez"),
        ("Send the spare-parts list", "Marco Rossi"),
    ]
    assert {(i["source"], i["status"], i["createdBy"]["name"]) for i in items} == {("MEETING", "OPEN", "Mei Lin")}
    assert all(i["meeting"] == {"id": meeting["id"], "title": "Weekly joint meeting"} for i in items)
    assert items[0]["description"].startswith("Decided at the meeting")

    # The events: the meeting's, then each action item's own (which the notifications build on).
    assert await event_types(services, raw_id(meeting["id"])) == ["MEETING_RECORDED"]
    for item in items:
        assert await event_types(services, raw_id(item["id"])) == ["ACTION_ITEM_CREATED"]

    # Readable again by node(id:), and the action item leads back to its meeting.
    node = await gql.ok(
        f"query($id: ID!) {{ node(id: $id) {{ ... on Meeting {{ {MEETING} }} }} }}",
        {"id": meeting["id"]},
        team["seller"].token,
    )
    assert node["node"] == meeting
    back = await gql.ok(
        "query($id: ID!) { node(id: $id) { ... on ActionItem { meeting { title actionItems { id } } "
        "timeline(first: 5) { edges { node { action } } } } } }",
        {"id": items[1]["id"]},
        team["servicer"].token,
    )
    assert back["node"]["meeting"] == {"title": "Weekly joint meeting", "actionItems": [{"id": i["id"]} for i in items]}
    assert [e["node"]["action"] for e in back["node"]["timeline"]["edges"]] == ["action_item.created"]
    # The recorded change shows the attendees as User ids and the decisions as a list.
    audit = await gql.ok(
        """query { auditLog(first: 10, entityType: "Meeting") { edges { node { action summary
          changes { field new } } } } }""",
        None,
        (await fast_account(services, "MANAGEMENT", "SUPERVISOR")).token,
    )
    [entry] = [e["node"] for e in audit["auditLog"]["edges"]]
    assert entry["action"] == "meeting.recorded" and "2 action items" in entry["summary"]
    changes = {c["field"]: c["new"] for c in entry["changes"]}
    assert team["lead"].gid in changes["attendeeIds"] and "spare-parts" in changes["decisions"]


async def test_a_meeting_without_decisions_or_actions(gql, clock, team):
    data = weekly(clock, team, kind="AD_HOC", attendeeIds=[team["lead"].gid], minutes=None)
    del data["decisions"], data["actions"]
    meeting = (await gql.mutate("recordMeeting", RECORD, {"i": data}, team["lead"].token))["meeting"]
    assert meeting["kind"] == "AD_HOC" and meeting["decisions"] == [] and meeting["actionItems"] == []
    assert meeting["minutes"] is None


async def test_any_invalid_part_refuses_the_whole_meeting(gql, services, clock, team):
    base = weekly(clock, team)
    good, past = base["actions"][0], (clock.now() - timedelta(minutes=1)).isoformat()

    def with_action(**changes) -> dict:
        return {**base, "actions": [good, {**base["actions"][1], **changes}]}

    cases = [
        # An invalid action item: the meeting and its other (valid) action item are refused with it.
        (with_action(ownerId=team["gone"].gid), ["actions", "1", "ownerId"]),
        (with_action(ownerId=gid("User", uuid.uuid4())), ["actions", "1", "ownerId"]),  # nobody
        (with_action(dueAt=past), ["actions", "1", "dueAt"]),
        (with_action(dueAt=clock.now().isoformat()), ["actions", "1", "dueAt"]),  # due now is not the future
        (with_action(title="   "), ["actions", "1", "title"]),
        (with_action(ownerId=gid("Customer", raw_id(team["seller"].gid))), ["actions", "1", "ownerId"]),
        # The meeting itself.
        ({**base, "attendeeIds": []}, ["attendeeIds"]),
        ({**base, "attendeeIds": [team["lead"].gid, team["lead"].gid]}, ["attendeeIds"]),
        ({**base, "attendeeIds": [team["lead"].gid, team["gone"].gid]}, ["attendeeIds"]),
        ({**base, "title": " "}, ["title"]),
        ({**base, "heldAt": (clock.now() + timedelta(days=1)).isoformat()}, ["heldAt"]),
        ({**base, "decisions": ["Fine", ""]}, ["decisions", "1"]),
        ({**base, "title": "x" * 201}, ["title"]),
    ]
    before = await all_rows(services, TABLES)
    for data, field in cases:
        errors = await refused(gql, "recordMeeting", RECORD, {"i": data}, team["lead"].token)
        assert [(e["code"], e["field"]) for e in errors] == [("VALIDATION", field)], (data, errors)
    # Every problem at once, each with its place.
    errors = await refused(
        gql, "recordMeeting", RECORD, {"i": {**with_action(title="", dueAt=past), "title": ""}}, team["lead"].token
    )
    assert [e["field"] for e in errors] == [["title"], ["actions", "1", "title"], ["actions", "1", "dueAt"]]
    assert await all_rows(services, TABLES) == before


async def test_newest_held_first_kind_filter_and_pages(gql, clock, team):
    held = [
        ("Weekly 1", "WEEKLY", 21),
        ("Monthly March", "MONTHLY", 14),
        ("Weekly 2", "WEEKLY", 7),
        ("Ad hoc: pump recall", "AD_HOC", 10),
        ("Weekly 3", "WEEKLY", 1),
    ]
    for title, kind, days in held:  # recorded in another order than held
        data = weekly(clock, team, title=title, kind=kind, heldAt=(clock.now() - timedelta(days=days)).isoformat())
        data["actions"] = []
        await gql.mutate("recordMeeting", RECORD, {"i": data}, team["service lead"].token)
    token = team["seller"].token
    seen = []
    async for page in pages(gql, LIST, {"first": 2}, token, "meetings"):
        assert page["totalCount"] == 5 and len(page["edges"]) <= 2
        seen += [e["node"]["title"] for e in page["edges"]]
    assert seen == ["Weekly 3", "Weekly 2", "Ad hoc: pump recall", "Monthly March", "Weekly 1"]
    weeklies = (await gql.ok(LIST, {"kind": ["WEEKLY"], "first": 10}, token))["meetings"]
    assert weeklies["totalCount"] == 3
    assert [e["node"]["title"] for e in weeklies["edges"]] == ["Weekly 3", "Weekly 2", "Weekly 1"]
    both = (await gql.ok(LIST, {"kind": ["MONTHLY", "AD_HOC"]}, token))["meetings"]
    assert [e["node"]["title"] for e in both["edges"]] == ["Ad hoc: pump recall", "Monthly March"]
    # Pages of the filtered list, and the errors of a bad page request.
    first = (await gql.ok(LIST, {"kind": ["WEEKLY"], "first": 1}, token))["meetings"]
    rest = await gql.ok(LIST, {"kind": ["WEEKLY"], "first": 5, "after": first["pageInfo"]["endCursor"]}, token)
    assert [e["node"]["title"] for e in rest["meetings"]["edges"]] == ["Weekly 2", "Weekly 1"]
    assert error_codes(await gql(LIST, {"first": 101}, token)) == ["BAD_USER_INPUT"]
    assert error_codes(await gql(LIST, {"after": "not-a-cursor"}, token)) == ["BAD_USER_INPUT"]


async def test_a_replay_returns_the_same_meeting_and_no_second_set_of_items(gql, services, clock, team):
    data = weekly(clock, team, idempotencyKey="weekly-2026-10")
    first = (await gql.mutate("recordMeeting", RECORD, {"i": data}, team["lead"].token))["meeting"]
    before = await counts(services)
    again = (await gql.mutate("recordMeeting", RECORD, {"i": data}, team["lead"].token))["meeting"]
    assert again == first and len(again["actionItems"]) == 2
    assert await counts(services) == before
    other = {**data, "title": "Another meeting"}
    errors = await refused(gql, "recordMeeting", RECORD, {"i": other}, team["lead"].token)
    assert [e["code"] for e in errors] == ["DUPLICATE"]
    assert await counts(services) == before
    # The key is the caller's own: another lead's same key records a meeting of its own.
    theirs = (await gql.mutate("recordMeeting", RECORD, {"i": data}, team["service lead"].token))["meeting"]
    assert theirs["id"] != first["id"]


async def test_an_action_item_created_for_a_meeting(gql, clock, team):
    data = weekly(clock, team, actions=[])
    meeting = (await gql.mutate("recordMeeting", RECORD, {"i": data}, team["lead"].token))["meeting"]
    item = {
        "title": "Follow-up from the meeting",
        "source": "MEETING",
        "ownerId": team["servicer"].gid,
        "dueAt": (clock.now() + timedelta(days=2)).isoformat(),
        "meetingId": meeting["id"],
    }
    created = (await gql.mutate("createActionItem", CREATE_ITEM, {"i": item}, team["seller"].token))["actionItem"]
    assert created["meeting"] == {"id": meeting["id"], "title": meeting["title"]}
    again = await gql.ok(
        "query($id: ID!) { node(id: $id) { ... on Meeting { actionItems { title } } } }",
        {"id": meeting["id"]},
        team["seller"].token,
    )
    assert again["node"]["actionItems"] == [{"title": "Follow-up from the meeting"}]
    missing = {**item, "meetingId": gid("Meeting", uuid.uuid4())}
    errors = await refused(gql, "createActionItem", CREATE_ITEM, {"i": missing}, team["seller"].token)
    assert [(e["code"], e["field"]) for e in errors] == [("NOT_FOUND", ["meetingId"])]
    wrong_type = {**item, "meetingId": team["seller"].gid}
    errors = await refused(gql, "createActionItem", CREATE_ITEM, {"i": wrong_type}, team["seller"].token)
    assert [(e["code"], e["field"]) for e in errors] == [("VALIDATION", ["meetingId"])]


# DOMAIN.md part 2: leads, supervisors and admins record meetings (of any department for supervisors and
# admins); staff do not; API keys never write. Everyone, keys included, reads them.
CALLERS = [
    *((f"{d.lower()} {r.lower()}", d, r) for d in ("MARKETING", "SERVICE", "MANAGEMENT") for r in ("STAFF", "LEAD")),
    *(
        (f"{d.lower()} {r.lower()}", d, r)
        for r in ("SUPERVISOR", "ADMIN")
        for d in ("MARKETING", "SERVICE", "MANAGEMENT")
    ),
    ("reporting key", None, None),
    ("board key", None, None),
]
RECORDING = {"marketing lead", "service lead"} | {c[0] for c in CALLERS if c[2] in ("SUPERVISOR", "ADMIN")}
# Refused by the matrix itself (a GraphQL FORBIDDEN error): keys, and management staff and leads, whose
# column has only every person's rights. Marketing and service staff pass the matrix and are refused by
# the service (a FORBIDDEN user error), which checks the role the matrix cannot see.
MATRIX_REFUSED = {"management staff", "management lead", "reporting key", "board key"}


@pytest.mark.parametrize(("who", "department", "role"), CALLERS, ids=[c[0] for c in CALLERS])
async def test_who_may_record_and_read_meetings(gql, services, users, clock, team, who, department, role):
    if department is None:
        token = await credential(services, users, who)
    else:
        token = (await fast_account(services, department, role)).token
    data = weekly(clock, team)
    before = await all_rows(services, TABLES)
    body = await gql(RECORD, {"i": data}, token)
    if who in RECORDING:
        payload = body["data"]["recordMeeting"]
        assert payload["errors"] == [] and len(payload["meeting"]["actionItems"]) == 2, body
    elif who in MATRIX_REFUSED:
        assert error_codes(body) == ["FORBIDDEN"] and body["data"] is None, body
        assert await all_rows(services, TABLES) == before
    else:
        payload = body["data"]["recordMeeting"]
        assert payload["meeting"] is None and [e["code"] for e in payload["errors"]] == ["FORBIDDEN"], body
        assert "lead" in payload["errors"][0]["message"]
        assert await all_rows(services, TABLES) == before
    await gql.mutate("recordMeeting", RECORD, {"i": weekly(clock, team, actions=[])}, team["lead"].token)
    listed = await gql.ok("{ meetings { totalCount edges { node { title attendees { name } } } } }", None, token)
    assert listed["meetings"]["totalCount"] == (2 if who in RECORDING else 1)
    assert error_codes(await gql("{ meetings { totalCount } }")) == ["UNAUTHENTICATED"]


async def test_the_list_costs_the_same_statements_for_2_meetings_as_for_12(gql, services, clock, team):
    """Attendees, action items and their owners are batched (loaders): no statement per meeting."""
    query = f"{{ meetings(first: 50) {{ edges {{ node {{ {MEETING} }} }} }} }}"
    engines = services.db.engine, services.db.reads_engine

    async def cost(n: int) -> int:
        with statements(*engines) as seen:
            data = await gql.ok(query, None, team["seller"].token)
        assert len(data["meetings"]["edges"]) == n
        assert all(len(e["node"]["actionItems"]) == 2 for e in data["meetings"]["edges"])
        return len(seen)

    for _ in range(2):
        await gql.mutate("recordMeeting", RECORD, {"i": weekly(clock, team)}, team["lead"].token)
    await cost(2)  # warm up
    small = await cost(2)
    for _ in range(10):
        await gql.mutate("recordMeeting", RECORD, {"i": weekly(clock, team)}, team["lead"].token)
    assert await cost(12) == small
