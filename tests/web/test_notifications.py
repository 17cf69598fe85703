"""Personal notifications over HTTP: each kind is produced by its cause and reaches only its person,
read state and `unreadCount`, marking read (only one's own), and API keys have none."""

from __future__ import annotations

from datetime import timedelta

import pytest

from schema.ids import to_global_id
from services import action_items, escalations, orders, service_jobs, tickets
from services.action_items import NewActionItem
from services.sla_watcher import SlaWatcher
from tests.support.accounts import KEYS, PRINCIPALS, credential, fast_account
from tests.support.orders import raw_id
from tests.support.tickets import Cast, cast, new_job, new_order, open_ticket

INBOX = """query($u: Boolean) { notifications(first: 50, unread: $u) { totalCount unreadCount
  edges { node { id kind title createdAt readAt subject { __typename id } } } } }"""
MARK = """mutation($i: MarkNotificationsReadInput!) { markNotificationsRead(input: $i) {
  unreadCount errors { code field message } } }"""
NODE = "query($id: ID!) { node(id: $id) { ... on Notification { id kind } } }"


@pytest.fixture
async def c(services) -> Cast:
    return await cast(services)


async def inbox(gql, c: Cast, who, unread: bool | None = None) -> dict:
    return (await gql.ok(INBOX, {"u": unread}, c.token(who)))["notifications"]


def kinds(box: dict) -> list[str]:
    return [e["node"]["kind"] for e in box["edges"]]


async def test_each_kind_comes_from_its_cause_and_reaches_only_its_person(gql, services, clock, c):
    # ASSIGNED: a ticket assigned to Sue, a service job scheduled for her and one reassigned to her.
    ticket = await open_ticket(c, by=c.marketing)
    await c.run(c.service, tickets.acknowledge, ticket.id, None)
    await c.run(c.service, tickets.assign, ticket.id, c.service2.user.id, None)
    job = await new_job(c, with_order=True, technician=c.service2)
    other_job = await new_job(c, with_order=False, technician=c.service)
    await c.run(c.service, service_jobs.reassign_service_job, other_job.id, None, c.service2.user.id)
    box = await inbox(gql, c, c.service2)
    assert kinds(box) == ["ASSIGNED", "ASSIGNED", "ASSIGNED"]
    subjects = [e["node"]["subject"] for e in box["edges"]]
    assert subjects == [
        {"__typename": "ServiceJob", "id": to_global_id("ServiceJob", other_job.id)},
        {"__typename": "ServiceJob", "id": to_global_id("ServiceJob", job.id)},
        {"__typename": "Ticket", "id": to_global_id("Ticket", ticket.id)},
    ]
    assert ticket.number in box["edges"][2]["node"]["title"]
    assert box["unreadCount"] == 3 and box["totalCount"] == 3

    # CONSULTATION_INVITE: the invited, not the requester (Sam, who asked for it).
    await c.run(c.service, escalations.escalate, ticket.id, "Fails again", [c.marketing2.user.id], None)
    assert kinds(await inbox(gql, c, c.marketing2)) == ["CONSULTATION_INVITE"]
    assert kinds(await inbox(gql, c, c.service)) == []

    # PROBLEM_REPORTED: the owner of the job's order (Mia created it), told once.
    await c.run(
        c.service2,
        tickets.report_service_job_problem,
        job.id,
        subject="Cracked housing",
        description="Found on site",
        priority="HIGH",
    )
    mia = await inbox(gql, c, c.marketing)
    assert kinds(mia) == ["PROBLEM_REPORTED"] and "Cracked housing" in mia["edges"][0]["node"]["title"]

    # HANDOFF_RETURNED: the order's owner.
    order = await new_order(c, owner=c.marketing2)
    await c.run(c.marketing2, orders.hand_off_order, order.id, None)
    await c.run(c.service, orders.return_order, order.id, None, "Quantities do not match")
    max_box = await inbox(gql, c, c.marketing2)
    assert kinds(max_box) == ["HANDOFF_RETURNED", "CONSULTATION_INVITE"]
    assert "Quantities do not match" in max_box["edges"][0]["node"]["title"]

    # ACTION_ITEM_ASSIGNED and ACTION_ITEM_REJECTED: the owner.
    data = NewActionItem(
        title="Retrain the night shift",
        source="OTHER",
        owner_id=c.service.user.id,
        due_at=clock.now() + timedelta(days=2),
    )
    item = await c.run(c.supervisor, action_items.create_action_item, data)
    await c.run(c.service, action_items.start_action_item, item.id, None)
    await c.run(c.service, action_items.complete_action_item, item.id, None, "Done on Monday")
    await c.run(c.supervisor, action_items.verify_action_item, item.id, None, False, "Still failing")
    assert kinds(await inbox(gql, c, c.service)) == ["ACTION_ITEM_REJECTED", "ACTION_ITEM_ASSIGNED"]

    # Nobody else got any of these.
    assert kinds(await inbox(gql, c, c.supervisor)) == [] and kinds(await inbox(gql, c, c.admin)) == []


async def test_nobody_is_told_of_their_own_action_and_the_inactive_are_not_told(gql, services, clock, c):
    data = NewActionItem(
        title="Check stock", source="OTHER", owner_id=c.service.user.id, due_at=clock.now() + timedelta(days=1)
    )
    await c.run(c.service, action_items.create_action_item, data)  # Sam takes it on himself
    assert kinds(await inbox(gql, c, c.service)) == []
    gone = await fast_account(services, "SERVICE", active=False)
    assert await c.run(c.supervisor, _notify, gone.user.id) == []


async def _notify(uow, user_id):
    from services.notifications import notify
    from services.rules.notifications import NotificationKind

    return await notify(uow, [user_id, None], NotificationKind.ASSIGNED, "x")


async def test_due_soon_overdue_and_sla_alerts_are_announced_once_to_the_owner(gql, services, clock, c):
    start = clock.now()
    data = NewActionItem(
        title="Fix the manual", source="OTHER", owner_id=c.service.user.id, due_at=start + timedelta(days=3)
    )
    item = await c.run(c.supervisor, action_items.create_action_item, data)
    ticket = await open_ticket(c, by=c.marketing, priority="HIGH")
    await c.run(c.service, tickets.acknowledge, ticket.id, None)
    await c.run(c.service, tickets.assign, ticket.id, c.service2.user.id, None)
    watcher = SlaWatcher(services.db.sessions, clock)

    clock.set(start + timedelta(days=2, hours=1))  # due within 24 h; the HIGH ticket's resolution is late
    await watcher.run_once()
    await watcher.run_once()  # nothing twice
    sam = await inbox(gql, c, c.service)
    assert kinds(sam) == ["ACTION_ITEM_DUE", "ACTION_ITEM_ASSIGNED"]
    assert "due within 24 h" in sam["edges"][0]["node"]["title"]
    assert sam["edges"][0]["node"]["subject"]["id"] == to_global_id("ActionItem", item.id)
    sue = await inbox(gql, c, c.service2)
    assert set(kinds(sue)) == {"ASSIGNED", "SLA_ALERT"}
    assert all(
        e["node"]["subject"]["id"] == to_global_id("Ticket", ticket.id)
        for e in sue["edges"]
        if e["node"]["kind"] == "SLA_ALERT"
    )

    clock.set(start + timedelta(days=3, minutes=1))
    await watcher.run_once()
    sam = await inbox(gql, c, c.service)
    assert kinds(sam)[:2] == ["ACTION_ITEM_DUE", "ACTION_ITEM_DUE"] and "overdue" in sam["edges"][0]["node"]["title"]
    await watcher.run_once()
    assert (await inbox(gql, c, c.service))["totalCount"] == 3

    # A finished action item's clock stops: a new one done in time is never announced.
    data.due_at = clock.now() + timedelta(hours=30)
    second = await c.run(c.supervisor, action_items.create_action_item, data)
    await c.run(c.service, action_items.start_action_item, second.id, None)
    await c.run(c.service, action_items.complete_action_item, second.id, None, "Done early")
    clock.set(clock.now() + timedelta(hours=29))
    await watcher.run_once()
    assert (await inbox(gql, c, c.service))["totalCount"] == 4  # only the second one's assignment


async def test_read_state_unread_count_and_marking_only_ones_own(gql, services, clock, c):
    for n in range(3):
        data = NewActionItem(
            title=f"Task {n}", source="OTHER", owner_id=c.service.user.id, due_at=clock.now() + timedelta(days=2)
        )
        await c.run(c.supervisor, action_items.create_action_item, data)
    data = NewActionItem(
        title="Theirs", source="OTHER", owner_id=c.service2.user.id, due_at=clock.now() + timedelta(days=2)
    )
    await c.run(c.supervisor, action_items.create_action_item, data)
    sam, sue = await inbox(gql, c, c.service), await inbox(gql, c, c.service2)
    first, others = sam["edges"][0]["node"], [e["node"]["id"] for e in sam["edges"][1:]]
    theirs = sue["edges"][0]["node"]["id"]

    # Another person's notification does not exist for Sam: not by node(id:), not to mark.
    assert (await gql.ok(NODE, {"id": theirs}, c.token(c.service)))["node"] is None
    assert (await gql.ok(NODE, {"id": first["id"]}, c.token(c.service)))["node"] == {
        "id": first["id"],
        "kind": "ACTION_ITEM_ASSIGNED",
    }
    payload = (await gql.ok(MARK, {"i": {"notificationIds": [first["id"], theirs]}}, c.token(c.service)))[
        "markNotificationsRead"
    ]
    assert [e["code"] for e in payload["errors"]] == ["NOT_FOUND"] and payload["unreadCount"] == 3
    assert (await inbox(gql, c, c.service2))["unreadCount"] == 1

    for bad in (
        {},
        {"all": True, "notificationIds": [first["id"]]},
        {"notificationIds": []},
        {"notificationIds": ["nope"]},
    ):
        payload = (await gql.ok(MARK, {"i": bad}, c.token(c.service)))["markNotificationsRead"]
        assert payload["errors"] and payload["unreadCount"] == 3, bad

    clock.advance(minutes=5)
    payload = (await gql.ok(MARK, {"i": {"notificationIds": [first["id"]]}}, c.token(c.service)))[
        "markNotificationsRead"
    ]
    assert payload == {"unreadCount": 2, "errors": []}
    box = await inbox(gql, c, c.service)
    assert box["edges"][0]["node"]["readAt"] == clock.now().isoformat() and box["unreadCount"] == 2
    assert [e["node"]["id"] for e in (await inbox(gql, c, c.service, unread=True))["edges"]] == others
    assert [e["node"]["id"] for e in (await inbox(gql, c, c.service, unread=False))["edges"]] == [first["id"]]
    # Marking again is harmless; `all` marks the rest.
    payload = (await gql.ok(MARK, {"i": {"all": True}}, c.token(c.service)))["markNotificationsRead"]
    assert payload == {"unreadCount": 0, "errors": []}
    assert (await inbox(gql, c, c.service2))["unreadCount"] == 1  # Sue's untouched


@pytest.mark.parametrize("principal", PRINCIPALS)
async def test_permission_matrix(gql, services, users, clock, c, principal):
    """Every person reads and marks their own (a lead too); API keys have none: FORBIDDEN, nothing changes."""
    token = await credential(services, users, principal)
    if principal in KEYS:
        for query, variables in ((INBOX, {}), (MARK, {"i": {"all": True}})):
            body = await gql(query, variables, token)
            assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"], principal
        return
    me = (await gql.ok("{ me { id } }", {}, token))["me"]["id"]
    data = NewActionItem(title="Yours", source="OTHER", owner_id=raw_id(me), due_at=clock.now() + timedelta(days=2))
    await c.run(c.admin, action_items.create_action_item, data)
    assert (await gql.ok(INBOX, {}, token))["notifications"]["unreadCount"] == 1
    payload = (await gql.ok(MARK, {"i": {"all": True}}, token))["markNotificationsRead"]
    assert payload == {"unreadCount": 0, "errors": []}
