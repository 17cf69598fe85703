"""Orders over the real HTTP API and a real PostgreSQL: create, edit, hand off, confirm / return,
cancel, the timeline and the events, idempotency, concurrency. Every refusal is followed by a check
that no table changed."""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import timedelta

import pytest

from services.sla import CONFIRMATION_WINDOW
from tests.support.accounts import fast_account
from tests.support.database import rows, scalar
from tests.support.graphql import refused
from tests.support.orders import (
    CANCEL,
    COMPLETE,
    CONFIRM,
    CREATE_ORDER,
    HAND_OFF,
    READ_ORDER,
    RETURN,
    SCHEDULE,
    START,
    UPDATE_ORDER,
    Workflow,
    event_types,
    gid,
    item,
    order_input,
    raw_id,
    snapshot,
)


async def create(gql, token, customer_gid, **overrides) -> dict:
    return (await gql.mutate("createOrder", CREATE_ORDER, {"i": order_input(customer_gid, **overrides)}, token))[
        "order"
    ]


# ------------------------------------------------------------------------------------ create


async def test_create_order_is_a_draft_owned_by_its_creator(gql, services, people, customer):
    seller = people["seller"]
    order = await create(
        gql,
        seller.token,
        gid("Customer", customer.id),
        items=[item("TX-200 Press", 2, "4999.50", description="with safety guard"), item("Spare kit", 1, None)],
        contractValue="10000",
    )
    assert re.fullmatch(r"O-\d{6}", order["number"])
    assert order["status"] == "DRAFT" and order["version"] == 1
    assert order["contractValue"] == "10000.00"
    assert order["deliveryDate"] == "2026-04-15"
    assert order["customer"] == {"id": gid("Customer", customer.id), "name": "Acme Robotics"}
    assert order["owner"] == {"id": seller.gid, "name": "Marco Rossi"}
    assert order["items"] == [
        {"productModel": "TX-200 Press", "description": "with safety guard", "quantity": 2, "unitPrice": "4999.50"},
        {"productModel": "Spare kit", "description": None, "quantity": 1, "unitPrice": None},
    ]
    assert order["handedOffAt"] is None and order["confirmationDueAt"] is None and order["serviceJobs"] == []
    assert order["createdAt"].startswith("2026-03-02T09:00:00")  # the business clock, not the database's
    assert await event_types(services, raw_id(order["id"])) == ["ORDER_CREATED"]
    # What the mutation returned is what a later read sees.
    assert (await gql.ok(READ_ORDER, {"id": order["id"]}, seller.token))["node"] == order


@pytest.mark.parametrize(
    "overrides, fields",
    [
        ({"items": [item(quantity=0)]}, [["items", "0", "quantity"]]),
        ({"items": [item(model="  ")]}, [["items", "0", "productModel"]]),
        ({"items": [item(price="-1")]}, [["items", "0", "unitPrice"]]),
        ({"contractValue": "-5"}, [["contractValue"]]),
        ({"contractValue": "10.001"}, [["contractValue"]]),
        ({"deliveryDate": "15/04/2026"}, [["deliveryDate"]]),
        (
            {"items": [item(quantity=-1), item(model="")], "contractValue": "-1"},
            [["items", "0", "quantity"], ["items", "1", "productModel"], ["contractValue"]],
        ),
    ],
)
async def test_invalid_orders_are_refused_with_every_problem(overrides, fields, gql, services, people, customer):
    before = await snapshot(services)
    errors = await refused(
        gql,
        "createOrder",
        CREATE_ORDER,
        {"i": order_input(gid("Customer", customer.id), **overrides)},
        people["seller"].token,
    )
    assert {e["code"] for e in errors} == {"VALIDATION"}
    assert [e["field"] for e in errors] == fields
    assert await snapshot(services) == before


async def test_order_for_an_unknown_customer_is_not_found(gql, services, people):
    before = await snapshot(services)
    errors = await refused(
        gql, "createOrder", CREATE_ORDER, {"i": order_input(gid("Customer", uuid.uuid4()))}, people["seller"].token
    )
    assert [(e["code"], e["field"]) for e in errors] == [("NOT_FOUND", ["customerId"])]
    errors = await refused(
        gql, "createOrder", CREATE_ORDER, {"i": order_input(people["seller"].gid)}, people["seller"].token
    )
    assert [(e["code"], e["field"]) for e in errors] == [("VALIDATION", ["customerId"])]  # a User id
    assert await snapshot(services) == before


async def test_create_order_is_idempotent_per_caller_and_key(gql, services, people, customer):
    seller = people["seller"]
    request = order_input(gid("Customer", customer.id), idempotencyKey="order-42")
    first = (await gql.mutate("createOrder", CREATE_ORDER, {"i": request}, seller.token))["order"]
    again = (await gql.mutate("createOrder", CREATE_ORDER, {"i": request}, seller.token))["order"]
    assert again == first
    assert await scalar(services, "SELECT count(*) FROM orders") == 1
    assert await event_types(services) == ["CUSTOMER_CREATED", "ORDER_CREATED"]
    # The same key for a different request is a client bug, not a retry.
    before = await snapshot(services)
    errors = await refused(gql, "createOrder", CREATE_ORDER, {"i": {**request, "contractValue": "1.00"}}, seller.token)
    assert [(e["code"], e["field"]) for e in errors] == [("DUPLICATE", ["idempotencyKey"])]
    assert await snapshot(services) == before
    # Keys belong to their caller: another seller's identical request creates its own order.
    other = await fast_account(services, "MARKETING")
    theirs = (await gql.mutate("createOrder", CREATE_ORDER, {"i": request}, other.token))["order"]
    assert theirs["id"] != first["id"]
    assert await scalar(services, "SELECT count(*) FROM orders") == 2


# ------------------------------------------------------------------------------------ update


async def test_update_replaces_items_and_fields_while_draft(gql, services, people, customer):
    seller = people["seller"]
    order = await create(gql, seller.token, gid("Customer", customer.id))
    updated = (
        await gql.mutate(
            "updateOrder",
            UPDATE_ORDER,
            {
                "i": {
                    "orderId": order["id"],
                    "expectedVersion": 1,
                    "items": [item("TX-300", 5, "100.00")],
                    "deliveryDate": None,
                    "specialRequirements": "  Night shift only  ",
                }
            },
            seller.token,
        )
    )["order"]
    assert updated["version"] == 2
    assert updated["items"] == [{"productModel": "TX-300", "description": None, "quantity": 5, "unitPrice": "100.00"}]
    assert updated["deliveryDate"] is None  # explicitly cleared
    assert updated["specialRequirements"] == "Night shift only"
    assert updated["contractValue"] == "10000.00"  # not sent, not touched
    # Sending the same values again is not a change: no new version, no event.
    same = (
        await gql.mutate(
            "updateOrder",
            UPDATE_ORDER,
            {"i": {"orderId": order["id"], "items": [item("TX-300", 5, "100.00")]}},
            seller.token,
        )
    )["order"]
    assert same["version"] == 2
    assert await event_types(services, raw_id(order["id"])) == ["ORDER_CREATED", "ORDER_UPDATED"]


async def test_stale_expected_version_is_a_conflict(gql, services, people, customer):
    seller = people["seller"]
    order = await create(gql, seller.token, gid("Customer", customer.id))
    await gql.mutate(
        "updateOrder", UPDATE_ORDER, {"i": {"orderId": order["id"], "specialRequirements": "A"}}, seller.token
    )
    before = await snapshot(services)
    for name, doc, extra in (
        ("updateOrder", UPDATE_ORDER, {"specialRequirements": "B"}),
        ("handOffOrder", HAND_OFF, {}),
        ("cancelOrder", CANCEL, {}),
    ):
        errors = await refused(
            gql, name, doc, {"i": {"orderId": order["id"], "expectedVersion": 1, **extra}}, seller.token
        )
        assert [(e["code"], e["field"]) for e in errors] == [("VERSION_CONFLICT", ["expectedVersion"])]
    assert await snapshot(services) == before


async def test_edits_after_handoff_are_refused(gql, services, people, customer):
    seller = people["seller"]
    order = await create(gql, seller.token, gid("Customer", customer.id))
    await gql.mutate("handOffOrder", HAND_OFF, {"i": {"orderId": order["id"]}}, seller.token)
    before = await snapshot(services)
    errors = await refused(
        gql, "updateOrder", UPDATE_ORDER, {"i": {"orderId": order["id"], "contractValue": "1.00"}}, seller.token
    )
    assert [(e["code"], e["field"]) for e in errors] == [("INVALID_TRANSITION", ["orderId"])]
    assert "HANDED_OFF" in errors[0]["message"]
    assert await snapshot(services) == before


# ------------------------------------------------------------------------------------ hand off


async def test_hand_off_lists_every_missing_piece(gql, services, people, customer):
    seller = people["seller"]
    order = await create(
        gql, seller.token, gid("Customer", customer.id), items=[], contractValue="0", deliveryDate=None
    )
    before = await snapshot(services)
    errors = await refused(gql, "handOffOrder", HAND_OFF, {"i": {"orderId": order["id"]}}, seller.token)
    assert {e["code"] for e in errors} == {"VALIDATION"}
    assert sorted(e["field"] for e in errors) == [["contractValue"], ["deliveryDate"], ["items"]]
    assert await snapshot(services) == before
    # Fix one piece at a time: the remaining ones are still listed.
    await gql.mutate("updateOrder", UPDATE_ORDER, {"i": {"orderId": order["id"], "items": [item()]}}, seller.token)
    errors = await refused(gql, "handOffOrder", HAND_OFF, {"i": {"orderId": order["id"]}}, seller.token)
    assert sorted(e["field"] for e in errors) == [["contractValue"], ["deliveryDate"]]
    await gql.mutate(
        "updateOrder",
        UPDATE_ORDER,
        {"i": {"orderId": order["id"], "contractValue": "2500.00", "deliveryDate": "2026-05-01"}},
        seller.token,
    )
    handed = (await gql.mutate("handOffOrder", HAND_OFF, {"i": {"orderId": order["id"]}}, seller.token))["order"]
    assert handed["status"] == "HANDED_OFF"


async def test_handoff_return_and_handoff_again_restart_the_confirmation_clock(gql, services, clock, people, customer):
    seller, servicer = people["seller"], people["servicer"]
    order = await create(gql, seller.token, gid("Customer", customer.id))
    handed = (
        await gql.mutate("handOffOrder", HAND_OFF, {"i": {"orderId": order["id"], "expectedVersion": 1}}, seller.token)
    )["order"]
    assert handed["handedOffBy"] == {"id": seller.gid}
    assert handed["handedOffAt"] == clock.now().isoformat()
    assert handed["confirmationDueAt"] == (clock.now() + timedelta(hours=24)).isoformat()
    assert timedelta(hours=24) == CONFIRMATION_WINDOW
    # Returning needs the discrepancy.
    for reason in (None, "", "   "):
        errors = await refused(
            gql, "returnOrder", RETURN, {"i": {"orderId": order["id"], "reason": reason}}, servicer.token
        )
        assert [(e["code"], e["field"]) for e in errors] == [("VALIDATION", ["reason"])]
    clock.advance(hours=3)
    returned = (
        await gql.mutate(
            "returnOrder",
            RETURN,
            {"i": {"orderId": order["id"], "expectedVersion": 2, "reason": "Delivery date impossible"}},
            servicer.token,
        )
    )["order"]
    assert returned["status"] == "RETURNED" and returned["returnReason"] == "Delivery date impossible"
    await gql.mutate(
        "updateOrder", UPDATE_ORDER, {"i": {"orderId": order["id"], "deliveryDate": "2026-06-01"}}, seller.token
    )
    clock.advance(hours=2)
    again = (await gql.mutate("handOffOrder", HAND_OFF, {"i": {"orderId": order["id"]}}, seller.token))["order"]
    assert again["status"] == "HANDED_OFF"
    assert again["returnReason"] is None  # only while RETURNED: the reason stays on the timeline
    assert again["confirmationDueAt"] == (clock.now() + CONFIRMATION_WINDOW).isoformat()
    confirmed = (
        await gql.mutate("confirmOrder", CONFIRM, {"i": {"orderId": order["id"], "expectedVersion": 5}}, servicer.token)
    )["order"]
    assert confirmed["status"] == "CONFIRMED" and confirmed["confirmedBy"] == {"id": servicer.gid}
    assert confirmed["confirmedAt"] == clock.now().isoformat() and confirmed["returnReason"] is None
    assert await event_types(services, raw_id(order["id"])) == [
        "ORDER_CREATED",
        "ORDER_HANDED_OFF",
        "ORDER_RETURNED",
        "ORDER_UPDATED",
        "ORDER_HANDED_OFF",
        "ORDER_CONFIRMED",
    ]


# ------------------------------------------------------------------------------------ concurrency


async def test_two_concurrent_confirmations_one_wins(gql, services, people, customer):
    seller = people["seller"]
    order = await create(gql, seller.token, gid("Customer", customer.id))
    await gql.mutate("handOffOrder", HAND_OFF, {"i": {"orderId": order["id"]}}, seller.token)
    a, b = await fast_account(services, "SERVICE"), await fast_account(services, "SERVICE")
    variables = {"i": {"orderId": order["id"], "expectedVersion": 2}}
    bodies = await asyncio.gather(gql(CONFIRM, variables, a.token), gql(CONFIRM, variables, b.token))
    payloads = [body["data"]["confirmOrder"] for body in bodies]
    winners = [p for p in payloads if p["order"] is not None]
    losers = [p for p in payloads if p["order"] is None]
    assert len(winners) == 1 and len(losers) == 1, payloads
    assert [e["code"] for e in losers[0]["errors"]] == ["VERSION_CONFLICT"]
    assert winners[0]["order"]["version"] == 3
    assert await event_types(services, raw_id(order["id"])) == ["ORDER_CREATED", "ORDER_HANDED_OFF", "ORDER_CONFIRMED"]
    assert await scalar(services, "SELECT count(*) FROM activity WHERE action = 'order.confirmed'") == 1


# ------------------------------------------------------------------------------------ cancel


async def test_cancelling_an_order_cancels_its_open_jobs(gql, services, people, customer):
    seller, servicer = people["seller"], people["servicer"]
    flow = Workflow(services, seller.user, servicer.user)
    order = await flow.order(customer.id, status="CONFIRMED")
    open_job = await flow.job(order.id)
    done = await flow.job(order.id, status="COMPLETED")  # the order is IN_SERVICE now, one job still open
    cancelled = (
        await gql.mutate(
            "cancelOrder",
            CANCEL,
            {"i": {"orderId": gid("Order", order.id), "reason": "Customer went bankrupt"}},
            seller.token,
        )
    )["order"]
    assert cancelled["status"] == "CANCELLED"
    statuses = {r[0]: r[1] for r in await rows(services, "SELECT id, status FROM service_jobs")}
    assert statuses == {done.id: "COMPLETED", open_job.id: "CANCELLED"}
    assert (await event_types(services))[-2:] == ["ORDER_CANCELLED", "SERVICE_JOB_CANCELLED"]
    before = await snapshot(services)
    errors = await refused(gql, "cancelOrder", CANCEL, {"i": {"orderId": gid("Order", order.id)}}, seller.token)
    assert [e["code"] for e in errors] == ["INVALID_TRANSITION"]
    assert await snapshot(services) == before


async def test_a_job_moves_its_order_into_service_and_to_completion(gql, services, people, customer):
    seller, servicer = people["seller"], people["servicer"]
    order = await create(gql, seller.token, gid("Customer", customer.id))
    await gql.mutate("handOffOrder", HAND_OFF, {"i": {"orderId": order["id"]}}, seller.token)
    await gql.mutate("confirmOrder", CONFIRM, {"i": {"orderId": order["id"]}}, servicer.token)
    job = (
        await gql.mutate(
            "scheduleServiceJob",
            SCHEDULE,
            {"i": {"orderId": order["id"], "kind": "INSTALLATION", "scheduledStart": "2026-03-05T08:00:00+00:00"}},
            servicer.token,
        )
    )["serviceJob"]
    started = await gql.mutate("startServiceJob", START, {"i": {"serviceJobId": job["id"]}}, servicer.token)
    assert started["serviceJob"]["order"]["status"] == "IN_SERVICE"
    completed = await gql.mutate(
        "completeServiceJob", COMPLETE, {"i": {"serviceJobId": job["id"], "qualityResult": "PASSED"}}, servicer.token
    )
    assert completed["serviceJob"]["order"]["status"] == "COMPLETED"
    order_events = await event_types(services, raw_id(order["id"]))
    assert order_events == ["ORDER_CREATED", "ORDER_HANDED_OFF", "ORDER_CONFIRMED", "ORDER_UPDATED", "ORDER_COMPLETED"]
