"""The opportunity's state machine (DOMAIN.md "Workflows"), through the services on a real database.

Every (state, action) pair is tried on a fresh opportunity: an allowed one moves to the expected stage
and writes exactly one activity row and one event of the expected type; a refused one is
INVALID_TRANSITION and changes nothing. The expected outcomes below are written out by hand from
DOMAIN.md, not derived from `TRANSITIONS`.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from db.models import User
from db.repositories import opportunities as opportunities_repo
from db.repositories import orders as orders_repo
from services import opportunities as presale
from services import opportunity_transitions
from services.errors import DomainError
from services.opportunities import RequirementData, ReviewData
from services.rules.opportunities import OPPORTUNITY_ACTIONS
from tests.support.presale import STATES, Team, act, customer, events_of, log_counts, opportunity_in, order

# (state, action) -> stage after it; absent = refused with INVALID_TRANSITION.
ALLOWED = {
    ("REQUIREMENTS", "record_requirements"): "REQUIREMENTS",
    ("REQUIREMENTS", "confirm_requirements"): "SOLUTION",
    ("SOLUTION", "submit_solution"): "REVIEW",
    ("REVIEW", "approve_solution"): "REVIEW",
    ("REVIEW", "request_changes"): "SOLUTION",
    ("REVIEW_APPROVED", "register"): "REGISTERED",
    ("REGISTERED", "acknowledge_registration"): "REGISTERED",
    ("REGISTERED_ACKNOWLEDGED", "win"): "WON",
    **{
        (state, "lose"): "LOST"
        for state in ("REQUIREMENTS", "SOLUTION", "REVIEW", "REVIEW_APPROVED", "REGISTERED", "REGISTERED_ACKNOWLEDGED")
    },
}

EVENT_OF = {
    "record_requirements": "OPPORTUNITY_UPDATED",
    "confirm_requirements": "OPPORTUNITY_UPDATED",
    "submit_solution": "SOLUTION_SUBMITTED",
    "approve_solution": "SOLUTION_REVIEWED",
    "request_changes": "SOLUTION_REVIEWED",
    "register": "PROJECT_REGISTERED",
    "acknowledge_registration": "REGISTRATION_ACKNOWLEDGED",
    "win": "OPPORTUNITY_WON",
    "lose": "OPPORTUNITY_LOST",
}

# Refusals whose reason the caller needs spelled out (the rule, not only the stage).
REASONS = {
    ("REQUIREMENTS", "submit_solution"): "confirm the requirements",
    ("REVIEW", "register"): "approved solution",
    ("REVIEW_APPROVED", "approve_solution"): "already reviewed",
    ("REVIEW_APPROVED", "request_changes"): "already reviewed",
    ("REGISTERED", "win"): "not acknowledged",
    ("REGISTERED_ACKNOWLEDGED", "acknowledge_registration"): "already acknowledged",
}


def test_the_table_is_the_workflow_of_domain_md():
    stage_of = {"REVIEW_APPROVED": "REVIEW", "REGISTERED_ACKNOWLEDGED": "REGISTERED"}
    expected = {(stage_of.get(s, s), a): nxt for (s, a), nxt in ALLOWED.items()}
    assert expected == opportunity_transitions.TRANSITIONS
    assert set(OPPORTUNITY_ACTIONS) == {a for _, a in ALLOWED} == set(EVENT_OF)


async def _call(services, team: Team, opp, action: str):
    """(who, service function, arguments after the id and expected version) of one action."""
    m, s = team.seller, team.service
    calls = {
        "record_requirements": (m, presale.record_requirements, ([RequirementData("a new need", "SHOULD")],)),
        "confirm_requirements": (m, presale.confirm_requirements, ("Anna Buyer",)),
        "submit_solution": (m, presale.submit_solution, ("another solution", None)),
        "approve_solution": (s, presale.review_solution, (ReviewData("APPROVED"),)),
        "request_changes": (s, presale.review_solution, (ReviewData("CHANGES_REQUESTED", comments="cheaper"),)),
        "register": (m, presale.register_project, ()),
        "acknowledge_registration": (s, presale.acknowledge_registration, (s.user.id, "1 technician")),
        "win": (m, presale.mark_won, None),
        "lose": (m, presale.mark_lost, ("went with a competitor",)),
    }
    who, fn, args = calls[action]
    if args is None:  # a fresh signed order of the same customer
        args = ((await order(services, m, opp.customer_id)).id,)
    return who, fn, args


@pytest.mark.parametrize("state", STATES)
async def test_every_action_in_every_state(services, users, state):
    team = await Team.create(users)
    c = await customer(services, team.seller)
    for action in OPPORTUNITY_ACTIONS:
        opp = await opportunity_in(services, team, c.id, state)
        who, fn, args = await _call(services, team, opp, action)
        before = await log_counts(services)
        expected = ALLOWED.get((state, action))
        if expected is None:
            with pytest.raises(DomainError) as refused:
                await act(services, who, fn, opp.id, None, *args)
            assert refused.value.code == "INVALID_TRANSITION", (state, action, refused.value.message)
            if (state, action) in REASONS:
                assert REASONS[(state, action)] in refused.value.message, (state, action)
            after = await act(
                services, team.seller, lambda uow, opp_id=opp.id: opportunities_repo.get(uow.session, opp_id)
            )
            assert (after.stage, after.version) == (opp.stage, opp.version), (state, action)
            assert await log_counts(services) == before, (state, action)
        else:
            moved = await act(services, who, fn, opp.id, None, *args)
            assert moved.stage == expected, (state, action)
            assert moved.version > opp.version, (state, action)
            activity, events = await log_counts(services)
            assert (activity - before[0], events - before[1]) == (1, 1), (state, action)
            assert (await events_of(services, opp.id))[-1].type == EVENT_OF[action], (state, action)


async def test_changes_requested_makes_the_next_solution_a_new_revision(services, users, clock):
    team = await Team.create(users)
    c = await customer(services, team.seller)
    opp = await opportunity_in(services, team, c.id, "REVIEW")
    first_due = opp.solution_review_due_at
    assert first_due == clock.now() + timedelta(hours=24)
    clock.advance(hours=3)
    opp = await act(
        services,
        team.service,
        presale.review_solution,
        opp.id,
        opp.version,
        ReviewData("CHANGES_REQUESTED", "ok", "needs spare parts", "add a maintenance plan"),
    )
    assert opp.stage == "SOLUTION"
    clock.advance(hours=5)
    opp = await act(services, team.seller, presale.submit_solution, opp.id, opp.version, "v2", "with maintenance")
    assert (opp.stage, opp.solution_review_due_at) == ("REVIEW", clock.now() + timedelta(hours=24))
    solutions = await act(services, team.seller, lambda uow: opportunities_repo.solutions_of(uow.session, [opp.id]))
    assert [(x.revision, x.summary, x.decision) for x in solutions] == [
        (1, "Solution summary", "CHANGES_REQUESTED"),
        (2, "v2", None),
    ]
    assert solutions[0].review_due_at == first_due and solutions[0].reviewer_id == team.service.user.id
    assert solutions[0].comments == "add a maintenance plan" and solutions[1].review_due_at == clock.now() + timedelta(
        hours=24
    )
    events = [e for e in await events_of(services, opp.id) if e.type == "SOLUTION_SUBMITTED"]
    assert [e.payload["solutionVersion"] for e in events] == [1, 2]


async def test_requesting_changes_needs_comments_and_a_known_decision(services, users):
    team = await Team.create(users)
    opp = await opportunity_in(services, team, (await customer(services, team.seller)).id, "REVIEW")
    before = await log_counts(services)
    for review, field in ((ReviewData("CHANGES_REQUESTED"), ["comments"]), (ReviewData("MAYBE"), ["decision"])):
        with pytest.raises(DomainError) as refused:
            await act(services, team.service, presale.review_solution, opp.id, None, review)
        assert (refused.value.code, refused.value.field) == ("VALIDATION", field)
    assert await log_counts(services) == before


async def test_confirming_needs_a_requirement_and_who_confirmed(services, users, clock):
    team = await Team.create(users)
    c = await customer(services, team.seller)
    opp = await opportunity_in(services, team, c.id, "REQUIREMENTS")
    for confirmed_by in ("", "  "):
        with pytest.raises(DomainError) as refused:
            await act(services, team.seller, presale.confirm_requirements, opp.id, None, confirmed_by)
        assert refused.value.field == ["confirmedBy"]
    opp = await act(services, team.seller, presale.record_requirements, opp.id, opp.version, [])
    with pytest.raises(DomainError) as refused:
        await act(services, team.seller, presale.confirm_requirements, opp.id, None, "Anna Buyer")
    assert (refused.value.code, refused.value.field) == ("VALIDATION", ["requirements"])
    opp = await act(
        services,
        team.seller,
        presale.record_requirements,
        opp.id,
        opp.version,
        [RequirementData("20 units"), RequirementData("on-site training", "MUST")],
    )
    clock.advance(minutes=7)
    opp = await act(services, team.seller, presale.confirm_requirements, opp.id, opp.version, " Anna Buyer ")
    assert (opp.requirements_confirmed_by, opp.requirements_confirmed_at) == ("Anna Buyer", clock.now())


async def test_recording_the_same_requirements_again_records_nothing(services, users):
    team = await Team.create(users)
    opp = await opportunity_in(services, team, (await customer(services, team.seller)).id, "REQUIREMENTS")
    before = await log_counts(services)
    same = await act(
        services, team.seller, presale.record_requirements, opp.id, opp.version, [RequirementData("10 units", "MUST")]
    )
    assert same.version == opp.version and await log_counts(services) == before


async def test_stale_expected_version_is_a_conflict(services, users):
    team = await Team.create(users)
    opp = await opportunity_in(services, team, (await customer(services, team.seller)).id, "REQUIREMENTS")
    with pytest.raises(DomainError) as refused:
        await act(services, team.seller, presale.mark_lost, opp.id, opp.version - 1, "no budget")
    assert refused.value.code == "VERSION_CONFLICT"


async def test_registration_clock_and_acknowledgement(services, users, clock):
    team = await Team.create(users)
    opp = await opportunity_in(services, team, (await customer(services, team.seller)).id, "REGISTERED")
    assert (opp.registered_at, opp.registration_ack_due_at) == (clock.now(), clock.now() + timedelta(hours=24))
    marketer, inactive = await users.create("MARKETING"), await users.create("SERVICE")
    async with services.db.sessions() as session, session.begin():
        (await session.get(User, inactive.user.id)).active = False
    for lead in (marketer.user.id, inactive.user.id):
        with pytest.raises(DomainError) as refused:
            await act(services, team.service, presale.acknowledge_registration, opp.id, None, lead, "notes")
        assert refused.value.field == ["serviceLeadId"]
    with pytest.raises(DomainError) as refused:
        await act(services, team.service, presale.acknowledge_registration, opp.id, None, team.service.user.id, " ")
    assert refused.value.field == ["preparationNotes"]
    # Structured preparation: staff must be active service people, tools and materials non-empty.
    for preparation, field in (
        (presale.Preparation(staff_ids=[marketer.user.id]), ["preparationStaffIds"]),
        (presale.Preparation(tools=["ladder", "  "]), ["preparationTools", "1"]),
        (presale.Preparation(materials=["x" * 201]), ["preparationMaterials", "0"]),
    ):
        with pytest.raises(DomainError) as refused:
            await act(
                services,
                team.service,
                presale.acknowledge_registration,
                opp.id,
                None,
                team.service.user.id,
                None,
                preparation,
            )
        assert refused.value.field == field, preparation
    clock.advance(hours=2)
    opp = await act(
        services,
        team.service,
        presale.acknowledge_registration,
        opp.id,
        opp.version,
        team.service.user.id,
        "2 technicians, calibration kit",
    )
    assert (opp.service_lead_id, opp.preparation_notes, opp.registration_acknowledged_at) == (
        team.service.user.id,
        "2 technicians, calibration kit",
        clock.now(),
    )
    assert (await events_of(services, opp.id))[-1].payload["onTime"] is True


async def test_won_links_the_same_customers_order_both_ways(services, users):
    team = await Team.create(users)
    mine, theirs = await customer(services, team.seller), await customer(services, team.seller)
    opp = await opportunity_in(services, team, mine.id, "REGISTERED_ACKNOWLEDGED")
    other_opp = await opportunity_in(services, team, mine.id, "REQUIREMENTS")
    wrong_customer = await order(services, team.seller, theirs.id)
    promised_elsewhere = await order(services, team.seller, mine.id, opportunity_id=other_opp.id)
    cancelled = await order(services, team.seller, mine.id)
    from services import orders as order_service

    await act(services, team.seller, order_service.cancel_order, cancelled.id, None, "duplicate")
    before = await log_counts(services)
    for bad, message in (
        (wrong_customer, "another customer"),
        (promised_elsewhere, "another opportunity"),
        (cancelled, "cancelled"),
    ):
        with pytest.raises(DomainError) as refused:
            await act(services, team.seller, presale.mark_won, opp.id, None, bad.id)
        assert (refused.value.code, refused.value.field) == ("VALIDATION", ["orderId"])
        assert message in refused.value.message
    assert await log_counts(services) == before
    signed = await order(services, team.seller, mine.id, "5000.00")
    won = await act(services, team.seller, presale.mark_won, opp.id, opp.version, signed.id)
    assert (won.stage, won.order_id, won.closed_at is not None) == ("WON", signed.id, True)
    linked = await act(services, team.seller, lambda uow: orders_repo.get(uow.session, signed.id))
    assert (linked.opportunity_id, linked.version) == (opp.id, signed.version + 1)
    event = (await events_of(services, opp.id))[-1]
    assert (event.type, event.payload["orderId"]) == ("OPPORTUNITY_WON", str(signed.id))
    # An order made for this opportunity from the start wins it without another link.
    opp2 = await opportunity_in(services, team, mine.id, "REGISTERED_ACKNOWLEDGED")
    made_for_it = await order(services, team.seller, mine.id, opportunity_id=opp2.id)
    assert (await act(services, team.seller, presale.mark_won, opp2.id, None, made_for_it.id)).stage == "WON"
    with pytest.raises(DomainError):  # and an order wins one opportunity only
        await act(
            services,
            team.seller,
            presale.mark_won,
            (await opportunity_in(services, team, mine.id, "REGISTERED_ACKNOWLEDGED")).id,
            None,
            signed.id,
        )
