"""KPIs computed from a small, known history built through the services with a manual clock.

Every expected number below is counted by hand from the history in `history()` (the comments there
say which item counts where). The period is P = [2026-03-01 00:00, 2026-03-16 00:00) UTC: 15 days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from services import feedback as feedback_service
from services import kpis, sales_targets
from services import opportunities as presale
from services import orders as order_service
from services import service_jobs as job_service
from services import tickets as ticket_service
from services.errors import DomainError
from services.feedback import NewFeedback
from services.opportunities import NewOpportunity, RequirementData, ReviewData
from services.service_jobs import NewServiceJob
from services.tickets import NewTicket
from tests.support.accounts import Account
from tests.support.presale import act, customer, order

START, END = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 16, tzinfo=UTC)


def at(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


@dataclass
class People:
    m1: Account
    m2: Account
    s1: Account
    s2: Account
    boss: Account


async def history(services, users, clock) -> People:
    p = People(
        await users.create("MARKETING"),
        await users.create("MARKETING"),
        await users.create("SERVICE"),
        await users.create("SERVICE"),
        await users.create("MANAGEMENT", "SUPERVISOR"),
    )

    async def do(when: datetime, who: Account, fn, *args):
        clock.set(when)
        return await act(services, who, fn, *args)

    async def handed_off(when, owner, cust, value):
        clock.set(when)
        o = await order(services, owner, cust.id, value)
        return await act(services, owner, order_service.hand_off_order, o.id, None)

    async def ticket(when, kind, priority, cust, assignee=None):
        t = await do(when, p.m1, ticket_service.open_ticket, NewTicket(cust.id, kind, priority, "s", "d"))
        if assignee:
            await act(services, p.s1, ticket_service.assign, t.id, assignee.user.id, None)
        return t

    async def resolved(when, t):
        await do(when, p.s1, ticket_service.start_work, t.id, None)
        await act(services, p.s1, ticket_service.resolve, t.id, "PRODUCT_DEFECT", "fixed", None)

    async def job(order_row, technician):
        return await act(
            services,
            p.s1,
            job_service.schedule_service_job,
            NewServiceJob(
                "INSTALLATION", scheduled_start=at(4, 1), order_id=order_row.id, technician_id=technician.user.id
            ),
        )

    async def done(when, j, result):
        await do(when, p.s1, job_service.start_service_job, j.id, None)
        await act(services, p.s1, job_service.complete_service_job, j.id, None, result)

    async def feedback(when, cust, score):
        await do(when, p.m1, feedback_service.record_feedback, NewFeedback(cust.id, "SURVEY", score))

    async def opportunity(when, owner, cust):
        opp = await do(
            when,
            owner,
            presale.create_opportunity,
            NewOpportunity(cust.id, "Deal", requirements=[RequirementData("need")]),
        )
        await act(services, owner, presale.confirm_requirements, opp.id, None, "Buyer")
        return await act(services, owner, presale.submit_solution, opp.id, None, "v1", None)

    for scope, first, last, amount in (
        (None, date(2026, 2, 1), date(2026, 2, 28), "28000"),  # no overlap with P
        (None, date(2026, 3, 1), date(2026, 3, 31), "31000"),  # 15/31 → 15,000
        (p.m1, date(2026, 3, 1), date(2026, 3, 10), "8000"),  # all in P: 8,000
        (p.m1, date(2026, 3, 11), date(2026, 3, 30), "20000"),
    ):  # 5/20 → 5,000
        await do(
            at(2, 1),
            p.boss,
            sales_targets.set_sales_target,
            sales_targets.TargetData(first, last, Decimal(amount), user_id=scope.user.id if scope else None),
        )

    c1, c2 = await customer(services, p.m1, "c1"), await customer(services, p.m1, "c2")  # owned by m1
    c3, old = await customer(services, p.m2, "c3"), await customer(services, p.m2, "old")  # owned by m2
    o0 = await handed_off(at(2, 19, 9), p.m2, old, "500")
    await do(at(2, 20, 9), p.s1, order_service.confirm_order, o0.id, None)  # old's first order: before P
    t7 = await ticket(at(2, 22), "COMPLAINT", "LOW", old, p.s1)  # resolution due Mar 1 00:00 = start of P
    await feedback(at(2, 27, 10), old, 5)  # before P
    await do(at(2, 28, 9), p.s1, ticket_service.acknowledge, t7.id, None)
    await resolved(at(2, 28, 9), t7)  # complaint resolved in time (s1)
    o6 = await handed_off(at(2, 28, 18), p.m2, old, "1000")  # due Mar 1 18:00 (in P)
    await do(at(3, 1), p.s1, order_service.confirm_order, o6.id, None)  # confirmed at the start of P: counts
    o1 = await handed_off(at(3, 2, 9), p.m1, c1, "6000")
    t1 = await ticket(at(3, 2, 10), "INQUIRY", "NORMAL", c1, p.s1)  # first response due 18:00
    await do(at(3, 2, 11), p.s1, ticket_service.acknowledge, t1.id, None)  # in time
    a = await opportunity(at(3, 2, 12), p.m1, c1)  # review of v1 due Mar 3 12:00
    await do(at(3, 2, 15), p.s1, order_service.confirm_order, o1.id, None)  # c1 is new; answered in time (s1)
    t2 = await ticket(at(3, 3, 9), "COMPLAINT", "HIGH", c2, p.s1)  # first response due 11:00, resolution Mar 4 9:00
    await feedback(at(3, 3, 9), c1, 5)
    o2 = await handed_off(at(3, 3, 10), p.m1, c2, "4000")  # due Mar 4 10:00
    await do(at(3, 3, 12), p.s1, ticket_service.acknowledge, t2.id, None)  # late first response
    await do(
        at(3, 3, 14), p.s1, presale.review_solution, a.id, None, ReviewData("CHANGES_REQUESTED", comments="cheaper")
    )  # late review (s1)
    await resolved(at(3, 3, 20), t2)  # complaint resolved in time
    await do(at(3, 4, 9), p.m1, presale.submit_solution, a.id, None, "v2", None)  # review due Mar 5 09:00
    j1 = await job(o1, p.s1)
    await done(at(3, 4, 9), j1, "PASSED")
    await do(at(3, 4, 10), p.s2, presale.review_solution, a.id, None, ReviewData("APPROVED"))  # in time (s2)
    await feedback(at(3, 4, 10), c2, 2)
    await do(at(3, 4, 11), p.m1, presale.register_project, a.id, None)  # acknowledgement due Mar 5 11:00
    await do(at(3, 4, 12), p.s2, order_service.return_order, o2.id, None, "wrong model")  # late answer (s2)
    await do(at(3, 5, 9), p.m1, order_service.hand_off_order, o2.id, None)  # 2nd handoff, due Mar 6 09:00
    await do(at(3, 5, 9), p.s1, presale.acknowledge_registration, a.id, None, p.s1.user.id, "kit")  # in time (s1)
    t3 = await ticket(at(3, 5, 9), "COMPLAINT", "URGENT", c3, p.s2)  # response due 09:30, resolution 17:00
    await do(at(3, 5, 9, 10), p.s2, ticket_service.acknowledge, t3.id, None)  # in time
    await do(at(3, 5, 10), p.s2, order_service.confirm_order, o2.id, None)  # c2 is new; in time (s2)
    j4 = await job(o2, p.s2)
    o3 = await handed_off(at(3, 6, 9), p.m2, old, "5000")
    await resolved(at(3, 6, 9), t3)  # complaint resolved late
    await do(at(3, 6, 12), p.s1, order_service.confirm_order, o3.id, None)  # old is not new; in time (s1)
    j2, j3 = await job(o3, p.s2), await job(o3, p.s1)
    await done(at(3, 7, 10), j2, "FAILED")
    await done(at(3, 8, 9), j3, "PASSED")
    o7 = await handed_off(at(3, 8, 9), p.m1, c1, "2000")
    await do(at(3, 8, 12), p.m1, order_service.cancel_order, o7.id, None, "duplicate")  # withdrawn: left out
    o8 = await handed_off(at(3, 9, 9), p.m1, c2, "9000")
    await do(at(3, 9, 10), p.s2, order_service.confirm_order, o8.id, None)  # in time (s2); cancelled below
    b = await opportunity(at(3, 10, 9), p.m1, c2)  # review due Mar 11 09:00
    await feedback(at(3, 10, 9), c1, 4)
    await do(at(3, 10, 12), p.m1, presale.mark_lost, b.id, None, "budget")  # withdrawn before its review was due
    await do(at(3, 10, 12), p.m1, order_service.cancel_order, o8.id, None, "customer withdrew")  # no sale
    await opportunity(at(3, 12, 9), p.m2, c3)  # review due Mar 13 09:00, never done: missed
    await feedback(at(3, 12, 9), c3, 3)
    await ticket(at(3, 14, 9), "COMPLAINT", "NORMAL", c3)  # response due 17:00, never: missed (unassigned)
    o4 = await handed_off(at(3, 15, 20), p.m2, c3, "7000")  # handoff in P, due after P
    await done(at(3, 16), j4, "PASSED")  # completed at the end of P: not in P
    await feedback(at(3, 16), old, 1)  # recorded at the end of P: not in P
    await do(at(3, 16, 1), p.s1, order_service.confirm_order, o4.id, None)  # confirmed after P
    clock.set(at(3, 20))
    return p


async def report(services, clock, department: str, user: Account | None = None, start=START, end=END):
    async with services.db.sessions() as session:
        result = await kpis.report(
            session,
            department=department,
            start=start,
            end=end,
            user_id=user.user.id if user else None,
            now=clock.now(),
        )
    assert [k.key for k in result.kpis] == list(EXPECTED_KEYS[department])
    return {k.key: (k.numerator, k.denominator, k.value) for k in result.kpis}


EXPECTED_KEYS = {
    "MARKETING": (
        "sales_target_completion",
        "new_customers",
        "customer_satisfaction",
        "satisfied_share",
        "collaboration_marketing",
    ),
    "SERVICE": (
        "response_timeliness",
        "service_quality_pass_rate",
        "complaint_resolution_rate",
        "collaboration_service",
    ),
}


def r(numerator: float, denominator: float) -> tuple:
    return (numerator, denominator, numerator / denominator if denominator else None)


async def test_kpis_of_a_known_history(services, users, clock):
    p = await history(services, users, clock)
    assert await report(services, clock, "MARKETING") == {
        "sales_target_completion": r(16000, 15000),  # o6 1000 + o1 6000 + o2 4000 + o3 5000; 31000 × 15/31
        "new_customers": r(2, 1),  # c1, c2
        "customer_satisfaction": r(14, 4),  # 5 + 2 + 4 + 3
        "satisfied_share": r(2, 4),
        "collaboration_marketing": r(5, 6),  # o1, o2 (2nd), o3, o8, o4 confirmed; o2 (1st) returned
    }
    assert await report(services, clock, "SERVICE") == {
        "response_timeliness": r(2, 4),  # t1, t3 in time; t2 late; t4 never
        "service_quality_pass_rate": r(2, 3),  # j1, j3 passed; j2 failed
        "complaint_resolution_rate": r(2, 3),  # t7, t2 in time; t3 late
        # handoffs o6, o1, o2 (2nd), o3, o8 in time, o2 (1st) late; reviews a v2 in time, a v1 late,
        # c missed; registration a in time.
        "collaboration_service": r(7, 10),
    }
    assert await report(services, clock, "MARKETING", p.m1) == {
        "sales_target_completion": r(10000, 13000),  # o1 + o2; 8000 + 20000 × 5/20
        "new_customers": r(2, 1),
        "customer_satisfaction": r(11, 3),  # feedback on c1 and c2
        "satisfied_share": r(2, 3),
        "collaboration_marketing": r(3, 4),  # o1, o2 (2nd), o8; o2 (1st) returned
    }
    assert await report(services, clock, "MARKETING", p.m2) == {
        "sales_target_completion": r(6000, 0),  # o6 + o3; m2 has no target
        "new_customers": r(0, 1),  # c3's first order was confirmed after P
        "customer_satisfaction": r(3, 1),
        "satisfied_share": r(0, 1),
        "collaboration_marketing": r(2, 2),  # o3, o4
    }
    assert await report(services, clock, "SERVICE", p.s1) == {
        "response_timeliness": r(1, 2),  # t1 in time, t2 late
        "service_quality_pass_rate": r(2, 2),  # j1, j3
        "complaint_resolution_rate": r(2, 2),  # t7, t2
        "collaboration_service": r(4, 5),  # o6, o1, o3, acknowledgement of a; review of a v1 late
    }
    assert await report(services, clock, "SERVICE", p.s2) == {
        "response_timeliness": r(1, 1),  # t3
        "service_quality_pass_rate": r(0, 1),  # j2 (j4 completed at the end of P)
        "complaint_resolution_rate": r(0, 1),  # t3
        "collaboration_service": r(3, 4),  # o2 (2nd), o8, review of a v2; o2 (1st) late
    }
    # Half-open periods: one day later, what happened exactly at the old end counts, the old first day not.
    later = {
        **await report(services, clock, "MARKETING", start=at(3, 2), end=at(3, 17)),
        **await report(services, clock, "SERVICE", start=at(3, 2), end=at(3, 17)),
    }
    assert later["sales_target_completion"] == r(22000, 15000)  # - o6 (Mar 1 00:00), + o4 (Mar 16 01:00)
    assert later["new_customers"] == r(3, 1)  # + c3
    assert later["customer_satisfaction"] == r(15, 5)  # + the 1 recorded at Mar 16 00:00
    assert later["service_quality_pass_rate"] == r(3, 4)  # + j4 (Mar 16 00:00)
    assert later["complaint_resolution_rate"] == r(1, 2)  # - t7 (due Mar 1 00:00); t4 is due Mar 17 09:00


async def test_a_period_without_data_has_no_values(services, users, clock):
    await history(services, users, clock)
    empty = {
        **await report(services, clock, "MARKETING", start=at(1, 1), end=at(1, 31)),
        **await report(services, clock, "SERVICE", start=at(1, 1), end=at(1, 31)),
    }
    assert empty == {key: ((0, 1, 0) if key == "new_customers" else (0, 0, None)) for key in empty}
    assert len(empty) == 9


async def test_items_still_within_their_window_are_undecided(services, users, clock):
    s = await users.create("SERVICE")
    c = await customer(services, await users.create("MARKETING"))
    clock.set(at(3, 2, 9))
    t = await act(services, s, ticket_service.open_ticket, NewTicket(c.id, "COMPLAINT", "URGENT", "s", "d"))
    day = {"start": at(3, 2), "end": at(3, 3)}  # response due 09:30, resolution 17:00: both in the day
    clock.set(at(3, 2, 9, 20))
    assert (await report(services, clock, "SERVICE", **day))["response_timeliness"] == r(0, 0)
    clock.set(at(3, 2, 9, 31))
    assert (await report(services, clock, "SERVICE", **day))["response_timeliness"] == r(0, 1)  # missed
    await act(services, s, ticket_service.acknowledge, t.id, None)
    await act(services, s, ticket_service.start_work, t.id, None)
    assert (await report(services, clock, "SERVICE", **day))["complaint_resolution_rate"] == r(0, 0)
    await act(services, s, ticket_service.resolve, t.id, "PRODUCT_DEFECT", "done", None)  # 09:31, in time
    assert (await report(services, clock, "SERVICE", **day))["complaint_resolution_rate"] == r(1, 1)


@pytest.mark.parametrize(
    "department,start,end,field",
    [
        ("MANAGEMENT", START, END, ["department"]),
        ("SERVICE", END, START, ["period", "to"]),
        ("SERVICE", START, START, ["period", "to"]),
    ],
)
async def test_refused_report_arguments(services, clock, department, start, end, field):
    async with services.db.sessions() as session:
        with pytest.raises(DomainError) as refused:
            await kpis.report(session, department=department, start=start, end=end, user_id=None, now=clock.now())
    assert refused.value.field == field
