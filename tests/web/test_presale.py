"""Pre-sale over the real HTTP API and a real PostgreSQL database: the whole flow, solution revisions,
the confirmation and registration rules, reads, and who may do what (DOMAIN.md's matrix)."""

from __future__ import annotations

import pytest

from schema.ids import to_global_id
from tests.support.database import statements
from tests.support.graphql import error_codes
from tests.support.presale import Team, customer, log_counts, opportunity_in, order

OPP = """fragment O on Opportunity {
  id title stage version requirementsConfirmedAt requirementsConfirmedBy registeredAt registrationAcknowledgedAt
  preparationNotes lostReason solutionReviewDueAt registrationAckDueAt preparationTools preparationMaterials
  preparationStaff { id }
  customer { id name } owner { id } serviceLead { id } order { id number opportunity { id } }
  requirements { id description priority }
  solutions { version summary details submittedBy { id } submittedAt
              review { decision technicalFeasibility serviceability comments reviewer { id } reviewedAt } }
  currentSolution { version review { decision } }
}"""
INPUTS = {
    "createOpportunity": "CreateOpportunityInput",
    "recordRequirements": "RecordRequirementsInput",
    "confirmRequirements": "ConfirmRequirementsInput",
    "submitSolution": "SubmitSolutionInput",
    "reviewSolution": "ReviewSolutionInput",
    "registerProject": "OpportunityActionInput",
    "acknowledgeRegistration": "AcknowledgeRegistrationInput",
    "markWon": "MarkWonInput",
    "markLost": "MarkLostInput",
}
READ = "query($id: ID!) { node(id: $id) { ...O } }" + OPP
LIST = """query($stage: [OpportunityStage!], $c: ID) { opportunities(first: 50, stage: $stage, customerId: $c) {
  totalCount edges { node { id stage } } } }"""


def doc(name: str) -> str:
    return (
        f"mutation($i: {INPUTS[name]}!) {{ {name}(input: $i) {{ opportunity {{ ...O }} "
        f"errors {{ code field message }} }} }}" + OPP
    )


async def ok(gql, name: str, token: str, **input) -> dict:
    return (await gql.mutate(name, doc(name), {"i": input}, token))["opportunity"]


async def refused(gql, services, name: str, token: str, **input) -> list[dict]:
    """The user errors of a refused mutation, which must have changed nothing."""
    before = await log_counts(services)
    payload = (await gql.ok(doc(name), {"i": input}, token))[name]
    assert payload["opportunity"] is None and payload["errors"], payload
    assert await log_counts(services) == before
    return payload["errors"]


async def test_the_whole_pre_sale_flow(gql, users, services, clock):
    team = await Team.create(users)
    m, s = team.seller.token, team.service.token
    c = await customer(services, team.seller, "Northwind Foods")
    cid = to_global_id("Customer", c.id)
    opp = await ok(
        gql,
        "createOpportunity",
        m,
        customerId=cid,
        title="  Cold-store retrofit ",
        requirements=[{"description": "12 freezers", "priority": "MUST"}],
    )
    oid = opp["id"]
    assert (opp["title"], opp["stage"], opp["owner"]["id"], opp["customer"]["name"]) == (
        "Cold-store retrofit",
        "REQUIREMENTS",
        team.seller.gid,
        "Northwind Foods",
    )
    assert [(r["description"], r["priority"]) for r in opp["requirements"]] == [("12 freezers", "MUST")]
    assert opp["solutions"] == [] and opp["currentSolution"] is None

    opp = await ok(
        gql,
        "recordRequirements",
        m,
        opportunityId=oid,
        expectedVersion=opp["version"],
        requirements=[{"description": "12 freezers", "priority": "MUST"}, {"description": "remote monitoring"}],
    )
    assert [r["description"] for r in opp["requirements"]] == ["12 freezers", "remote monitoring"]
    # The rule: no solution before the customer confirmed the requirements.
    errors = await refused(gql, services, "submitSolution", m, opportunityId=oid, summary="too early")
    assert [(e["code"], e["field"]) for e in errors] == [("INVALID_TRANSITION", ["opportunityId"])]
    assert "confirm the requirements" in errors[0]["message"]
    clock.advance(hours=1)
    opp = await ok(gql, "confirmRequirements", m, opportunityId=oid, confirmedBy="Anna Schmidt (purchasing)")
    assert (opp["stage"], opp["requirementsConfirmedBy"]) == ("SOLUTION", "Anna Schmidt (purchasing)")
    assert opp["requirementsConfirmedAt"] == clock.now().isoformat()
    errors = await refused(gql, services, "recordRequirements", m, opportunityId=oid, requirements=[])
    assert errors[0]["code"] == "INVALID_TRANSITION"  # confirmed requirements are frozen

    opp = await ok(gql, "submitSolution", m, opportunityId=oid, summary="Freezers A", details="12 × F-200")
    assert (opp["stage"], opp["currentSolution"]) == ("REVIEW", {"version": 1, "review": None})
    # The rule: registration needs an approved solution.
    errors = await refused(gql, services, "registerProject", m, opportunityId=oid)
    assert errors[0]["code"] == "INVALID_TRANSITION" and "approved solution" in errors[0]["message"]
    clock.advance(hours=2)
    opp = await ok(
        gql,
        "reviewSolution",
        s,
        opportunityId=oid,
        decision="CHANGES_REQUESTED",
        technicalFeasibility="feasible",
        serviceability="no spare parts locally",
        comments="use F-300",
    )
    assert opp["stage"] == "SOLUTION"
    assert opp["solutions"][0]["review"] == {
        "decision": "CHANGES_REQUESTED",
        "technicalFeasibility": "feasible",
        "serviceability": "no spare parts locally",
        "comments": "use F-300",
        "reviewer": {"id": team.service.gid},
        "reviewedAt": clock.now().isoformat(),
    }
    opp = await ok(gql, "submitSolution", m, opportunityId=oid, summary="Freezers B")
    assert [x["version"] for x in opp["solutions"]] == [1, 2] and opp["currentSolution"]["version"] == 2
    opp = await ok(gql, "reviewSolution", s, opportunityId=oid, decision="APPROVED")
    assert (opp["stage"], opp["currentSolution"]["review"]["decision"]) == ("REVIEW", "APPROVED")

    opp = await ok(gql, "registerProject", m, opportunityId=oid, expectedVersion=opp["version"])
    assert opp["stage"] == "REGISTERED" and opp["registeredAt"] == clock.now().isoformat()
    errors = await refused(
        gql,
        services,
        "markWon",
        m,
        opportunityId=oid,
        orderId=to_global_id("Order", (await order(services, team.seller, c.id)).id),
    )
    assert "not acknowledged" in errors[0]["message"]
    opp = await ok(
        gql,
        "acknowledgeRegistration",
        s,
        opportunityId=oid,
        serviceLeadId=team.service.gid,
        preparationNotes="Lifting gear booked for Tuesday",
        preparationStaffIds=[team.service.gid, team.service.gid],
        preparationTools=[" lifting gear ", "vacuum pump", "lifting gear"],
        preparationMaterials=["R-32 refrigerant"],
    )
    assert (opp["serviceLead"], opp["preparationNotes"]) == (
        {"id": team.service.gid},
        "Lifting gear booked for Tuesday",
    )
    # Trimmed, duplicates dropped, in the order given.
    assert opp["preparationStaff"] == [{"id": team.service.gid}]
    assert (opp["preparationTools"], opp["preparationMaterials"]) == (
        ["lifting gear", "vacuum pump"],
        ["R-32 refrigerant"],
    )

    created = await gql.mutate(
        "createOrder",
        """mutation($i: CreateOrderInput!) { createOrder(input: $i) {
        order { id } errors { code field message } } }""",
        {
            "i": {
                "customerId": cid,
                "opportunityId": oid,
                "items": [{"productModel": "F-300", "quantity": 12}],
                "contractValue": "84000.00",
            }
        },
        m,
    )
    opp = await ok(gql, "markWon", m, opportunityId=oid, orderId=created["order"]["id"])
    assert opp["stage"] == "WON"
    assert opp["order"]["id"] == created["order"]["id"] and opp["order"]["opportunity"] == {"id": oid}
    assert (await gql.ok(READ, {"id": oid}, m))["node"] == opp

    timeline = await gql.ok(
        """query($id: ID!) { node(id: $id) { ... on Customer { timeline(first: 50) {
        edges { node { action entityType entityId } } } } } }""",
        {"id": cid},
        m,
    )
    actions = [
        e["node"]["action"] for e in timeline["node"]["timeline"]["edges"] if e["node"]["entityType"] == "Opportunity"
    ]
    assert actions == [
        "opportunity.created",
        "opportunity.requirements_recorded",
        "opportunity.requirements_confirmed",
        "solution.submitted",
        "solution.reviewed",
        "solution.submitted",
        "solution.reviewed",
        "opportunity.registered",
        "opportunity.registration_acknowledged",
        "opportunity.won",
    ]


async def test_invalid_input_is_refused_field_by_field(gql, users, services):
    team = await Team.create(users)
    cid = to_global_id("Customer", (await customer(services, team.seller)).id)
    errors = await refused(
        gql,
        services,
        "createOpportunity",
        team.seller.token,
        customerId=cid,
        title=" ",
        requirements=[{"description": ""}],
    )
    assert sorted(tuple(e["field"]) for e in errors) == [("requirements", "0", "description"), ("title",)]
    errors = await refused(
        gql,
        services,
        "createOpportunity",
        team.seller.token,
        customerId=to_global_id("Customer", "00000000-0000-0000-0000-000000000000"),
        title="X",
    )
    assert [(e["code"], e["field"]) for e in errors] == [("NOT_FOUND", ["customerId"])]
    errors = await refused(gql, services, "markLost", team.seller.token, opportunityId=cid, reason="x")
    assert [(e["code"], e["field"]) for e in errors] == [("VALIDATION", ["opportunityId"])]


async def test_create_is_idempotent_per_key(gql, users, services):
    team = await Team.create(users)
    cid = to_global_id("Customer", (await customer(services, team.seller)).id)
    first = await ok(gql, "createOpportunity", team.seller.token, customerId=cid, title="Pumps", idempotencyKey="k1")
    counts = await log_counts(services)
    again = await ok(gql, "createOpportunity", team.seller.token, customerId=cid, title="Pumps", idempotencyKey="k1")
    assert again["id"] == first["id"] and await log_counts(services) == counts
    errors = await refused(
        gql, services, "createOpportunity", team.seller.token, customerId=cid, title="Valves", idempotencyKey="k1"
    )
    assert errors[0]["code"] == "DUPLICATE"


async def test_list_filters_and_reads(gql, users, services, clock):
    team = await Team.create(users)
    a, b = await customer(services, team.seller), await customer(services, team.seller)
    created = []
    for cust, state in ((a, "REQUIREMENTS"), (a, "REVIEW"), (a, "WON"), (a, "LOST"), (b, "REVIEW")):
        clock.advance(minutes=1)
        created.append(to_global_id("Opportunity", (await opportunity_in(services, team, cust.id, state)).id))
    ids, other = dict(zip(("REQUIREMENTS", "REVIEW", "WON", "LOST"), created[:4], strict=True)), created[-1]
    reporting = await users.api_key("reporting")
    everything = (await gql.ok(LIST, {}, reporting))["opportunities"]
    assert everything["totalCount"] == 5
    assert [e["node"]["id"] for e in everything["edges"]] == created[::-1]  # newest first
    open_ones = (await gql.ok(LIST, {"stage": ["REQUIREMENTS", "REVIEW"]}, team.service.token))["opportunities"]
    assert {e["node"]["id"] for e in open_ones["edges"]} == {ids["REQUIREMENTS"], ids["REVIEW"], other}
    of_a = await gql.ok(LIST, {"stage": ["REVIEW"], "c": to_global_id("Customer", a.id)}, team.seller.token)
    assert [e["node"]["id"] for e in of_a["opportunities"]["edges"]] == [ids["REVIEW"]]
    body = await gql("{ opportunities(first: 101) { totalCount } }", token=team.seller.token)
    assert error_codes(body) == ["BAD_USER_INPUT"]
    body = await gql(LIST, {"c": "not-an-id"}, team.seller.token)
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert (await gql.ok(READ, {"id": to_global_id("Opportunity", a.id)}, team.seller.token))["node"] is None


# ----------------------------------------------------------------------------- who may do what

PRINCIPALS = (
    "marketing staff",
    "service staff",
    "management staff",
    "supervisor",
    "admin",
    "reporting key",
    "board key",
)
SALES = {"marketing staff", "admin"}
SERVICE = {"service staff", "admin"}
# mutation: (who may, the state it needs, its input besides opportunityId)
MATRIX = {
    "createOpportunity": (SALES, None, {"title": "New deal"}),
    "recordRequirements": (SALES, "REQUIREMENTS", {"requirements": [{"description": "5 pumps"}]}),
    "confirmRequirements": (SALES, "REQUIREMENTS", {"confirmedBy": "Anna"}),
    "submitSolution": (SALES, "SOLUTION", {"summary": "Pumps P-5"}),
    "reviewSolution": (SERVICE, "REVIEW", {"decision": "APPROVED"}),
    "registerProject": (SALES, "REVIEW_APPROVED", {}),
    "acknowledgeRegistration": (SERVICE, "REGISTERED", {"preparationNotes": "1 technician"}),
    "markWon": (SALES, "REGISTERED_ACKNOWLEDGED", {}),
    "markLost": (SALES, "REQUIREMENTS", {"reason": "no budget"}),
}


async def _token(users, who: str) -> str:
    if who.endswith("key"):
        return await users.api_key(who.split()[0])
    department, role = {
        "marketing staff": ("MARKETING", "STAFF"),
        "service staff": ("SERVICE", "STAFF"),
        "management staff": ("MANAGEMENT", "STAFF"),
        "supervisor": ("MANAGEMENT", "SUPERVISOR"),
        "admin": ("MANAGEMENT", "ADMIN"),
    }[who]
    return (await users.create(department, role)).token


@pytest.mark.parametrize("name", MATRIX)
async def test_permissions_per_mutation(gql, users, services, name):
    allowed, state, extra = MATRIX[name]
    team = await Team.create(users)
    c = await customer(services, team.seller)
    wrong = []
    for who in PRINCIPALS:
        token = await _token(users, who)
        if state is None:
            input = {"customerId": to_global_id("Customer", c.id), **extra}
        else:
            opp = await opportunity_in(services, team, c.id, state)
            input = {"opportunityId": to_global_id("Opportunity", opp.id), **extra}
        if name == "acknowledgeRegistration":
            input["serviceLeadId"] = team.service.gid
        if name == "markWon":
            input["orderId"] = to_global_id("Order", (await order(services, team.seller, c.id)).id)
        before = await log_counts(services)
        body = await gql(doc(name), {"i": input}, token)
        if who in allowed:
            if body.get("errors") or body["data"][name]["errors"]:
                wrong.append(f"{who}: expected allowed, got {body}")
            elif await log_counts(services) == before:
                wrong.append(f"{who}: allowed but nothing was recorded")
        elif error_codes(body) != ["FORBIDDEN"] or body["data"] is not None:
            wrong.append(f"{who}: expected FORBIDDEN, got {body}")
        elif await log_counts(services) != before:
            wrong.append(f"{who}: refused but something was recorded")
    assert wrong == []


async def test_every_caller_may_read_opportunities(gql, users, services):
    team = await Team.create(users)
    opp = await opportunity_in(services, team, (await customer(services, team.seller)).id, "REVIEW")
    for who in PRINCIPALS:
        data = await gql.ok(LIST, {}, await _token(users, who))
        assert [e["node"]["id"] for e in data["opportunities"]["edges"]] == [to_global_id("Opportunity", opp.id)], who
    body = await gql(LIST, {})
    assert error_codes(body) == ["UNAUTHENTICATED"]


async def test_a_page_of_opportunities_costs_the_same_statements_whatever_its_size(gql, users, services, clock):
    team = await Team.create(users)
    c = await customer(services, team.seller)
    query = """query($n: Int!) { opportunities(first: $n) { edges { node { customer { name } owner { name }
      requirements { description } serviceLead { name } order { number }
      solutions { version submittedBy { name } review { reviewer { name } } } currentSolution { version } } } } }"""

    async def count(n: int) -> int:
        with statements(services.db.engine, services.db.reads_engine) as seen:
            edges = (await gql.ok(query, {"n": n}, team.service.token))["opportunities"]["edges"]
        assert len(edges) == n
        return len(seen)

    for state in ("REVIEW_APPROVED", "WON"):
        await opportunity_in(services, team, c.id, state)
    await count(1)  # warm up
    small = await count(2)
    for state in ("REQUIREMENTS", "SOLUTION", "REVIEW", "REGISTERED", "LOST", "WON"):
        clock.advance(minutes=1)
        await opportunity_in(services, team, c.id, state)
    assert await count(8) == small
