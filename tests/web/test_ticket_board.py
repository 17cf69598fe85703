"""The live board's query costs a constant number of SQL statements, whatever the page size."""

from __future__ import annotations

from services import escalations as escalation_service
from services import tickets as ticket_service
from tests.support.database import statements
from tests.support.tickets import cast, new_customer, new_order, open_ticket

BOARD = """query { eventCursor tickets(first: 50) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node {
  id number kind priority status subject createdAt
  customer { id name code }
  assignee { id name }
  createdBy { id name }
  order { id number status }
  sla { firstResponseDueAt resolutionDueAt firstResponseState resolutionState state }
  escalation { id status reason requestedBy { name } participants { id name department } }
  rootCause { code label }
} } } }"""


async def add_tickets(c, n: int, customers: list, orders: list) -> None:
    """Tickets with everything the board shows: customer, order, assignee, SLA, an open or closed
    consultation with participants, and for some a root cause."""
    for i in range(n):
        c.services.clock.advance(minutes=1)
        k = len(customers)
        ticket = await open_ticket(
            c, customer_id=customers[i % k], order_id=orders[i % k], priority="HIGH", subject=f"Board {i}"
        )
        await c.run(c.service, ticket_service.acknowledge, ticket.id, None)
        await c.run(c.service, ticket_service.assign, ticket.id, (c.service2 if i % 2 else c.service).user.id, None)
        await c.run(
            c.service,
            escalation_service.escalate,
            ticket.id,
            "Joint look",
            [(c.marketing if i % 2 else c.marketing2).user.id],
            None,
        )
        if i % 3 == 0:
            await c.run(c.service, ticket_service.resolve, ticket.id, "USAGE", "Explained", None)


async def test_board_query_statement_count_does_not_grow_with_the_page(gql, services):
    c = await cast(services)
    customers = [c.customer_id] + [await new_customer(c, f"Customer {i}") for i in range(4)]
    orders = [(await new_order(c, customer_id=cid)).id for cid in customers]
    engines = services.db.engine, services.db.reads_engine

    await add_tickets(c, 5, customers, orders)
    with statements(*engines) as small:
        data = await gql.ok(BOARD, token=c.service.token)
    assert len(data["tickets"]["edges"]) == 5

    await add_tickets(c, 45, customers, orders)
    with statements(*engines) as large:
        data = await gql.ok(BOARD, token=c.service.token)
    edges = data["tickets"]["edges"]
    assert len(edges) == 50 and data["tickets"]["totalCount"] == 50
    # Every relation is really there (so every loader ran in both requests).
    assert all(e["node"]["customer"] and e["node"]["order"] and e["node"]["assignee"] for e in edges)
    assert all(len(e["node"]["escalation"]["participants"]) == 2 for e in edges)
    assert sum(e["node"]["rootCause"] is not None for e in edges) == 17
    assert len(large) == len(small), "\n".join(large)
    assert len(large) <= 12, "\n".join(large)
