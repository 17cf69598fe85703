"""Service jobs over HTTP: scheduling (for confirmed orders or bare customers), start, completion with
a quality check, cancellation, reassignment, what they do to their order, idempotency, and the list."""

from __future__ import annotations

import re

import pytest

from tests.support.accounts import fast_account
from tests.support.database import scalar
from tests.support.graphql import error_codes, refused
from tests.support.orders import (
    ACCEPT,
    CANCEL_JOB,
    COMPLETE,
    READ_JOB,
    REASSIGN,
    SCHEDULE,
    START,
    event_types,
    gid,
    new_customer,
    snapshot,
)


def schedule_input(**fields) -> dict:
    return {
        "kind": "INSTALLATION",
        "scheduledStart": "2026-03-04T08:00:00+00:00",
        "scheduledEnd": "2026-03-04T12:00:00+00:00",
        **fields,
    }


async def schedule(gql, token, **fields) -> dict:
    return (await gql.mutate("scheduleServiceJob", SCHEDULE, {"i": schedule_input(**fields)}, token))["serviceJob"]


JOB_ACTIONS = {
    "startServiceJob": START,
    "completeServiceJob": COMPLETE,
    "cancelServiceJob": CANCEL_JOB,
    "reassignServiceJob": REASSIGN,
}


async def job_step(gql, name: str, token, **fields) -> dict:
    """The service job after mutation `name` (one of JOB_ACTIONS) with input `fields`, which must succeed."""
    return (await gql.mutate(name, JOB_ACTIONS[name], {"i": fields}, token))["serviceJob"]


async def job_refusal(gql, name: str, token, **fields) -> list[dict]:
    """The user errors of mutation `name` (one of JOB_ACTIONS) with input `fields`, which must be refused."""
    return await refused(gql, name, JOB_ACTIONS[name], {"i": fields}, token)


async def order_status(services, order_id) -> str:
    return await scalar(services, "SELECT status FROM orders WHERE id = :o", o=order_id)


async def test_schedule_a_job_for_a_confirmed_order(gql, services, people, flow, customer):
    order = await flow.order(customer.id, status="CONFIRMED")
    tech = people["technician"]
    job = await schedule(
        gql, people["servicer"].token, orderId=gid("Order", order.id), technicianId=tech.gid, notes="Bring the crane"
    )
    assert re.fullmatch(r"J-\d{6}", job["number"])
    assert (job["kind"], job["status"], job["version"]) == ("INSTALLATION", "SCHEDULED", 1)
    assert job["order"] == {"id": gid("Order", order.id), "status": "CONFIRMED"}
    assert job["customer"] == {"id": gid("Customer", customer.id)}
    assert job["technician"] == {"id": tech.gid, "name": "Tom Becker"}
    assert job["scheduledStart"] == "2026-03-04T08:00:00+00:00" and job["scheduledEnd"] == "2026-03-04T12:00:00+00:00"
    assert job["notes"] == "Bring the crane" and job["qualityResult"] is None
    assert (await gql.ok(READ_JOB, {"id": job["id"]}, people["seller"].token))["node"] == job
    assert (await event_types(services))[-1] == "SERVICE_JOB_SCHEDULED"


async def test_schedule_a_job_for_a_bare_customer(gql, services, people, customer):
    job = await schedule(gql, people["servicer"].token, customerId=gid("Customer", customer.id), kind="MAINTENANCE")
    assert job["order"] is None and job["customer"] == {"id": gid("Customer", customer.id)}
    servicer = people["servicer"].token
    await job_step(gql, "startServiceJob", servicer, serviceJobId=job["id"], expectedVersion=1)
    done = (
        await gql.mutate(
            "completeServiceJob",
            COMPLETE,
            {"i": {"serviceJobId": job["id"], "qualityResult": "FAILED", "notes": "Pump worn out"}},
            servicer,
        )
    )["serviceJob"]
    assert (done["status"], done["qualityResult"], done["notes"]) == ("COMPLETED", "FAILED", "Pump worn out")
    assert done["completedAt"] is not None and done["version"] == 3
    assert await scalar(services, "SELECT count(*) FROM events WHERE type LIKE 'ORDER_%'") == 0


@pytest.mark.parametrize(
    "case",
    [
        "draft order",
        "handed-off order",
        "no order or customer",
        "end before start",
        "marketing technician",
        "inactive technician",
        "unknown technician",
        "other customer",
        "unknown order",
        "unknown customer",
    ],
)
async def test_bad_schedules_are_refused(case, gql, services, people, flow, customer):
    other = await new_customer(services, "Other Co")
    confirmed = gid("Order", (await flow.order(customer.id, status="CONFIRMED")).id)
    inputs = {
        "draft order": (
            {"orderId": gid("Order", (await flow.order(customer.id)).id)},
            "INVALID_TRANSITION",
            ["orderId"],
        ),
        "handed-off order": (
            {"orderId": gid("Order", (await flow.order(customer.id, status="HANDED_OFF")).id)},
            "INVALID_TRANSITION",
            ["orderId"],
        ),
        "no order or customer": ({}, "VALIDATION", ["orderId"]),
        "end before start": (
            {"orderId": confirmed, "scheduledEnd": "2026-03-04T08:00:00+00:00"},
            "VALIDATION",
            ["scheduledEnd"],
        ),
        "marketing technician": (
            {"orderId": confirmed, "technicianId": people["seller"].gid},
            "VALIDATION",
            ["technicianId"],
        ),
        "inactive technician": (
            {"orderId": confirmed, "technicianId": (await fast_account(services, "SERVICE", active=False)).gid},
            "VALIDATION",
            ["technicianId"],
        ),
        "unknown technician": (
            {"orderId": confirmed, "technicianId": gid("User", other.id)},
            "VALIDATION",
            ["technicianId"],
        ),
        "other customer": (
            {"orderId": confirmed, "customerId": gid("Customer", other.id)},
            "VALIDATION",
            ["customerId"],
        ),
        "unknown order": ({"orderId": gid("Order", other.id)}, "NOT_FOUND", ["orderId"]),
        "unknown customer": ({"customerId": gid("Customer", people["seller"].user.id)}, "NOT_FOUND", ["customerId"]),
    }
    fields, code, field = inputs[case]
    before = await snapshot(services)
    errors = await refused(
        gql, "scheduleServiceJob", SCHEDULE, {"i": schedule_input(**fields)}, people["servicer"].token
    )
    assert [(e["code"], e["field"]) for e in errors] == [(code, field)]
    assert await snapshot(services) == before


async def test_schedule_is_idempotent(gql, services, people, flow, customer):
    order = await flow.order(customer.id, status="CONFIRMED")
    request = schedule_input(orderId=gid("Order", order.id), idempotencyKey="job-1")
    first = (await gql.mutate("scheduleServiceJob", SCHEDULE, {"i": request}, people["servicer"].token))["serviceJob"]
    again = (await gql.mutate("scheduleServiceJob", SCHEDULE, {"i": request}, people["servicer"].token))["serviceJob"]
    assert again == first
    assert await scalar(services, "SELECT count(*) FROM service_jobs") == 1
    assert (await event_types(services)).count("SERVICE_JOB_SCHEDULED") == 1
    before = await snapshot(services)
    errors = await refused(
        gql, "scheduleServiceJob", SCHEDULE, {"i": {**request, "kind": "TRAINING"}}, people["servicer"].token
    )
    assert [e["code"] for e in errors] == ["DUPLICATE"]
    assert await snapshot(services) == before


async def test_order_completes_when_every_non_cancelled_job_is_done(gql, services, people, flow, customer):
    token = people["servicer"].token
    order = await flow.order(customer.id, status="CONFIRMED")
    jobs = [
        await schedule(gql, token, orderId=gid("Order", order.id), kind=kind)
        for kind in ("INSTALLATION", "COMMISSIONING", "TRAINING")
    ]
    a, b, c = (j["id"] for j in jobs)

    started = await job_step(gql, "startServiceJob", token, serviceJobId=a)
    assert started["order"]["status"] == "IN_SERVICE"
    await job_step(gql, "startServiceJob", token, serviceJobId=b)  # the order is in service already
    assert (await event_types(services, order.id)).count("ORDER_UPDATED") == 1

    await job_step(gql, "completeServiceJob", token, serviceJobId=a, qualityResult="PASSED")
    await job_step(gql, "completeServiceJob", token, serviceJobId=b, qualityResult="FAILED")
    assert await order_status(services, order.id) == "IN_SERVICE"  # job c is still scheduled
    cancelled = await job_step(gql, "cancelServiceJob", token, serviceJobId=c)
    assert cancelled["status"] == "CANCELLED"
    # Every job is done, but the last quality check failed: the order stays in service until a rework passes.
    assert cancelled["order"]["status"] == "IN_SERVICE"
    rework = (await schedule(gql, token, orderId=gid("Order", order.id), kind="REPAIR"))["id"]
    await job_step(gql, "startServiceJob", token, serviceJobId=rework)
    passed = await job_step(gql, "completeServiceJob", token, serviceJobId=rework, qualityResult="PASSED")
    assert passed["order"]["status"] == "COMPLETED"
    assert (await event_types(services, order.id))[-1] == "ORDER_COMPLETED"
    assert await scalar(services, "SELECT completed_at FROM orders WHERE id = :o", o=order.id) is not None


async def test_cancelling_the_only_job_leaves_a_confirmed_order_confirmed(gql, services, people, flow, customer):
    order = await flow.order(customer.id, status="CONFIRMED")
    job = await schedule(gql, people["servicer"].token, orderId=gid("Order", order.id))
    await job_step(gql, "cancelServiceJob", people["servicer"].token, serviceJobId=job["id"])
    assert await order_status(services, order.id) == "CONFIRMED"


async def test_job_actions_check_the_version_and_the_quality_result(gql, services, people, flow, customer):
    token = people["servicer"].token
    job = await schedule(gql, token, customerId=gid("Customer", customer.id))
    await job_step(gql, "startServiceJob", token, serviceJobId=job["id"])
    before = await snapshot(services)
    errors = await job_refusal(
        gql, "completeServiceJob", token, serviceJobId=job["id"], qualityResult="PASSED", expectedVersion=1
    )
    assert [(e["code"], e["field"]) for e in errors] == [("VERSION_CONFLICT", ["expectedVersion"])]
    errors = await job_refusal(gql, "startServiceJob", token, serviceJobId=job["id"])
    assert [e["code"] for e in errors] == ["INVALID_TRANSITION"]
    errors = await job_refusal(gql, "cancelServiceJob", token, serviceJobId=gid("ServiceJob", customer.id))
    assert [(e["code"], e["field"]) for e in errors] == [("NOT_FOUND", ["serviceJobId"])]
    assert await snapshot(services) == before


async def test_reassign_a_job(gql, services, people, flow, customer):
    token = people["servicer"].token
    job = await schedule(gql, token, customerId=gid("Customer", customer.id), technicianId=people["technician"].gid)
    other = await fast_account(services, "SERVICE", name="Tariq Haddad")
    moved = await job_step(
        gql, "reassignServiceJob", token, serviceJobId=job["id"], technicianId=other.gid, expectedVersion=1
    )
    assert moved["technician"] == {"id": other.gid, "name": "Tariq Haddad"} and moved["version"] == 2
    assert (await event_types(services))[-1] == "SERVICE_JOB_UPDATED"
    before = await snapshot(services)
    for technician, version, expected in (
        (people["seller"].gid, 2, ("VALIDATION", ["technicianId"])),
        (people["technician"].gid, 1, ("VERSION_CONFLICT", ["expectedVersion"])),
    ):
        errors = await job_refusal(
            gql, "reassignServiceJob", token, serviceJobId=job["id"], technicianId=technician, expectedVersion=version
        )
        assert [(e["code"], e["field"]) for e in errors] == [expected]
    assert await snapshot(services) == before
    await job_step(gql, "cancelServiceJob", token, serviceJobId=job["id"])
    before = await snapshot(services)
    errors = await job_refusal(
        gql, "reassignServiceJob", token, serviceJobId=job["id"], technicianId=people["technician"].gid
    )
    assert [e["code"] for e in errors] == ["INVALID_TRANSITION"]
    assert await snapshot(services) == before


JOBS = """query($status: [ServiceJobStatus!], $orderId: ID, $technicianId: ID, $after: String, $first: Int) {
  serviceJobs(status: $status, orderId: $orderId, technicianId: $technicianId, after: $after, first: $first) {
    totalCount pageInfo { hasNextPage endCursor } edges { node { id status scheduledStart } } } }"""


async def test_service_jobs_list_and_filters(gql, services, people, flow, customer, clock):
    tech = people["technician"]
    order = await flow.order(customer.id, status="CONFIRMED")
    a = await flow.job(order.id, technician_id=tech.user.id, status="IN_PROGRESS")
    clock.advance(minutes=10)
    b = await flow.job(order.id, status="SCHEDULED")
    clock.advance(minutes=10)
    c = await flow.job(customer_id=customer.id, technician_id=tech.user.id, status="COMPLETED")
    token = people["seller"].token

    def ids(result):
        return [e["node"]["id"] for e in result["serviceJobs"]["edges"]]

    assert ids(await gql.ok(JOBS, {}, token)) == [gid("ServiceJob", j.id) for j in (c, b, a)]  # latest start first
    assert ids(await gql.ok(JOBS, {"orderId": gid("Order", order.id)}, token)) == [
        gid("ServiceJob", j.id) for j in (b, a)
    ]
    assert ids(await gql.ok(JOBS, {"technicianId": tech.gid}, token)) == [gid("ServiceJob", j.id) for j in (c, a)]
    assert ids(await gql.ok(JOBS, {"status": ["SCHEDULED", "COMPLETED"]}, token)) == [
        gid("ServiceJob", j.id) for j in (c, b)
    ]
    first = await gql.ok(JOBS, {"first": 2}, token)
    rest = await gql.ok(JOBS, {"first": 2, "after": first["serviceJobs"]["pageInfo"]["endCursor"]}, token)
    assert ids(first) + ids(rest) == [gid("ServiceJob", j.id) for j in (c, b, a)]
    assert first["serviceJobs"]["totalCount"] == 3

    order_jobs = """query($id: ID!) { node(id: $id) { ... on Order { status serviceJobs { id status } } } }"""
    read = (await gql.ok(order_jobs, {"id": gid("Order", order.id)}, token))["node"]
    assert read["status"] == "IN_SERVICE"
    assert [j["id"] for j in read["serviceJobs"]] == [gid("ServiceJob", j.id) for j in (a, b)]  # earliest first


async def test_a_service_lead_accepts_an_order_whose_last_check_failed(gql, services, people, flow, customer):
    token = people["servicer"].token
    lead = await fast_account(services, "SERVICE", "LEAD", name="Lena Lead")
    order = await flow.order(customer.id, status="CONFIRMED")
    job = (await schedule(gql, token, orderId=gid("Order", order.id)))["id"]
    await job_step(gql, "startServiceJob", token, serviceJobId=job)
    accept = {"orderId": gid("Order", order.id), "reason": "Customer signed off: the fault is in their power supply"}
    early = await refused(gql, "acceptOrderCompletion", ACCEPT, {"i": accept}, lead.token)  # a job still runs
    assert [e["code"] for e in early] == ["INVALID_TRANSITION"]
    await job_step(gql, "completeServiceJob", token, serviceJobId=job, qualityResult="FAILED")
    assert await order_status(services, order.id) == "IN_SERVICE"
    before = await snapshot(services)
    for who, data, code in (
        (people["servicer"], accept, "FORBIDDEN"),  # service staff, not a lead
        (lead, {**accept, "reason": "  "}, "VALIDATION"),
        (lead, {**accept, "expectedVersion": 99}, "VERSION_CONFLICT"),
    ):
        errors = await refused(gql, "acceptOrderCompletion", ACCEPT, {"i": data}, who.token)
        assert [e["code"] for e in errors] == [code], (data, errors)
    assert await snapshot(services) == before
    body = await gql(ACCEPT, {"i": accept}, people["seller"].token)  # marketing: not a service operation
    assert error_codes(body) == ["FORBIDDEN"]
    accepted = (await gql.mutate("acceptOrderCompletion", ACCEPT, {"i": accept}, lead.token))["order"]
    assert accepted["status"] == "COMPLETED"
    assert await scalar(services, "SELECT completed_at FROM orders WHERE id = :o", o=order.id) is not None
    summary = await scalar(
        services, "SELECT summary FROM activity WHERE action = 'order.accepted' AND entity_id = :o", o=order.id
    )
    assert summary.endswith("Customer signed off: the fault is in their power supply")
    assert (await event_types(services, order.id))[-1] == "ORDER_COMPLETED"
