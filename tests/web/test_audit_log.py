"""The audit trail, complete (part 2): `Activity.changes` shows each recorded field change as the API shows
values, and `auditLog` lists every recorded change — user, API-key, SLA-policy and target changes too,
which no timeline shows — newest first, for supervisors and admins only, filtered by actor, entity type
and time; no secret ever appears in it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.support.accounts import PRINCIPALS, credential, fast_account
from tests.support.graphql import error_codes

AUDIT = """query($a: ID, $e: String, $f: DateTime, $t: DateTime, $after: String) {
  auditLog(first: 50, actorId: $a, entityType: $e, from: $f, to: $t, after: $after) { totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { at action entityType entityId summary actor { name } changes { field old new } } } } }"""


async def admin_changes(gql, admin, clock, servicer) -> dict:
    """A user's role change, an API key, an SLA policy and a sales target, by the admin; then an action item."""
    ok = gql.mutate
    await ok(
        "updateUser",
        "mutation($i: UpdateUserInput!) { updateUser(input: $i) { user { role } errors { code } } }",
        {"i": {"userId": servicer.gid, "role": "LEAD"}},
        admin.token,
    )
    key = await ok(
        "createApiKey",
        "mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { key apiKey { id } errors { code } } }",
        {"i": {"name": "Wall board 3", "scope": "BOARD"}},
        admin.token,
    )
    await ok(
        "updateSlaPolicy",
        "mutation($i: UpdateSlaPolicyInput!) { updateSlaPolicy(input: $i) { slaPolicy { priority } errors { code } } }",
        {"i": {"priority": "HIGH", "firstResponseMinutes": 90, "resolutionMinutes": 1440}},
        admin.token,
    )
    await ok(
        "setSalesTarget",
        "mutation($i: SetSalesTargetInput!) { setSalesTarget(input: $i) { salesTarget { id } errors { code } } }",
        {"i": {"periodStart": "2026-03-01", "periodEnd": "2026-03-31", "amount": "9000.00"}},
        admin.token,
    )
    clock.advance(minutes=5)
    created = await ok(
        "createActionItem",
        "mutation($i: CreateActionItemInput!) { createActionItem(input: $i) { actionItem { id } errors { code } } }",
        {
            "i": {
                "title": "Audit me",
                "source": "OTHER",
                "ownerId": servicer.gid,
                "dueAt": (clock.now() + timedelta(days=2)).isoformat(),
            }
        },
        admin.token,
    )
    await ok(
        "startActionItem",
        "mutation($i: ActionItemActionInput!) { startActionItem(input: $i) { actionItem { id } errors { code } } }",
        {"i": {"actionItemId": created["actionItem"]["id"]}},
        servicer.token,
    )
    return {"key": key["key"], "item": created["actionItem"]["id"]}


async def test_the_audit_log_shows_every_change_with_its_fields(gql, services, clock):
    admin = await fast_account(services, "MANAGEMENT", "ADMIN", name="Ada Admin")
    supervisor = await fast_account(services, "MANAGEMENT", "SUPERVISOR", name="Sid Supervisor")
    servicer = await fast_account(services, "SERVICE", name="Sam Service")
    start = clock.now()
    made = await admin_changes(gql, admin, clock, servicer)

    log = (await gql.ok(AUDIT, {}, supervisor.token))["auditLog"]
    entries = [e["node"] for e in log["edges"]]
    assert log["totalCount"] == len(entries) >= 6
    assert [e["at"] for e in entries] == sorted((e["at"] for e in entries), reverse=True)  # newest first
    kinds = {e["entityType"] for e in entries}
    assert {"User", "ApiKey", "SlaPolicy", "SalesTarget", "ActionItem"} <= kinds
    by_action = {e["action"]: e for e in entries}
    started = by_action["action_item.started"]
    assert started["actor"] == {"name": "Sam Service"} and started["entityId"] == made["item"]
    assert {"field": "status", "old": "OPEN", "new": "IN_PROGRESS"} in started["changes"]
    role = next(e for e in entries if e["entityType"] == "User")
    assert {"field": "role", "old": "STAFF", "new": "LEAD"} in role["changes"]
    created = by_action["action_item.created"]
    assert {"field": "ownerId", "old": None, "new": servicer.gid} in created["changes"]  # a global id

    # No secret in any entry: not the API key, not a password hash or token field.
    text = str(entries)
    assert made["key"] not in text and "argon2" not in text
    assert not any(c["field"].lower().endswith(("hash", "password", "token")) for e in entries for c in e["changes"])

    # Filters: actor, entity type, time window.
    mine = (await gql.ok(AUDIT, {"a": servicer.gid}, supervisor.token))["auditLog"]
    assert {e["node"]["action"] for e in mine["edges"]} == {"action_item.started"}
    policies = (await gql.ok(AUDIT, {"e": "SlaPolicy"}, supervisor.token))["auditLog"]
    assert policies["totalCount"] == 1
    later = (await gql.ok(AUDIT, {"f": (start + timedelta(minutes=1)).isoformat()}, supervisor.token))["auditLog"]
    assert {e["node"]["entityType"] for e in later["edges"]} == {"ActionItem"}
    before = (await gql.ok(AUDIT, {"t": (start + timedelta(minutes=1)).isoformat()}, supervisor.token))["auditLog"]
    assert "ActionItem" not in {e["node"]["entityType"] for e in before["edges"]}
    assert later["totalCount"] + before["totalCount"] == log["totalCount"]
    backwards = {"f": clock.now().isoformat(), "t": start.isoformat()}
    assert error_codes(await gql(AUDIT, backwards, supervisor.token)) == ["BAD_USER_INPUT"]


async def test_the_audit_log_pages_without_gaps(gql, services, clock):
    admin = await fast_account(services, "MANAGEMENT", "ADMIN")
    servicer = await fast_account(services, "SERVICE")
    await admin_changes(gql, admin, clock, servicer)
    query = AUDIT.replace("first: 50", "first: 2")
    seen, after = [], None
    while True:
        page = (await gql.ok(query, {"after": after}, admin.token))["auditLog"]
        seen += [(e["node"]["at"], e["node"]["action"]) for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    whole = (await gql.ok(AUDIT, {}, admin.token))["auditLog"]
    assert seen == [(e["node"]["at"], e["node"]["action"]) for e in whole["edges"]]


@pytest.mark.parametrize("principal", PRINCIPALS)
async def test_only_supervisors_and_admins_read_the_audit_log(gql, services, users, principal):
    token = await credential(services, users, principal)
    body = await gql(AUDIT, {}, token)
    if principal in ("supervisor", "admin"):
        assert not body.get("errors"), body
    else:
        assert error_codes(body) == ["FORBIDDEN"] and body["data"] is None
