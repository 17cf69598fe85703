"""The root lists beyond tickets and customers, compiled: every page, every filter, every caller, the
same answer as the reference (tests/support/compiled.py), and the errors left to the reference."""

from __future__ import annotations

import pytest

from schema.ids import to_global_id
from tests.compiled.test_coverage import LISTS
from tests.support.compiled import PRINCIPALS, Pair
from tests.support.database import rows, statements

# Per list: its arguments as variables (name: GraphQL type).
ARGUMENTS = {
    "orders": {"status": "[OrderStatus!]", "customerId": "ID"},
    "users": {"department": "Department", "active": "Boolean"},
    "serviceJobs": {"status": "[ServiceJobStatus!]", "orderId": "ID", "technicianId": "ID", "customerId": "ID"},
    "escalations": {"status": "EscalationStatus"},
    "feedback": {"customerId": "ID"},
    "opportunities": {"stage": "[OpportunityStage!]", "customerId": "ID"},
    "salesTargets": {"userId": "ID", "departmentWide": "Boolean!"},
}


def page_query(root: str) -> str:
    arguments = ARGUMENTS[root]
    declared = "".join(f", ${name}: {type_}" for name, type_ in arguments.items())
    passed = "".join(f", {name}: ${name}" for name in arguments)
    return f"""query Page($n: Int, $after: String{declared}) {{ {root}(first: $n, after: $after{passed}) {{
      totalCount pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }}
      edges {{ cursor node {{ {LISTS[root]} }} }} }} }}"""


@pytest.fixture
async def pair(services):
    pair = await Pair.start(services)
    yield pair
    await pair.close()


async def walk(pair: Pair, root: str, variables: dict, principal: str) -> tuple[list[str], int]:
    defaults = {"departmentWide": False} if root == "salesTargets" else {}
    return await pair.walk(page_query(root), root, {**defaults, **variables}, principal)


async def test_pagination_through_every_page(pair):
    for root in ARGUMENTS:
        principal = "reporting key" if root == "salesTargets" else "marketing"
        seen, pages = await walk(pair, root, {"n": 3}, principal)
        assert pages > 1, root
        # Another page size, another caller: the same rows in the same order.
        again, _ = await walk(pair, root, {"n": 7}, "supervisor")
        assert again == seen, root


async def test_each_filter(pair):
    services = pair.services

    def gid(type_name: str, value) -> str:
        return to_global_id(type_name, value)

    most = "SELECT {0} FROM {1} WHERE {0} IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
    [(customer,)] = await rows(services, most.format("customer_id", "orders"))
    [(order,)] = await rows(services, most.format("order_id", "service_jobs"))
    [(technician,)] = await rows(services, most.format("technician_id", "service_jobs"))
    [(job_customer,)] = await rows(services, "SELECT customer_id FROM service_jobs LIMIT 1")
    [(fb_customer,)] = await rows(services, most.format("customer_id", "feedback"))
    [(opp_customer,)] = await rows(services, most.format("customer_id", "opportunities"))
    [(target_user,)] = await rows(services, "SELECT user_id FROM sales_targets WHERE user_id IS NOT NULL LIMIT 1")
    nobody = "00000000-0000-0000-0000-000000000000"
    cases = {
        "orders": [
            {"status": ["CONFIRMED"]},
            {"status": []},
            {"status": ["DRAFT", "HANDED_OFF", "RETURNED", "CANCELLED"]},
            {"customerId": gid("Customer", customer)},
            {"customerId": gid("Customer", customer), "status": ["COMPLETED", "IN_SERVICE", "CONFIRMED"]},
            {"customerId": gid("Customer", nobody)},
        ],
        "users": [
            {"department": "MARKETING"},
            {"department": "SERVICE", "active": True},
            {"department": "MANAGEMENT"},
            {"active": False},
            {"active": True},
        ],
        "serviceJobs": [
            {"status": ["SCHEDULED", "IN_PROGRESS"]},
            {"status": ["COMPLETED"]},
            {"orderId": gid("Order", order)},
            {"technicianId": gid("User", technician)},
            {"customerId": gid("Customer", job_customer), "status": ["COMPLETED", "CANCELLED"]},
        ],
        "escalations": [{"status": "OPEN"}, {"status": "CLOSED"}, {"status": None}],
        "feedback": [{"customerId": gid("Customer", fb_customer)}, {"customerId": gid("Customer", nobody)}],
        "opportunities": [
            {"stage": ["WON", "LOST"]},
            {"stage": ["REQUIREMENTS", "SOLUTION", "REVIEW", "REGISTERED"]},
            {"stage": []},
            {"customerId": gid("Customer", opp_customer)},
        ],
        "salesTargets": [
            {"userId": gid("User", target_user)},
            {"departmentWide": True},
            {"userId": gid("User", target_user), "departmentWide": True},  # the user's, as the repository
            {"departmentWide": False},
        ],
    }
    for root, filters in cases.items():
        for variables in filters:
            for principal in PRINCIPALS:
                if root == "salesTargets" and principal == "board key":
                    continue  # may not read KPIs: below
                await walk(pair, root, {"n": 10, **variables}, principal)


async def test_what_falls_back_is_answered_by_the_reference(pair):
    bad_cursor = {"n": 5, "after": "not-a-cursor"}
    malformed = "bm9wZQ=="
    other_type = to_global_id("Ticket", "00000000-0000-0000-0000-000000000000")  # no list filters by ticket
    cases = [(root, {"n": 101}) for root in ARGUMENTS]  # the `first` cap error
    cases += [(root, {"n": -1}) for root in ARGUMENTS]
    cases += [(root, bad_cursor) for root in ARGUMENTS]
    # A cursor of another list (orders' keys are a timestamp and an id, sales targets' a date and an id),
    # a cursor of one value.
    orders = await pair.agree(page_query("orders"), {"n": 1}, "service", compiles=True)
    order_cursor = orders["data"]["orders"]["edges"][0]["cursor"]
    cases += [("salesTargets", {"n": 5, "after": order_cursor}), ("escalations", {"n": 5, "after": "WyJhIl0"})]
    for root, arguments in ARGUMENTS.items():
        for name, type_ in arguments.items():
            if type_ == "ID":
                cases += [(root, {"n": 5, name: malformed}), (root, {"n": 5, name: other_type})]
    for i, (root, variables) in enumerate(cases):
        if root == "salesTargets":
            variables = {"departmentWide": False, **variables}
        # A document of its own per case (a comment): each case is planned, not answered from the cache.
        body = await pair.agree(f"{page_query(root)}\n# case {i}", variables, "service", compiles=False)
        assert body.get("errors"), (root, variables)
    # salesTargets is read with the KPIs: a board key gets the reference's FORBIDDEN.
    body = await pair.agree(page_query("salesTargets"), {"departmentWide": False}, "board key", compiles=False)
    assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]
    # Unauthenticated: the reference's UNAUTHENTICATED.
    await pair.agree(page_query("orders"), {}, "nobody", compiles=False)


EVERY_LIST = """query($id: ID!) {
  orders(first: 5) { totalCount edges { node { id contractValue customer { name } items { quantity unitPrice } } } }
  users(first: 5, active: true) { totalCount edges { node { name } } }
  serviceJobs(first: 5) { edges { node { number technician { name } } } }
  escalations(first: 5) { edges { node { status ticket { number } notes { body } } } }
  feedback(first: 5) { edges { node { score } } }
  opportunities(first: 5) { edges { node { title currentSolution { version review { decision } } } } }
  salesTargets(first: 5) { edges { node { amount periodStart } } }
  node(id: $id) { id ... on Order { number } }
}"""


async def test_every_list_and_node_in_one_statement(pair):
    """All the lists and a node in one query: ONE statement, the credential check included."""
    [(order_id,)] = await rows(pair.services, "SELECT id FROM orders LIMIT 1")
    variables = {"id": to_global_id("Order", order_id)}
    token = pair.tokens["reporting key"]
    await pair.agree(EVERY_LIST, variables, "reporting key", compiles=True)  # authenticates the key in full
    db = pair.services.db
    with statements(db.engine) as full_way, statements(db.reads_engine) as short_way:
        response = await pair.clients["compiled"].post(
            "/graphql",
            json={"query": EVERY_LIST, "variables": variables},
            headers={"Authorization": f"Bearer {token}"},
        )
    assert response.status_code == 200 and not response.json().get("errors"), response.text
    assert full_way == [], "\n".join(full_way)
    assert len(short_way) == 1 and "revoked_at" in short_way[0], "\n".join(short_way)
