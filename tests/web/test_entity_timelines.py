"""The timelines of single work items (part 2): Ticket, ServiceJob and Opportunity each list their own
recorded changes, oldest first, with the same rule as every timeline: entries about internal comments
are not shown to API keys, and totalCount agrees with what is shown."""

from __future__ import annotations

from schema.ids import to_global_id
from services import tickets as ticket_service
from tests.support.presale import Team, customer, opportunity_in
from tests.support.tickets import cast, open_ticket

TIMELINE = """query($id: ID!) { node(id: $id) { ... on %s { timeline(first: 20) { totalCount
  edges { node { action summary actor { name } } } } } } }"""


def actions(body: dict) -> tuple[int, list[str]]:
    timeline = body["node"]["timeline"]
    return timeline["totalCount"], [e["node"]["action"] for e in timeline["edges"]]


async def test_ticket_timeline_hides_internal_entries_from_keys(gql, services, users):
    c = await cast(services)
    ticket = await open_ticket(c)
    await c.run(c.service, ticket_service.acknowledge, ticket.id, None)
    await c.run(c.service, ticket_service.add_comment, ticket.id, "Check the wiring first", "INTERNAL")
    await c.run(c.service, ticket_service.add_comment, ticket.id, "A technician comes on Monday", "CUSTOMER")
    query, variables = TIMELINE % "Ticket", {"id": to_global_id("Ticket", ticket.id)}
    staff = actions(await gql.ok(query, variables, c.marketing.token))
    assert staff[0] == 4 and staff[1][0].startswith("ticket.") and staff[1][2] == staff[1][3]
    board = actions(await gql.ok(query, variables, await users.api_key("board")))
    assert board == (3, [*staff[1][:2], staff[1][3]])  # the internal comment's entry is not shown


async def test_service_job_and_opportunity_timelines(gql, services, users):
    from tests.support.orders import Workflow

    team = await Team.create(users)
    flow = Workflow(services, team.seller.user, team.service.user)
    customer_id = (await customer(services, team.seller)).id
    order = await flow.order(customer_id, status="IN_SERVICE")
    [job_gid] = [
        e["node"]["id"]
        for e in (
            await gql.ok(
                "query($o: ID!) { serviceJobs(first: 5, orderId: $o) { edges { node { id } } } }",
                {"o": to_global_id("Order", order.id)},
                team.seller.token,
            )
        )["serviceJobs"]["edges"]
    ]
    job = actions(await gql.ok(TIMELINE % "ServiceJob", {"id": job_gid}, team.seller.token))
    assert job == (2, ["service_job.scheduled", "service_job.started"])
    registered = await opportunity_in(services, team, customer_id, "REGISTERED")
    body = await gql.ok(TIMELINE % "Opportunity", {"id": to_global_id("Opportunity", registered.id)}, team.seller.token)
    count, steps = actions(body)
    assert count == len(steps) >= 3 and steps[0].startswith("opportunity.")
    assert all(e["node"]["actor"]["name"] for e in body["node"]["timeline"]["edges"])
