"""The order and service-job state machines, every (state, action) pair, through the services.

Allowed pairs are written out here from DOMAIN.md, independently of the code's table: each allowed
pair succeeds (new status, version moved, its one event); every other pair is refused with
INVALID_TRANSITION and changes nothing (no row, no activity, no event).
"""

from __future__ import annotations

import pytest

from services import order_transitions
from services import orders as order_service
from services import service_jobs as job_service
from services.errors import DomainError, ErrorCode
from services.rules import orders as order_rules
from services.rules import service_jobs as job_rules
from tests.support.accounts import fast_account
from tests.support.orders import Workflow, event_types, new_customer, snapshot

ORDER_STATES = ["DRAFT", "HANDED_OFF", "RETURNED", "CONFIRMED", "IN_SERVICE", "COMPLETED", "CANCELLED"]
ORDER_ACTIONS = ["update", "hand_off", "confirm", "return", "start_service", "complete", "cancel"]

# DOMAIN.md: DRAFT → HANDED_OFF → CONFIRMED → IN_SERVICE → COMPLETED, HANDED_OFF → RETURNED → HANDED_OFF,
# CANCELLED from any state before COMPLETED; edits only while DRAFT or RETURNED.
ORDER_ALLOWED = {
    ("DRAFT", "update"): ("DRAFT", "ORDER_UPDATED"),
    ("RETURNED", "update"): ("RETURNED", "ORDER_UPDATED"),
    ("DRAFT", "hand_off"): ("HANDED_OFF", "ORDER_HANDED_OFF"),
    ("RETURNED", "hand_off"): ("HANDED_OFF", "ORDER_HANDED_OFF"),
    ("HANDED_OFF", "confirm"): ("CONFIRMED", "ORDER_CONFIRMED"),
    ("HANDED_OFF", "return"): ("RETURNED", "ORDER_RETURNED"),
    ("CONFIRMED", "start_service"): ("IN_SERVICE", "ORDER_UPDATED"),
    ("IN_SERVICE", "complete"): ("COMPLETED", "ORDER_COMPLETED"),
    **{
        (s, "cancel"): ("CANCELLED", "ORDER_CANCELLED")
        for s in ("DRAFT", "HANDED_OFF", "RETURNED", "CONFIRMED", "IN_SERVICE")
    },
}

JOB_STATES = ["SCHEDULED", "IN_PROGRESS", "COMPLETED", "CANCELLED"]
JOB_ACTIONS = ["start", "complete", "cancel", "reassign"]
# SCHEDULED → IN_PROGRESS → COMPLETED; cancelled, or reassigned (keeping its status), in either state before.
JOB_ALLOWED = {
    ("SCHEDULED", "start"): ("IN_PROGRESS", "SERVICE_JOB_STARTED"),
    ("IN_PROGRESS", "complete"): ("COMPLETED", "SERVICE_JOB_COMPLETED"),
    **{(s, "cancel"): ("CANCELLED", "SERVICE_JOB_CANCELLED") for s in ("SCHEDULED", "IN_PROGRESS")},
    **{(s, "reassign"): (s, "SERVICE_JOB_UPDATED") for s in ("SCHEDULED", "IN_PROGRESS")},
}


def test_the_code_tables_are_exactly_the_domain_rules():
    assert {k: v[0] for k, v in ORDER_ALLOWED.items()} == order_transitions.TRANSITIONS
    assert {k: v[0] for k, v in JOB_ALLOWED.items()} == job_service.TRANSITIONS
    assert set(order_rules.ORDER_STATUSES) == set(ORDER_STATES)
    assert set(order_rules.ORDER_ACTIONS) == set(ORDER_ACTIONS)
    assert set(job_rules.SERVICE_JOB_ACTIONS) == set(JOB_ACTIONS)


@pytest.fixture
async def flow(services):
    seller = await fast_account(services, "MARKETING")
    servicer = await fast_account(services, "SERVICE")
    return Workflow(services, seller.user, servicer.user)


def order_action(action: str, order_id):
    """The service call for `action`, as the function of a unit of work."""

    async def call(uow):
        if action == "update":
            return await order_service.update_order(uow, order_id, None, special_requirements="Changed")
        if action == "hand_off":
            return await order_service.hand_off_order(uow, order_id, None)
        if action == "confirm":
            return await order_service.confirm_order(uow, order_id, None)
        if action == "return":
            return await order_service.return_order(uow, order_id, None, "Quantities differ from the contract")
        if action == "cancel":
            return await order_service.cancel_order(uow, order_id, None, "Customer withdrew")
        order = await order_transitions.locked_order(uow, order_id)
        await (order_transitions.start_service if action == "start_service" else order_transitions.complete)(uow, order)
        return order

    return call


@pytest.mark.parametrize("state", ORDER_STATES)
@pytest.mark.parametrize("action", ORDER_ACTIONS)
async def test_order_transition(state, action, flow, services):
    customer = await new_customer(services)
    order = await flow.order(customer.id, status=state)
    assert order.status == state
    before = await snapshot(services)
    principal = flow.servicer if action in ("confirm", "return") else flow.seller
    if (state, action) in ORDER_ALLOWED:
        new_status, event = ORDER_ALLOWED[(state, action)]
        events_before = await event_types(services, order.id)
        result = await flow.run(principal, order_action(action, order.id))
        assert result.status == new_status
        assert result.version == order.version + 1
        assert await event_types(services, order.id) == [*events_before, event]
    else:
        with pytest.raises(DomainError) as refused:
            await flow.run(principal, order_action(action, order.id))
        assert refused.value.code is ErrorCode.INVALID_TRANSITION
        assert state in refused.value.message
        assert await snapshot(services) == before


def job_action(action: str, job_id, technician_id):
    async def call(uow):
        if action == "start":
            return await job_service.start_service_job(uow, job_id, None)
        if action == "complete":
            return await job_service.complete_service_job(uow, job_id, None, "FAILED", "Leak at valve 3")
        if action == "cancel":
            return await job_service.cancel_service_job(uow, job_id, None)
        return await job_service.reassign_service_job(uow, job_id, None, technician_id)

    return call


@pytest.mark.parametrize("state", JOB_STATES)
@pytest.mark.parametrize("action", JOB_ACTIONS)
async def test_service_job_transition(state, action, flow, services):
    customer = await new_customer(services)
    other_technician = await fast_account(services, "SERVICE")
    job = await flow.job(customer_id=customer.id, status=state)  # a bare-customer job: no order moves
    assert job.status == state
    before = await snapshot(services)
    call = job_action(action, job.id, other_technician.user.id)
    if (state, action) in JOB_ALLOWED:
        new_status, event = JOB_ALLOWED[(state, action)]
        events_before = await event_types(services)
        result = await flow.run(flow.servicer, call)
        assert result.status == new_status
        assert result.version == job.version + 1
        assert await event_types(services) == [*events_before, event]
    else:
        with pytest.raises(DomainError) as refused:
            await flow.run(flow.servicer, call)
        assert refused.value.code is ErrorCode.INVALID_TRANSITION
        assert await snapshot(services) == before
