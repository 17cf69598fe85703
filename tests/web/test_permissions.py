"""Authorization over HTTP, table-driven from DOMAIN.md's matrix.

Every mutation of the schema × every kind of caller: allowed ones succeed and change what they
should; refused ones get exactly one FORBIDDEN error and leave every table as it was.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from graphql.pyutils import Undefined

from schema.ids import to_global_id
from schema.schema import build_schema
from services import customers as customer_service
from services.accounts import set_user_active
from services.customers import ContactData, NewCustomer
from services.unit_of_work import unit_of_work
from tests.support.accounts import PEOPLE, PRINCIPALS, Account, UserFactory, credential, fast_account
from tests.support.database import all_rows, scalar
from tests.support.graphql import error_codes

# DOMAIN.md: "customers, contacts" ✓ for marketing, service, supervisor, admin (and management staff,
# who have every person's rights); "users, API keys" admin only; API keys never write.
ALLOWED: dict[str, set[str]] = {
    "createCustomer": set(PEOPLE),
    "updateCustomer": set(PEOPLE),
    "addContact": set(PEOPLE),
    "updateContact": set(PEOPLE),
    "removeContact": set(PEOPLE),
    "createUser": {"admin"},
    "updateUser": {"admin"},
    "deactivateUser": {"admin"},
    "reactivateUser": {"admin"},
    "createApiKey": {"admin"},
    "revokeApiKey": {"admin"},
}

SNAPSHOT_TABLES = (
    "users",
    "api_keys",
    "customers",
    "contacts",
    "activity",
    "events",
    "idempotency_records",
    "login_throttle",
)


async def snapshot(services) -> dict[str, list]:
    """Every row of every table a mutation here could touch (API keys' use stamp aside)."""
    return await all_rows(services, SNAPSHOT_TABLES, ignore={"last_used_at"})


async def seed_customer(services, name: str = "Acme Ltd") -> tuple[uuid.UUID, uuid.UUID]:
    """A customer with one contact (with phone and email); returns (customer id, contact id)."""
    async with unit_of_work(services.db.sessions, None, services.clock) as uow:
        customer = await customer_service.create_customer(
            uow,
            NewCustomer(
                name=name,
                industry="Machinery",
                contacts=[
                    ContactData(name="Ann Li", title="Buyer", phone="+86 21 5555 0101", email="ann.li@acme.example")
                ],
            ),
        )
    contact_id = await scalar(services, "SELECT id FROM contacts WHERE customer_id = :c", c=customer.id)
    return customer.id, contact_id


@dataclass
class World:
    services: Any
    target: Account  # a MARKETING STAFF user the account mutations aim at
    made: list[str] = field(default_factory=list)


Prepared = tuple[dict, Callable[[dict], Awaitable[None]]]


# ------------------------------------------------------------------------ one case per mutation


async def prep_create_customer(w: World) -> Prepared:
    name = f"Newco {uuid.uuid4().hex[:6]}"

    async def applied(payload):
        assert payload["customer"]["name"] == name
        assert await scalar(w.services, "SELECT count(*) FROM customers WHERE name = :n", n=name) == 1

    return {"i": {"name": name, "contacts": [{"name": "Bo", "phone": "021 5555 0199"}]}}, applied


async def prep_update_customer(w: World) -> Prepared:
    customer_id, _ = await seed_customer(w.services)
    version = await scalar(w.services, "SELECT version FROM customers WHERE id = :c", c=customer_id)

    async def applied(payload):
        assert payload["customer"]["name"] == "Renamed Ltd"
        assert await scalar(w.services, "SELECT name FROM customers WHERE id = :c", c=customer_id) == "Renamed Ltd"

    return {
        "i": {"customerId": to_global_id("Customer", customer_id), "expectedVersion": version, "name": "Renamed Ltd"}
    }, applied


async def prep_add_contact(w: World) -> Prepared:
    customer_id, _ = await seed_customer(w.services)

    async def applied(payload):
        assert sorted(c["name"] for c in payload["customer"]["contacts"]) == ["Ann Li", "Cai Hong"]
        assert await scalar(w.services, "SELECT count(*) FROM contacts WHERE customer_id = :c", c=customer_id) == 2

    return {
        "i": {
            "customerId": to_global_id("Customer", customer_id),
            "contact": {"name": "Cai Hong", "email": "cai@acme.example"},
        }
    }, applied


async def prep_update_contact(w: World) -> Prepared:
    _, contact_id = await seed_customer(w.services)

    async def applied(payload):
        assert await scalar(w.services, "SELECT phone FROM contacts WHERE id = :c", c=contact_id) == "+86 21 5555 0222"

    return {"i": {"contactId": to_global_id("Contact", contact_id), "phone": "+86 21 5555 0222"}}, applied


async def prep_remove_contact(w: World) -> Prepared:
    _, contact_id = await seed_customer(w.services)

    async def applied(payload):
        assert payload["customer"]["contacts"] == []
        assert await scalar(w.services, "SELECT count(*) FROM contacts WHERE id = :c", c=contact_id) == 0

    return {"i": {"contactId": to_global_id("Contact", contact_id)}}, applied


async def prep_create_user(w: World) -> Prepared:
    email = f"created.{uuid.uuid4().hex[:6]}@example.com"

    async def applied(payload):
        assert await scalar(w.services, "SELECT role FROM users WHERE email = :e", e=email) == "ADMIN"

    return {
        "i": {"email": email, "name": "Created", "department": "SERVICE", "role": "ADMIN", "password": "long enough pw"}
    }, applied


async def prep_update_user(w: World) -> Prepared:
    async def applied(payload):
        assert await scalar(w.services, "SELECT role FROM users WHERE id = :u", u=w.target.user.id) == "ADMIN"

    return {"i": {"userId": w.target.gid, "role": "ADMIN"}}, applied


async def _set_target_active(w: World, active: bool) -> None:
    async with unit_of_work(w.services.db.sessions, None, w.services.clock) as uow:
        await set_user_active(uow, w.target.user.id, active, None)


async def prep_deactivate_user(w: World) -> Prepared:
    await _set_target_active(w, True)

    async def applied(payload):
        assert await scalar(w.services, "SELECT active FROM users WHERE id = :u", u=w.target.user.id) is False

    return {"i": {"userId": w.target.gid}}, applied


async def prep_reactivate_user(w: World) -> Prepared:
    await _set_target_active(w, False)

    async def applied(payload):
        assert await scalar(w.services, "SELECT active FROM users WHERE id = :u", u=w.target.user.id) is True

    return {"i": {"userId": w.target.gid}}, applied


async def prep_create_api_key(w: World) -> Prepared:
    name = f"key {uuid.uuid4().hex[:6]}"

    async def applied(payload):
        assert payload["key"].startswith("tdk_")
        assert await scalar(w.services, "SELECT scope FROM api_keys WHERE name = :n", n=name) == "board"

    return {"i": {"name": name, "scope": "BOARD"}}, applied


async def prep_revoke_api_key(w: World) -> Prepared:
    name = f"victim {uuid.uuid4().hex[:6]}"
    await UserFactory(w.services).api_key("reporting", name=name)
    key_id = await scalar(w.services, "SELECT id FROM api_keys WHERE name = :n", n=name)

    async def applied(payload):
        assert await scalar(w.services, "SELECT revoked_at FROM api_keys WHERE id = :k", k=key_id) is not None

    return {"i": {"apiKeyId": to_global_id("ApiKey", key_id)}}, applied


CUSTOMER_FIELDS = "customer { id name contacts { name } } errors { code field message }"
USER_FIELDS = "user { id } errors { code field message }"
CASES: dict[str, tuple[str, str, Callable[[World], Awaitable[Prepared]]]] = {
    # mutation: (input type, selection, prepare)
    "createCustomer": ("CreateCustomerInput", CUSTOMER_FIELDS, prep_create_customer),
    "updateCustomer": ("UpdateCustomerInput", CUSTOMER_FIELDS, prep_update_customer),
    "addContact": ("AddContactInput", CUSTOMER_FIELDS, prep_add_contact),
    "updateContact": ("UpdateContactInput", CUSTOMER_FIELDS, prep_update_contact),
    "removeContact": ("RemoveContactInput", CUSTOMER_FIELDS, prep_remove_contact),
    "createUser": ("CreateUserInput", USER_FIELDS, prep_create_user),
    "updateUser": ("UpdateUserInput", USER_FIELDS, prep_update_user),
    "deactivateUser": ("UserActionInput", USER_FIELDS, prep_deactivate_user),
    "reactivateUser": ("UserActionInput", USER_FIELDS, prep_reactivate_user),
    "createApiKey": ("CreateApiKeyInput", "apiKey { id } key errors { code field message }", prep_create_api_key),
    "revokeApiKey": ("RevokeApiKeyInput", "apiKey { id revokedAt } errors { code field message }", prep_revoke_api_key),
}


def mutation_text(name: str) -> str:
    input_type, selection, _ = CASES[name]
    return f"mutation($i: {input_type}!) {{ {name}(input: $i) {{ {selection} }} }}"


def schema_mutations() -> set[str]:
    schema = build_schema()
    return {schema.config.name_converter.get_graphql_name(f) for f in schema.get_type_by_name("Mutation").fields}


def test_the_table_names_real_mutations():
    """Every row of the table is a mutation of the schema (a rename must update the table). Mutations
    added later are covered for API keys and anonymous callers by the generic test below; each
    domain's own tests cover its people-columns."""
    assert set(ALLOWED) == set(CASES)
    assert set(ALLOWED) <= schema_mutations() - {"login"}


# --------------------------------------------------- every mutation, API keys and anonymous callers

SCALAR_SAMPLES = {
    "String": "x",
    "Int": 1,
    "Float": 1.0,
    "Boolean": True,
    "DateTime": "2026-03-02T09:00:00+00:00",
    "Decimal": "1.00",
    "Date": "2026-03-02",
    "JSON": {},
}


def sample(gql_type):
    """A value that passes GraphQL input coercion for `gql_type` (required fields only)."""
    from graphql import GraphQLEnumType, GraphQLInputObjectType, GraphQLList, GraphQLNonNull, GraphQLScalarType

    if isinstance(gql_type, GraphQLNonNull):
        return sample(gql_type.of_type)
    if isinstance(gql_type, GraphQLList):
        return [sample(gql_type.of_type)]
    if isinstance(gql_type, GraphQLEnumType):
        return next(iter(gql_type.values))
    if isinstance(gql_type, GraphQLInputObjectType):
        return {
            name: sample(f.type)
            for name, f in gql_type.fields.items()
            if isinstance(f.type, GraphQLNonNull) and f.default_value is Undefined
        }
    if isinstance(gql_type, GraphQLScalarType):
        if gql_type.name == "ID":
            return to_global_id("Customer", uuid.uuid4())
        return SCALAR_SAMPLES.get(gql_type.name, "x")
    raise AssertionError(f"no sample for {gql_type}")


def every_mutation_call() -> list[tuple[str, str, dict]]:
    """(name, document, variables) for every mutation of the schema but login."""
    from graphql import GraphQLNonNull

    mutation_type = build_schema()._schema.mutation_type
    calls = []
    for name, f in sorted(mutation_type.fields.items()):
        if name == "login":
            continue
        required = {
            a: arg
            for a, arg in f.args.items()
            if isinstance(arg.type, GraphQLNonNull) and arg.default_value is Undefined
        }
        declared = ", ".join(f"${a}: {arg.type}" for a, arg in required.items())
        passed = ", ".join(f"{a}: ${a}" for a in required)
        document = (
            f"mutation{f'({declared})' if declared else ''} "
            f"{{ {name}{f'({passed})' if passed else ''} {{ __typename }} }}"
        )
        calls.append((name, document, {a: sample(arg.type) for a, arg in required.items()}))
    return calls


async def test_api_keys_and_anonymous_callers_cannot_call_any_mutation(gql, users, services):
    """DOMAIN.md: API keys never write; anonymous callers get nothing. Checked for every mutation the
    schema has (today's and any added later), with inputs that pass GraphQL validation."""
    credentials = {
        "reporting key": await users.api_key("reporting"),
        "board key": await users.api_key("board"),
        "anonymous": None,
    }
    await seed_customer(services)
    calls = every_mutation_call()
    assert len(calls) >= len(ALLOWED)
    before = await snapshot(services)
    wrong = []
    for name, document, variables in calls:
        for who, token in credentials.items():
            body = await gql(document, variables, token)
            expected = "UNAUTHENTICATED" if token is None else "FORBIDDEN"
            if error_codes(body) != [expected] or body["data"] is not None:
                wrong.append(f"{name} as {who}: {body}")
    assert wrong == []
    assert await snapshot(services) == before


async def check_mutations(principal: str, token: str, gql, services) -> None:
    """Each mutation of the table: allowed ones succeed and do what they should; refused ones get one
    FORBIDDEN error and change nothing."""
    world = World(services, await fast_account(services, "MARKETING", "STAFF", name="Target Tang"))
    wrong: list[str] = []
    for name in CASES:
        variables, applied = await CASES[name][2](world)
        before = await snapshot(services)
        body = await gql(mutation_text(name), variables, token)
        expected_allowed = principal in ALLOWED[name]
        if expected_allowed:
            if body.get("errors") or body["data"][name]["errors"]:
                wrong.append(f"{name}: expected allowed, got {body}")
                continue
            await applied(body["data"][name])
            assert await snapshot(services) != before, name
        else:
            if error_codes(body) != ["FORBIDDEN"]:
                wrong.append(f"{name}: expected FORBIDDEN, got {body}")
                continue
            assert body["data"] is None, name
            assert body["errors"][0]["path"] == [name], name
            assert body["errors"][0]["message"].startswith("forbidden: "), name
            assert await snapshot(services) == before, f"{name} was refused but changed data"
    assert wrong == []

    # Authorization is decided before the input is looked at: without the right, a bogus id is
    # FORBIDDEN too (no probing for ids); with it, a NOT_FOUND user error.
    missing_customer = to_global_id("Customer", uuid.uuid4())
    body = await gql(mutation_text("updateCustomer"), {"i": {"customerId": missing_customer, "name": "X"}}, token)
    if principal in ALLOWED["updateCustomer"]:
        assert body["data"]["updateCustomer"]["errors"] == [
            {"code": "NOT_FOUND", "field": ["customerId"], "message": "customer not found"}
        ]
    else:
        assert error_codes(body) == ["FORBIDDEN"]
    body = await gql(mutation_text("deactivateUser"), {"i": {"userId": to_global_id("User", uuid.uuid4())}}, token)
    if principal == "admin":
        assert body["data"]["deactivateUser"]["errors"] == [
            {"code": "NOT_FOUND", "field": ["userId"], "message": "user not found"}
        ]
    else:
        assert error_codes(body) == ["FORBIDDEN"]


CONTACTS_QUERY = """{ customers(first: 10) { edges { node {
  name owner { name } contacts { name title isPrimary phone email } } } } }"""


async def check_reads(principal: str, token: str, gql, services) -> None:
    """Everyone reads customers, users' names and the event cursor; only admins list API keys; API keys
    never see contact details (contact phone/email, user email), people do."""
    customer_id, contact_id = await seed_customer(services)
    data = await gql.ok(
        "{ customers(first: 5) { totalCount edges { node { name } } } users(first: 50) { totalCount "
        "edges { node { name } } } eventCursor }",
        token=token,
    )
    assert data["customers"]["totalCount"] == 1
    assert data["customers"]["edges"][0]["node"]["name"] == "Acme Ltd"
    assert data["users"]["totalCount"] == (1 if principal in PEOPLE else 0)
    assert int(data["eventCursor"]) >= 1  # the seeded customer's CUSTOMER_CREATED

    body = await gql("{ apiKeys { id prefix } }", token=token)
    if principal == "admin":
        assert body == {"data": {"apiKeys": []}}
    else:
        assert error_codes(body) == ["FORBIDDEN"]
        assert body["data"] is None

    # `node(id:)` is no way around the admin-only `apiKeys`.
    wall = await UserFactory(services).api_key("board", name="Wall screen")
    wall_id = await scalar(services, "SELECT id FROM api_keys WHERE name = 'Wall screen'")
    body = await gql(
        "query($id: ID!) { node(id: $id) { id ... on ApiKey { name prefix } } }",
        {"id": to_global_id("ApiKey", wall_id)},
        token,
    )
    if principal == "admin":
        assert body == {
            "data": {"node": {"id": to_global_id("ApiKey", wall_id), "name": "Wall screen", "prefix": wall[:10]}}
        }
    else:
        assert error_codes(body) == ["FORBIDDEN"] and body["data"] == {"node": None}, body
        assert body["errors"][0]["path"] == ["node"]

    owner = await fast_account(services, "MARKETING", "STAFF", name="Owner Olga")
    async with unit_of_work(services.db.sessions, None, services.clock) as uow:
        await customer_service.update_customer(uow, customer_id, None, owner_id=owner.user.id)
    contact_gid = to_global_id("Contact", contact_id)

    body = await gql(CONTACTS_QUERY, token=token)
    node = body["data"]["customers"]["edges"][0]["node"]
    assert node["name"] == "Acme Ltd"
    assert node["owner"] == {"name": "Owner Olga"}
    contact = node["contacts"][0]
    assert (contact["name"], contact["title"], contact["isPrimary"]) == ("Ann Li", "Buyer", True)
    contact_node = await gql(
        "query($id: ID!) { node(id: $id) { ... on Contact { name phone email } } }", {"id": contact_gid}, token
    )
    owner_email = await gql(
        "query($id: ID!) { node(id: $id) { ... on User { name email } } }", {"id": owner.gid}, token
    )
    users_email = await gql("{ users(first: 50) { edges { node { name email } } } }", token=token)
    if principal in PEOPLE:
        assert not body.get("errors")
        assert (contact["phone"], contact["email"]) == ("+86 21 5555 0101", "ann.li@acme.example")
        assert not contact_node.get("errors")
        assert contact_node["data"]["node"] == {
            "name": "Ann Li",
            "phone": "+86 21 5555 0101",
            "email": "ann.li@acme.example",
        }
        assert owner_email["data"]["node"] == {"name": "Owner Olga", "email": owner.user.email}
        assert not users_email.get("errors")
        assert owner.user.email in [e["node"]["email"] for e in users_email["data"]["users"]["edges"]]
        return

    base = ["customers", "edges", 0, "node", "contacts", 0]
    assert (contact["phone"], contact["email"]) == (None, None)
    assert sorted((e["path"], e["extensions"]["code"]) for e in body["errors"]) == [
        ([*base, "email"], "FORBIDDEN"),
        ([*base, "phone"], "FORBIDDEN"),
    ]
    assert contact_node["data"]["node"] == {"name": "Ann Li", "phone": None, "email": None}
    assert sorted((e["path"], e["extensions"]["code"]) for e in contact_node["errors"]) == [
        (["node", "email"], "FORBIDDEN"),
        (["node", "phone"], "FORBIDDEN"),
    ]
    # User.email is `String!` in the contract, so the refusal nulls the nearest nullable parent.
    assert error_codes(owner_email) == ["FORBIDDEN"]
    assert owner_email["errors"][0]["path"] == ["node", "email"]
    assert owner_email["data"] == {"node": None}
    assert error_codes(users_email) == ["FORBIDDEN"]
    assert users_email["errors"][0]["path"] == ["users", "edges", 0, "node", "email"]
    # Nothing of the details leaks anywhere in the responses.
    for response in (body, contact_node, owner_email, users_email):
        dumped = repr(response)
        for secret in ("5555", "ann.li@", owner.user.email):
            assert secret not in dumped
    # The same key still reads users' names when it does not ask for their email.
    names = await gql.ok("{ users(first: 50) { edges { node { name } } } }", token=token)
    assert [e["node"]["name"] for e in names["users"]["edges"]] == ["Owner Olga"]


@pytest.mark.parametrize("principal", PRINCIPALS)
async def test_what_each_principal_may_read_and_write(principal, gql, users, services):
    token = await credential(services, users, principal)
    await check_reads(principal, token, gql, services)  # first: it counts users and API keys
    await check_mutations(principal, token, gql, services)
