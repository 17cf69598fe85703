"""N+1 guard: the number of SQL statements behind a list query must not grow with the list."""

from __future__ import annotations

from services import customers as customer_service
from services.customers import ContactData, NewCustomer
from services.principal import Principal, PrincipalKind
from services.unit_of_work import unit_of_work
from tests.support.database import statements

LIST = "query($n: Int!) { customers(first: $n) { edges { node { name owner { name } contacts { name } } } } }"


async def add_customers(services, owners, start: int, count: int) -> None:
    for i in range(start, start + count):
        owner = owners[i % len(owners)].user
        actor = Principal(PrincipalKind.USER, owner.id, owner.name, department="MARKETING", role="STAFF")
        async with unit_of_work(services.db.sessions, actor, services.clock) as uow:
            await customer_service.create_customer(
                uow,
                NewCustomer(
                    name=f"Customer {i:03d}",
                    contacts=[ContactData(name=f"Contact {i}a"), ContactData(name=f"Contact {i}b")],
                ),
            )


async def test_customer_list_statement_count_does_not_grow(gql, users, services):
    owners = [await users.create("MARKETING") for _ in range(3)]
    reader = await users.create("SERVICE")
    engines = services.db.engine, services.db.reads_engine
    mode = services.settings.read_executor
    await gql.ok(LIST, {"n": 1}, reader.token)  # warm up: connections, dialect initialisation, caches

    with statements(*engines) as auth_only:
        await gql.ok("{ __typename }", token=reader.token)
    authentication = len(auth_only)
    assert authentication <= 2, auth_only

    async def data_statements(n: int) -> tuple[int, list[str]]:
        with statements(*engines) as seen:
            data = await gql.ok(LIST, {"n": n}, reader.token)
        edges = data["customers"]["edges"]
        assert len(edges) == n
        for edge in edges:
            node = edge["node"]
            assert node["owner"]["name"] in {o.user.name for o in owners}, node
            assert len(node["contacts"]) == 2, node
        # Compiled: the credential is checked inside the read's one statement, nothing to subtract.
        return len(seen) - (0 if mode == "compiled" else authentication), seen

    await add_customers(services, owners, 0, 5)
    small, _small_sql = await data_statements(5)
    await add_customers(services, owners, 5, 45)
    large, large_sql = await data_statements(50)

    detail = "\n".join(large_sql)
    assert small == large, f"{small} statements for 5 customers but {large} for 50: an N+1 query\n{detail}"
    # The compiled executor (schema/compiled, the default): one statement. The reference executor
    # (TANDEM_READ_EXECUTOR=reference): one page query, one batched owner lookup, one batched contact lookup.
    # `compare` (the test suite's mode) runs both.
    expected = {"compiled": 1, "reference": 3, "compare": 4}[mode]
    assert large == expected, f"expected {expected} data statements, got {large}:\n{detail}"
