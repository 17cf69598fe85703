"""Customers and contacts over the real HTTP API and a real PostgreSQL database.

Every refused write is followed by a check that nothing changed: the customer as read back (its
version, its contacts, its timeline count) and the number of rows in the audit, event, customer,
contact and idempotency tables.
"""

from __future__ import annotations

import asyncio
import re
import uuid

from sqlalchemy import select

from db.models import Activity, Event
from schema.ids import parse_global_id, to_global_id
from services import accounts
from services.unit_of_work import unit_of_work
from tests.support.database import CUSTOMER_AND_CONTACT_WRITES, row_counts
from tests.support.graphql import error_codes, refused

CUSTOMER_FIELDS = """
fragment C on Customer {
  id code name industry region lifecycleStage version createdAt updatedAt
  owner { id name }
  contacts { id name title phone email isPrimary }
  timeline(first: 100) {
    totalCount
    edges { node { action entityType entityId summary actor { id name } } }
  }
}
"""

CREATE = (
    "mutation($i: CreateCustomerInput!) { createCustomer(input: $i) "
    "{ customer { ...C } errors { code field message } } }" + CUSTOMER_FIELDS
)
UPDATE = (
    "mutation($i: UpdateCustomerInput!) { updateCustomer(input: $i) "
    "{ customer { ...C } errors { code field message } } }" + CUSTOMER_FIELDS
)
ADD_CONTACT = (
    "mutation($i: AddContactInput!) { addContact(input: $i) { customer { ...C } errors { code field message } } }"
    + CUSTOMER_FIELDS
)
UPDATE_CONTACT = (
    "mutation($i: UpdateContactInput!) { updateContact(input: $i) { customer { ...C } errors { code field message } } }"
    + CUSTOMER_FIELDS
)
REMOVE_CONTACT = (
    "mutation($i: RemoveContactInput!) { removeContact(input: $i) { customer { ...C } errors { code field message } } }"
    + CUSTOMER_FIELDS
)
READ = "query($id: ID!) { node(id: $id) { ...C } }" + CUSTOMER_FIELDS
SEARCH = "query($s: String) { customers(first: 100, search: $s) { totalCount edges { node { name code } } } }"


# ----------------------------------------------------------------------------- helpers


async def read_customer(gql, token: str, gid: str) -> dict:
    return (await gql.ok(READ, {"id": gid}, token))["node"]


async def snapshot(gql, services, token: str, gid: str | None = None) -> dict:
    """Everything a refused write must leave untouched."""
    return {
        "customer": await read_customer(gql, token, gid) if gid else None,
        "counts": await row_counts(services, CUSTOMER_AND_CONTACT_WRITES),
    }


async def events_of(services, gid: str) -> list[str]:
    type_name, raw = parse_global_id(gid)
    assert type_name == "Customer"
    async with services.db.sessions() as session:
        rows = (await session.scalars(select(Event).where(Event.entity_id == uuid.UUID(raw)).order_by(Event.id))).all()
    ids = [r.id for r in rows]
    assert ids == sorted(ids)
    return [r.type for r in rows]


async def create(gql, token: str, **input) -> dict:
    input.setdefault("name", "Acme Robotics")
    return (await gql.mutate("createCustomer", CREATE, {"i": input}, token))["customer"]


def primary_names(customer: dict) -> list[str]:
    return [c["name"] for c in customer["contacts"] if c["isPrimary"]]


def timeline_actions(customer: dict) -> list[str]:
    return [e["node"]["action"] for e in customer["timeline"]["edges"]]


def gid_type(gid: str) -> str:
    parsed = parse_global_id(gid)
    assert parsed is not None, gid
    uuid.UUID(parsed[1])
    return parsed[0]


# ----------------------------------------------------------------------------- create


async def test_create_customer_with_contacts_first_becomes_primary(gql, users, services):
    rep = await users.create("MARKETING")
    customer = await create(
        gql,
        rep.token,
        name="  Acme Robotics  ",
        industry="Manufacturing",
        region="East",
        contacts=[
            {"name": "Li Wei", "title": "CTO", "phone": "+86 21 5555 0101", "email": "li.wei@acme.example"},
            {"name": "Zhang Min"},
        ],
    )
    assert customer["name"] == "Acme Robotics"  # trimmed
    assert re.fullmatch(r"C-\d{6}", customer["code"])
    assert customer["lifecycleStage"] == "LEAD"
    assert customer["version"] >= 1
    assert customer["owner"] == {"id": rep.gid, "name": rep.user.name}  # marketing creator owns it
    assert primary_names(customer) == ["Li Wei"]
    assert {c["name"] for c in customer["contacts"]} == {"Li Wei", "Zhang Min"}
    li = next(c for c in customer["contacts"] if c["name"] == "Li Wei")
    assert (li["title"], li["phone"], li["email"]) == ("CTO", "+86 21 5555 0101", "li.wei@acme.example")
    assert all(gid_type(c["id"]) == "Contact" for c in customer["contacts"])
    assert gid_type(customer["id"]) == "Customer"
    timeline = customer["timeline"]
    assert timeline["totalCount"] == 1
    node = timeline["edges"][0]["node"]
    assert node["action"] == "customer.created"
    assert node["entityType"] == "Customer" and node["entityId"] == customer["id"]
    assert node["actor"] == {"id": rep.gid, "name": rep.user.name}
    assert await events_of(services, customer["id"]) == ["CUSTOMER_CREATED"]
    # What the mutation returned is what a later read sees.
    assert await read_customer(gql, rep.token, customer["id"]) == customer


async def test_create_customer_keeps_the_flagged_primary(gql, users):
    rep = await users.create("SERVICE")
    customer = await create(
        gql,
        rep.token,
        lifecycleStage="PROSPECT",
        contacts=[{"name": "A"}, {"name": "B", "isPrimary": True}, {"name": "C", "isPrimary": False}],
    )
    assert primary_names(customer) == ["B"]
    assert customer["contacts"][0]["name"] == "B"  # the primary contact is listed first
    assert customer["lifecycleStage"] == "PROSPECT"
    assert customer["owner"] is None  # only marketing staff become owners by creating
    solo = await create(gql, rep.token, name="Solo")
    assert solo["contacts"] == [] and solo["id"] != customer["id"] and solo["code"] != customer["code"]


async def test_invalid_creates_change_nothing(gql, users, services):
    rep = await users.create()
    key = await users.api_key("reporting")
    before = await snapshot(gql, services, rep.token)
    cases = [
        (
            {"name": "Acme", "contacts": [{"name": "A", "isPrimary": True}, {"name": "B", "isPrimary": True}]},
            [("VALIDATION", ("contacts",))],
        ),
        ({"name": ""}, [("VALIDATION", ("name",))]),
        ({"name": "   "}, [("VALIDATION", ("name",))]),
        ({"name": "\t\n"}, [("VALIDATION", ("name",))]),
        ({"name": "x" * 201}, [("VALIDATION", ("name",))]),
        # Every problem is reported at once, each with its path.
        (
            {
                "name": " ",
                "contacts": [{"name": "A", "email": "not-an-email"}, {"name": "B", "phone": "12-34"}, {"name": "  "}],
            },
            [
                ("VALIDATION", ("contacts", "0", "email")),
                ("VALIDATION", ("contacts", "1", "phone")),
                ("VALIDATION", ("contacts", "2", "name")),
                ("VALIDATION", ("name",)),
            ],
        ),
    ]
    for input, expected in cases:
        errors = await refused(gql, "createCustomer", CREATE, {"i": input}, rep.token)
        assert sorted((e["code"], tuple(e["field"])) for e in errors) == expected, input
        assert all(e["message"] for e in errors)
    # Callers without the right to write get a GraphQL error, not a payload.
    anonymous = await gql(CREATE, {"i": {"name": "Acme"}})
    assert error_codes(anonymous) == ["UNAUTHENTICATED"] and anonymous["data"] is None
    by_key = await gql(CREATE, {"i": {"name": "Acme"}}, key)
    assert error_codes(by_key) == ["FORBIDDEN"] and by_key["data"] is None
    assert await snapshot(gql, services, rep.token) == before


# ----------------------------------------------------------------------------- update


async def test_update_changes_only_the_given_fields(gql, users, services):
    rep = await users.create()
    c = await create(gql, rep.token, name="Acme", industry="Mining", region="North", lifecycleStage="LEAD")
    payload = await gql.mutate(
        "updateCustomer",
        UPDATE,
        {"i": {"customerId": c["id"], "expectedVersion": c["version"], "region": "South"}},
        rep.token,
    )
    u = payload["customer"]
    assert (u["name"], u["industry"], u["region"], u["lifecycleStage"]) == ("Acme", "Mining", "South", "LEAD")
    assert u["version"] == c["version"] + 1
    assert u["code"] == c["code"] and u["createdAt"] == c["createdAt"]

    # An explicit null clears an optional field; what is left out stays.
    u2 = (
        await gql.mutate(
            "updateCustomer",
            UPDATE,
            {
                "i": {
                    "customerId": c["id"],
                    "expectedVersion": u["version"],
                    "industry": None,
                    "lifecycleStage": "ACTIVE",
                }
            },
            rep.token,
        )
    )["customer"]
    assert (u2["name"], u2["industry"], u2["region"], u2["lifecycleStage"]) == ("Acme", None, "South", "ACTIVE")
    assert u2["version"] == u["version"] + 1
    assert timeline_actions(u2) == ["customer.created", "customer.updated", "customer.updated"]
    assert "region" in u2["timeline"]["edges"][1]["node"]["summary"]
    assert await events_of(services, c["id"]) == ["CUSTOMER_CREATED", "CUSTOMER_UPDATED", "CUSTOMER_UPDATED"]

    # Sending the current values is not a change: no new version, no audit row, no event.
    before = await snapshot(gql, services, rep.token, c["id"])
    same = (
        await gql.mutate(
            "updateCustomer",
            UPDATE,
            {
                "i": {
                    "customerId": c["id"],
                    "expectedVersion": u2["version"],
                    "name": " Acme ",
                    "industry": None,
                    "region": "South",
                }
            },
            rep.token,
        )
    )["customer"]
    assert same["version"] == u2["version"]
    assert await snapshot(gql, services, rep.token, c["id"]) == before


async def test_refused_updates_change_nothing(gql, users, services):
    rep = await users.create()
    gone = await users.create("MARKETING")
    async with unit_of_work(services.db.sessions, None, services.clock) as uow:
        await accounts.set_user_active(uow, gone.user.id, False, None)
    c = await create(gql, rep.token, name="Acme", industry="Mining", contacts=[{"name": "A"}])
    before = await snapshot(gql, services, rep.token, c["id"])
    cases = [
        ({"name": None}, "VALIDATION", ["name"]),
        ({"name": "   "}, "VALIDATION", ["name"]),
        ({"name": None, "region": "East"}, "VALIDATION", ["name"]),  # the valid part is not applied either
        ({"lifecycleStage": None}, "VALIDATION", ["lifecycleStage"]),
        ({"industry": "x" * 101}, "VALIDATION", ["industry"]),
        ({"ownerId": gone.gid}, "VALIDATION", ["ownerId"]),  # deactivated user
        ({"ownerId": to_global_id("User", uuid.uuid4())}, "VALIDATION", ["ownerId"]),  # no such user
        ({"ownerId": c["id"]}, "VALIDATION", ["ownerId"]),  # not a User id
        ({"ownerId": "garbage"}, "VALIDATION", ["ownerId"]),
        ({"customerId": to_global_id("Customer", uuid.uuid4()), "name": "X"}, "NOT_FOUND", ["customerId"]),
        ({"customerId": c["contacts"][0]["id"], "name": "X"}, "VALIDATION", ["customerId"]),
    ]
    for change, code, field in cases:
        errors = await refused(gql, "updateCustomer", UPDATE, {"i": {"customerId": c["id"], **change}}, rep.token)
        assert [(e["code"], e["field"]) for e in errors] == [(code, field)], change
    assert await snapshot(gql, services, rep.token, c["id"]) == before


async def test_owner_can_be_set_to_an_active_user_and_cleared(gql, users, services):
    rep = await users.create("SERVICE")
    other = await users.create("MARKETING", "LEAD")
    c = await create(gql, rep.token, name="Acme")
    assert c["owner"] is None
    u = (await gql.mutate("updateCustomer", UPDATE, {"i": {"customerId": c["id"], "ownerId": other.gid}}, rep.token))[
        "customer"
    ]
    assert u["owner"] == {"id": other.gid, "name": other.user.name}
    cleared = (await gql.mutate("updateCustomer", UPDATE, {"i": {"customerId": c["id"], "ownerId": None}}, rep.token))[
        "customer"
    ]
    assert cleared["owner"] is None
    assert cleared["version"] == u["version"] + 1
    assert await events_of(services, c["id"]) == ["CUSTOMER_CREATED", "CUSTOMER_UPDATED", "CUSTOMER_UPDATED"]


async def test_stale_expected_version_is_a_conflict(gql, users, services):
    rep = await users.create()
    c = await create(gql, rep.token, name="Acme")
    await gql.mutate("updateCustomer", UPDATE, {"i": {"customerId": c["id"], "region": "West"}}, rep.token)
    before = await snapshot(gql, services, rep.token, c["id"])
    errors = await refused(
        gql,
        "updateCustomer",
        UPDATE,
        {"i": {"customerId": c["id"], "expectedVersion": c["version"], "name": "Overwritten"}},
        rep.token,
    )
    assert [(e["code"], e["field"]) for e in errors] == [("VERSION_CONFLICT", ["expectedVersion"])]
    after = await snapshot(gql, services, rep.token, c["id"])
    assert after == before
    assert after["customer"]["name"] == "Acme"
    # With the current version it goes through.
    ok = await gql.mutate(
        "updateCustomer",
        UPDATE,
        {"i": {"customerId": c["id"], "expectedVersion": before["customer"]["version"], "name": "Renamed"}},
        rep.token,
    )
    assert ok["customer"]["version"] == before["customer"]["version"] + 1


async def test_concurrent_updates_with_the_same_version_one_wins(gql, users, services):
    rep = await users.create()
    c = await create(gql, rep.token, name="Acme")
    bodies = await asyncio.gather(
        *(
            gql(UPDATE, {"i": {"customerId": c["id"], "expectedVersion": c["version"], "name": name}}, rep.token)
            for name in ("Acme One", "Acme Two")
        )
    )
    payloads = [b["data"]["updateCustomer"] for b in bodies]
    assert all(not b.get("errors") for b in bodies)
    winners = [p for p in payloads if not p["errors"]]
    losers = [p for p in payloads if p["errors"]]
    assert len(winners) == 1 and len(losers) == 1, payloads
    assert [e["code"] for e in losers[0]["errors"]] == ["VERSION_CONFLICT"]
    assert losers[0]["customer"] is None
    final = await read_customer(gql, rep.token, c["id"])
    assert final["name"] == winners[0]["customer"]["name"]
    assert final["version"] == c["version"] + 1
    assert final["timeline"]["totalCount"] == 2
    assert await events_of(services, c["id"]) == ["CUSTOMER_CREATED", "CUSTOMER_UPDATED"]


# ----------------------------------------------------------------------------- idempotency


async def test_retry_with_the_same_key_returns_the_first_customer(gql, users, services):
    rep = await users.create()
    input = {"name": "Acme", "contacts": [{"name": "A"}], "idempotencyKey": "create-acme-1"}
    first = await create(gql, rep.token, **input)
    counts = await row_counts(services, CUSTOMER_AND_CONTACT_WRITES)
    second = await create(gql, rep.token, **input)
    assert second["id"] == first["id"]
    assert second == first
    assert await row_counts(services, CUSTOMER_AND_CONTACT_WRITES) == counts
    assert counts["customers"] == 1 and counts["contacts"] == 1
    assert await events_of(services, first["id"]) == ["CUSTOMER_CREATED"]


async def test_idempotency_keys_belong_to_one_caller_and_one_request(gql, users, services):
    a = await users.create()
    b = await users.create()
    # A refused create does not use the key up.
    await refused(gql, "createCustomer", CREATE, {"i": {"name": " ", "idempotencyKey": "k"}}, a.token)
    assert (await row_counts(services, CUSTOMER_AND_CONTACT_WRITES))["idempotency"] == 0
    first = await create(gql, a.token, name="Acme", idempotencyKey="k")
    # The same key with another request is refused and changes nothing.
    before = await snapshot(gql, services, a.token, first["id"])
    errors = await refused(gql, "createCustomer", CREATE, {"i": {"name": "Other", "idempotencyKey": "k"}}, a.token)
    assert [(e["code"], e["field"]) for e in errors] == [("DUPLICATE", ["idempotencyKey"])]
    assert await snapshot(gql, services, a.token, first["id"]) == before
    # Another caller's key is another key.
    second = await create(gql, b.token, name="Acme", idempotencyKey="k")
    assert second["id"] != first["id"]
    assert second["owner"]["id"] == b.gid
    counts = await row_counts(services, CUSTOMER_AND_CONTACT_WRITES)
    assert counts["customers"] == 2 and counts["idempotency"] == 2


async def test_concurrent_creates_with_the_same_key_create_one_customer(gql, users, services):
    rep = await users.create()
    variables = {"i": {"name": "Racing Ltd", "contacts": [{"name": "A"}], "idempotencyKey": "race"}}
    bodies = await asyncio.gather(*(gql(CREATE, variables, rep.token) for _ in range(2)))
    payloads = [b["data"]["createCustomer"] for b in bodies]
    assert [p["errors"] for p in payloads] == [[], []], payloads
    assert payloads[0]["customer"]["id"] == payloads[1]["customer"]["id"]
    counts = await row_counts(services, CUSTOMER_AND_CONTACT_WRITES)
    assert (counts["customers"], counts["contacts"], counts["idempotency"]) == (1, 1, 1)
    assert await events_of(services, payloads[0]["customer"]["id"]) == ["CUSTOMER_CREATED"]


# ----------------------------------------------------------------------------- contacts


async def test_add_contact(gql, users, services):
    rep = await users.create()
    c = await create(gql, rep.token, name="Acme")
    # The first contact of a customer becomes primary even when not flagged.
    c1 = (
        await gql.mutate("addContact", ADD_CONTACT, {"i": {"customerId": c["id"], "contact": {"name": "A"}}}, rep.token)
    )["customer"]
    assert primary_names(c1) == ["A"]
    assert c1["version"] == c["version"] + 1
    c2 = (
        await gql.mutate("addContact", ADD_CONTACT, {"i": {"customerId": c["id"], "contact": {"name": "B"}}}, rep.token)
    )["customer"]
    assert primary_names(c2) == ["A"] and len(c2["contacts"]) == 2
    # A flagged new contact takes the primary flag over.
    c3 = (
        await gql.mutate(
            "addContact",
            ADD_CONTACT,
            {"i": {"customerId": c["id"], "contact": {"name": "C", "email": "c@example.com", "isPrimary": True}}},
            rep.token,
        )
    )["customer"]
    assert primary_names(c3) == ["C"] and len(c3["contacts"]) == 3
    assert c3["version"] == c["version"] + 3  # every contact change is a new version of the customer
    assert all(gid_type(x["id"]) == "Contact" for x in c3["contacts"])
    assert timeline_actions(c3) == ["customer.created"] + ["contact.added"] * 3
    assert await events_of(services, c["id"]) == ["CUSTOMER_CREATED"] + ["CUSTOMER_UPDATED"] * 3


async def test_update_contact_and_move_the_primary(gql, users, services):
    rep = await users.create()
    c = await create(gql, rep.token, name="Acme", contacts=[{"name": "A"}, {"name": "B", "title": "Buyer"}])
    b = next(x for x in c["contacts"] if x["name"] == "B")
    u = (
        await gql.mutate(
            "updateContact",
            UPDATE_CONTACT,
            {"i": {"contactId": b["id"], "phone": "555-0101", "isPrimary": True}},
            rep.token,
        )
    )["customer"]
    assert primary_names(u) == ["B"]
    b2 = next(x for x in u["contacts"] if x["id"] == b["id"])
    assert (b2["name"], b2["title"], b2["phone"]) == ("B", "Buyer", "555-0101")  # partial: title kept
    assert u["version"] == c["version"] + 1
    assert u["timeline"]["edges"][-1]["node"]["action"] == "contact.updated"
    # Contact details never go into the audit trail.
    assert "555-0101" not in u["timeline"]["edges"][-1]["node"]["summary"]
    async with services.db.sessions() as session:
        changes = [
            a.changes
            for a in (await session.scalars(select(Activity).where(Activity.action == "contact.updated"))).all()
        ]
    assert changes and "555-0101" not in str(changes)
    assert await events_of(services, c["id"]) == ["CUSTOMER_CREATED", "CUSTOMER_UPDATED"]


async def test_update_contact_clears_a_field_given_as_null(gql, users):
    rep = await users.create()
    c = await create(gql, rep.token, name="Acme", contacts=[{"name": "A", "title": "Buyer", "phone": "555-0100"}])
    a = c["contacts"][0]
    u = (await gql.mutate("updateContact", UPDATE_CONTACT, {"i": {"contactId": a["id"], "title": None}}, rep.token))[
        "customer"
    ]
    (a2,) = u["contacts"]
    assert (a2["name"], a2["title"], a2["phone"]) == ("A", None, "555-0100")  # only the null field cleared
    refused = (await gql(UPDATE_CONTACT, {"i": {"contactId": a["id"], "name": None}}, rep.token))["data"]
    assert [e["code"] for e in refused["updateContact"]["errors"]] == ["VALIDATION"]


async def test_removing_the_primary_promotes_another(gql, users, services):
    rep = await users.create()
    c = await create(gql, rep.token, name="Acme", contacts=[{"name": "A"}, {"name": "B"}, {"name": "C"}])
    a = next(x for x in c["contacts"] if x["name"] == "A")
    assert a["isPrimary"]
    u = (await gql.mutate("removeContact", REMOVE_CONTACT, {"i": {"contactId": a["id"]}}, rep.token))["customer"]
    assert sorted(x["name"] for x in u["contacts"]) == ["B", "C"]
    assert len(primary_names(u)) == 1
    assert u["version"] == c["version"] + 1
    # Removing a non-primary contact leaves the primary alone.
    other = next(x for x in u["contacts"] if not x["isPrimary"])
    u2 = (await gql.mutate("removeContact", REMOVE_CONTACT, {"i": {"contactId": other["id"]}}, rep.token))["customer"]
    assert primary_names(u2) == primary_names(u)
    # The last one can go too.
    u3 = (await gql.mutate("removeContact", REMOVE_CONTACT, {"i": {"contactId": u2["contacts"][0]["id"]}}, rep.token))[
        "customer"
    ]
    assert u3["contacts"] == []
    assert timeline_actions(u3) == ["customer.created"] + ["contact.removed"] * 3
    assert await events_of(services, c["id"]) == ["CUSTOMER_CREATED"] + ["CUSTOMER_UPDATED"] * 3
    assert (await row_counts(services, CUSTOMER_AND_CONTACT_WRITES))["contacts"] == 0


async def test_refused_contact_changes_change_nothing(gql, users, services):
    rep = await users.create()
    c = await create(gql, rep.token, name="Acme", contacts=[{"name": "A"}, {"name": "B"}])
    a = next(x for x in c["contacts"] if x["name"] == "A")
    assert a["isPrimary"]
    missing_customer, missing_contact = to_global_id("Customer", uuid.uuid4()), to_global_id("Contact", uuid.uuid4())
    before = await snapshot(gql, services, rep.token, c["id"])
    cases = [
        (
            "addContact",
            ADD_CONTACT,
            {"customerId": c["id"], "contact": {"name": "N", "email": "nope"}},
            "VALIDATION",
            ["contact", "email"],
        ),
        (
            "addContact",
            ADD_CONTACT,
            {"customerId": c["id"], "contact": {"name": "N", "phone": "123"}},
            "VALIDATION",
            ["contact", "phone"],
        ),
        (
            "addContact",
            ADD_CONTACT,
            {"customerId": c["id"], "contact": {"name": ""}},
            "VALIDATION",
            ["contact", "name"],
        ),
        ("addContact", ADD_CONTACT, {"customerId": a["id"], "contact": {"name": "N"}}, "VALIDATION", ["customerId"]),
        (
            "addContact",
            ADD_CONTACT,
            {"customerId": missing_customer, "contact": {"name": "N"}},
            "NOT_FOUND",
            ["customerId"],
        ),
        ("updateContact", UPDATE_CONTACT, {"contactId": a["id"], "isPrimary": False}, "VALIDATION", ["isPrimary"]),
        ("updateContact", UPDATE_CONTACT, {"contactId": a["id"], "email": "no-at-sign"}, "VALIDATION", ["email"]),
        ("updateContact", UPDATE_CONTACT, {"contactId": a["id"], "name": " "}, "VALIDATION", ["name"]),
        # A Customer id where a Contact id belongs is a validation error, not a crash.
        ("updateContact", UPDATE_CONTACT, {"contactId": c["id"], "name": "X"}, "VALIDATION", ["contactId"]),
        ("updateContact", UPDATE_CONTACT, {"contactId": "%%%", "name": "X"}, "VALIDATION", ["contactId"]),
        ("updateContact", UPDATE_CONTACT, {"contactId": missing_contact, "name": "X"}, "NOT_FOUND", ["contactId"]),
        ("removeContact", REMOVE_CONTACT, {"contactId": c["id"]}, "VALIDATION", ["contactId"]),
        ("removeContact", REMOVE_CONTACT, {"contactId": rep.gid}, "VALIDATION", ["contactId"]),
        ("removeContact", REMOVE_CONTACT, {"contactId": missing_contact}, "NOT_FOUND", ["contactId"]),
    ]
    for name, query, variables, code, field in cases:
        errors = await refused(gql, name, query, {"i": variables}, rep.token)
        assert [(e["code"], e["field"]) for e in errors] == [(code, field)], (name, variables)
    assert await snapshot(gql, services, rep.token, c["id"]) == before


async def test_api_keys_never_see_contact_details(gql, users):
    rep = await users.create()
    key = await users.api_key("reporting")
    await create(gql, rep.token, name="Acme", contacts=[{"name": "A", "email": "a@example.com"}])
    body = await gql("{ customers { edges { node { name contacts { name email } } } } }", token=key)
    assert "FORBIDDEN" in error_codes(body)
    assert "a@example.com" not in str(body)
    names = await gql.ok("{ customers { edges { node { name contacts { name } } } } }", token=key)
    assert names["customers"]["edges"][0]["node"] == {"name": "Acme", "contacts": [{"name": "A"}]}


# ----------------------------------------------------------------------------- search


async def test_search_matches_names_and_codes(gql, users):
    rep = await users.create()
    made = {}
    for name in (
        "Acme Robotics",
        "ACME Foods",
        "Beta 100% Pure",
        "Beta 1000 Pure",
        "Under_Score",
        "UnderXScore",
        "Gamma",
    ):
        made[name] = await create(gql, rep.token, name=name)

    async def names(term):
        data = (await gql.ok(SEARCH, {"s": term}, rep.token))["customers"]
        assert data["totalCount"] == len(data["edges"])
        return sorted(e["node"]["name"] for e in data["edges"])

    assert await names("acme") == ["ACME Foods", "Acme Robotics"]
    assert await names("  rOBOt ") == ["Acme Robotics"]
    assert await names("100%") == ["Beta 100% Pure"]  # % is literal, not a wildcard
    assert await names("%") == ["Beta 100% Pure"]
    assert await names("r_s") == ["Under_Score"]  # _ is literal, not "any character"
    assert await names("_") == ["Under_Score"]
    assert await names("\\") == []
    assert await names("nothing like it") == []
    assert len(await names(None)) == len(await names("")) == len(await names("   ")) == 7
    gamma = made["Gamma"]["code"]
    assert await names(gamma) == ["Gamma"]
    assert await names(gamma.lower()) == ["Gamma"]


# ----------------------------------------------------------------------------- node


async def test_node_resolves_every_kind_of_id(gql, users):
    rep = await users.create()
    c = await create(gql, rep.token, name="Acme", contacts=[{"name": "A"}])
    contact_id = c["contacts"][0]["id"]
    q = """query($id: ID!) { node(id: $id) { __typename id
             ... on Customer { name } ... on Contact { name isPrimary } ... on User { name } } }"""
    assert (await gql.ok(q, {"id": c["id"]}, rep.token))["node"] == {
        "__typename": "Customer",
        "id": c["id"],
        "name": "Acme",
    }
    assert (await gql.ok(q, {"id": contact_id}, rep.token))["node"] == {
        "__typename": "Contact",
        "id": contact_id,
        "name": "A",
        "isPrimary": True,
    }
    assert (await gql.ok(q, {"id": rep.gid}, rep.token))["node"] == {
        "__typename": "User",
        "id": rep.gid,
        "name": rep.user.name,
    }
    # Well-formed ids of missing objects (or of unknown types) are null, not errors.
    for missing in (
        to_global_id("Customer", uuid.uuid4()),
        to_global_id("Contact", uuid.uuid4()),
        to_global_id("User", uuid.uuid4()),
        to_global_id("Customer", "not-a-uuid"),
        to_global_id("Spaceship", uuid.uuid4()),
    ):
        body = await gql(q, {"id": missing}, rep.token)
        assert body == {"data": {"node": None}}, missing
    # Garbage is the client's mistake: an error that says so, not an internal error.
    for garbage in ("garbage", "", "%%%"):
        body = await gql(q, {"id": garbage}, rep.token)
        assert body["data"] == {"node": None}
        assert error_codes(body) == ["BAD_USER_INPUT"], body


# ----------------------------------------------------------------------------- timeline and events


async def test_timeline_and_event_log_follow_every_change_in_order(gql, users, services, clock):
    rep = await users.create("MARKETING")
    tech = await users.create("SERVICE")
    c = await create(gql, rep.token, name="Acme", contacts=[{"name": "A"}])
    clock.advance(minutes=5)
    await gql.mutate("updateCustomer", UPDATE, {"i": {"customerId": c["id"], "region": "East"}}, tech.token)
    clock.advance(minutes=5)
    added = (
        await gql.mutate(
            "addContact", ADD_CONTACT, {"i": {"customerId": c["id"], "contact": {"name": "B"}}}, tech.token
        )
    )["customer"]
    b = next(x for x in added["contacts"] if x["name"] == "B")
    clock.advance(minutes=5)
    await gql.mutate("updateContact", UPDATE_CONTACT, {"i": {"contactId": b["id"], "title": "Boss"}}, rep.token)
    clock.advance(minutes=5)
    await gql.mutate("removeContact", REMOVE_CONTACT, {"i": {"contactId": b["id"]}}, rep.token)
    # A refused change leaves no trace in either.
    await refused(gql, "updateCustomer", UPDATE, {"i": {"customerId": c["id"], "name": None}}, rep.token)

    data = await gql.ok(
        """query($id: ID!) { node(id: $id) { ... on Customer { version timeline(first: 100) {
        totalCount edges { cursor node { id at action entityType entityId summary actor { id } } } } } } }""",
        {"id": c["id"]},
        rep.token,
    )
    timeline = data["node"]["timeline"]
    nodes = [e["node"] for e in timeline["edges"]]
    assert timeline["totalCount"] == 5
    assert [(n["action"], n["actor"]["id"]) for n in nodes] == [
        ("customer.created", rep.gid),
        ("customer.updated", tech.gid),
        ("contact.added", tech.gid),
        ("contact.updated", rep.gid),
        ("contact.removed", rep.gid),
    ]
    assert all(n["entityType"] == "Customer" and n["entityId"] == c["id"] for n in nodes)
    stamps = [n["at"] for n in nodes]
    assert stamps == sorted(stamps) and len(set(stamps)) == 5  # the clock of each action
    assert len({n["id"] for n in nodes}) == 5
    assert await events_of(services, c["id"]) == ["CUSTOMER_CREATED"] + ["CUSTOMER_UPDATED"] * 4
    # One event per accepted change, with the same actor as its audit row.
    async with services.db.sessions() as session:
        events = (await session.scalars(select(Event).order_by(Event.id))).all()
    assert [to_global_id("User", e.actor_id) for e in events] == [n["actor"]["id"] for n in nodes]
    assert data["node"]["version"] == c["version"] + 4


async def test_timestamps_are_the_instant_of_the_action(gql, users, clock):
    """One action, one instant (the service clock): the record's timestamps agree with its timeline,
    and updatedAt moves forward with every accepted change, contact changes included."""
    rep = await users.create()
    c = await create(gql, rep.token, name="Acme")
    read = await gql.ok(READ_AT, {"id": c["id"]}, rep.token)
    created = read["node"]
    assert created["createdAt"] == created["updatedAt"] == created["timeline"]["edges"][-1]["node"]["at"]
    seen = [created["updatedAt"]]
    for step, (query, name, variables) in enumerate(
        (
            (UPDATE, "updateCustomer", {"customerId": c["id"], "region": "East"}),
            (ADD_CONTACT, "addContact", {"customerId": c["id"], "contact": {"name": "A"}}),
            (ADD_CONTACT, "addContact", {"customerId": c["id"], "contact": {"name": "B"}}),
        )
    ):
        clock.advance(minutes=1)
        await gql.mutate(name, query, {"i": variables}, rep.token)
        node = (await gql.ok(READ_AT, {"id": c["id"]}, rep.token))["node"]
        assert node["updatedAt"] == node["timeline"]["edges"][-1]["node"]["at"], step
        assert node["createdAt"] == created["createdAt"]
        assert node["version"] == created["version"] + step + 1
        seen.append(node["updatedAt"])
    assert seen == sorted(seen) and len(set(seen)) == len(seen)


READ_AT = """query($id: ID!) { node(id: $id) { ... on Customer {
  createdAt updatedAt version timeline(first: 100) { edges { node { at } } } } } }"""
