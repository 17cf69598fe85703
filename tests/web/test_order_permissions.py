"""Who may do what with orders, service jobs and feedback (DOMAIN.md's matrix), over HTTP.

Every mutation of this part × every kind of caller: allowed ones succeed and change what they should;
refused ones get exactly one FORBIDDEN error and leave every table as it was.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from schema.schema import build_schema
from tests.support import orders
from tests.support.accounts import PEOPLE, PRINCIPALS, credential, fast_account
from tests.support.database import scalar
from tests.support.graphql import error_codes
from tests.support.orders import Workflow, gid, new_customer, order_input, snapshot

# DOMAIN.md: orders (create, hand off, cancel) marketing + admin; confirm/return order and service jobs
# service + admin; record feedback every person (marketing, service, supervisor, admin); keys never write.
SALES = {"marketing staff", "admin"}
SERVICE = {"service staff", "admin"}
EVERY_PERSON = set(PEOPLE)
ALLOWED = {
    "createOrder": SALES,
    "updateOrder": SALES,
    "handOffOrder": SALES,
    "cancelOrder": SALES,
    "confirmOrder": SERVICE,
    "returnOrder": SERVICE,
    "scheduleServiceJob": SERVICE,
    "startServiceJob": SERVICE,
    "completeServiceJob": SERVICE,
    "cancelServiceJob": SERVICE,
    "reassignServiceJob": SERVICE,
    "recordFeedback": EVERY_PERSON,
}


@dataclass
class World:
    services: Any
    flow: Workflow
    technician: Any


Prepared = tuple[dict, Callable[[], Awaitable[None]]]


async def _status_is(w: World, table: str, row_id, status: str) -> None:
    assert await scalar(w.services, f"SELECT status FROM {table} WHERE id = :i", i=row_id) == status


async def prep_create_order(w: World) -> Prepared:
    customer = await new_customer(w.services, "Newco")

    async def applied():
        assert await scalar(w.services, "SELECT count(*) FROM orders WHERE customer_id = :c", c=customer.id) == 1

    return order_input(gid("Customer", customer.id)), applied


async def _order(w: World, status: str):
    return await w.flow.order((await new_customer(w.services)).id, status=status)


async def prep_update_order(w: World) -> Prepared:
    order = await _order(w, "DRAFT")

    async def applied():
        assert await scalar(w.services, "SELECT special_requirements FROM orders WHERE id = :o", o=order.id) == "Perm"

    return {"orderId": gid("Order", order.id), "specialRequirements": "Perm"}, applied


def _order_action(status: str, expected: str, **extra) -> Callable[[World], Awaitable[Prepared]]:
    async def prep(w: World) -> Prepared:
        order = await _order(w, status)
        return {"orderId": gid("Order", order.id), **extra}, lambda: _status_is(w, "orders", order.id, expected)

    return prep


async def prep_schedule(w: World) -> Prepared:
    order = await _order(w, "CONFIRMED")

    async def applied():
        assert await scalar(w.services, "SELECT count(*) FROM service_jobs WHERE order_id = :o", o=order.id) == 1

    return {"orderId": gid("Order", order.id), "kind": "TRAINING", "scheduledStart": "2026-03-09T08:00:00Z"}, applied


def _job_action(status: str, expected: str, **extra) -> Callable[[World], Awaitable[Prepared]]:
    async def prep(w: World) -> Prepared:
        job = await w.flow.job(customer_id=(await new_customer(w.services)).id, status=status)
        return {"serviceJobId": gid("ServiceJob", job.id), **extra}, lambda: _status_is(
            w, "service_jobs", job.id, expected
        )

    return prep


async def prep_reassign(w: World) -> Prepared:
    job = await w.flow.job(customer_id=(await new_customer(w.services)).id)

    async def applied():
        assert (
            await scalar(w.services, "SELECT technician_id FROM service_jobs WHERE id = :j", j=job.id)
            == w.technician.user.id
        )

    return {"serviceJobId": gid("ServiceJob", job.id), "technicianId": w.technician.gid}, applied


async def prep_record_feedback(w: World) -> Prepared:
    customer = await new_customer(w.services)

    async def applied():
        assert await scalar(w.services, "SELECT count(*) FROM feedback WHERE customer_id = :c", c=customer.id) == 1

    return {"customerId": gid("Customer", customer.id), "source": "SURVEY", "score": 4}, applied


CASES: dict[str, tuple[str, Callable[[World], Awaitable[Prepared]]]] = {
    "createOrder": (orders.CREATE_ORDER, prep_create_order),
    "updateOrder": (orders.UPDATE_ORDER, prep_update_order),
    "handOffOrder": (orders.HAND_OFF, _order_action("DRAFT", "HANDED_OFF")),
    "cancelOrder": (orders.CANCEL, _order_action("HANDED_OFF", "CANCELLED")),
    "confirmOrder": (orders.CONFIRM, _order_action("HANDED_OFF", "CONFIRMED")),
    "returnOrder": (orders.RETURN, _order_action("HANDED_OFF", "RETURNED", reason="Wrong voltage")),
    "scheduleServiceJob": (orders.SCHEDULE, prep_schedule),
    "startServiceJob": (orders.START, _job_action("SCHEDULED", "IN_PROGRESS")),
    "completeServiceJob": (orders.COMPLETE, _job_action("IN_PROGRESS", "COMPLETED", qualityResult="PASSED")),
    "cancelServiceJob": (orders.CANCEL_JOB, _job_action("SCHEDULED", "CANCELLED")),
    "reassignServiceJob": (orders.REASSIGN, prep_reassign),
    "recordFeedback": (orders.RECORD, prep_record_feedback),
}


# Mutations whose rule goes beyond the matrix, tested where that rule is: a service *lead* (or an admin)
# accepts an order whose last quality check failed; service staff get a FORBIDDEN user error.
BEYOND_THE_MATRIX = {"acceptOrderCompletion": "tests/web/test_service_jobs.py"}


def test_the_table_covers_every_mutation_of_this_part():
    schema = build_schema()
    names = {schema.config.name_converter.get_graphql_name(f) for f in schema.get_type_by_name("Mutation").fields}
    assert set(CASES) == set(ALLOWED)
    assert set(CASES) <= names
    from schema.roots import feedback, orders, service_jobs  # every mutation these parts add is in the table

    mine = {
        schema.config.name_converter.get_graphql_name(f)
        for roots in (orders, service_jobs, feedback)
        for f in roots.Mutation.__strawberry_definition__.fields
    }
    assert mine == set(CASES) | set(BEYOND_THE_MATRIX)


@pytest.mark.parametrize("principal", PRINCIPALS)
async def test_order_mutations_follow_the_matrix(principal, gql, services, users):
    seller, servicer = await fast_account(services, "MARKETING"), await fast_account(services, "SERVICE")
    world = World(services, Workflow(services, seller.user, servicer.user), await fast_account(services, "SERVICE"))
    token = await credential(services, users, principal)
    wrong: list[str] = []
    for name, (document, prepare) in CASES.items():
        variables, applied = await prepare(world)
        before = await snapshot(services)
        body = await gql(document, {"i": variables}, token)
        if principal in ALLOWED[name]:
            payload = (body.get("data") or {}).get(name)
            if body.get("errors") or not payload or payload["errors"]:
                wrong.append(f"{name} refused for {principal}: {body}")
                continue
            await applied()
        else:
            if error_codes(body) != ["FORBIDDEN"] or body.get("data") is not None:
                wrong.append(f"{name} not forbidden for {principal}: {body}")
            elif await snapshot(services) != before:
                wrong.append(f"{name} changed data although forbidden for {principal}")
    assert wrong == []
