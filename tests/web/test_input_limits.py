"""Every input value is checked once, before anything executes (schema/limits.py): strings PostgreSQL
cannot store, strings and lists longer than their cap. Literal arguments and variables alike, through
the real ASGI app on a real database; a refusal runs no SQL beyond the credential lookup, writes
nothing and logs nothing as an error."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from schema.limits import STRING_CAPS, Limits
from settings import Settings
from tests.support.accounts import TEST_SECRET
from tests.support.database import CUSTOMER_WRITES, row_counts, statements
from tests.support.graphql import GraphQLClient, error_codes
from web.app import create_app

LOGIN = "mutation($i: AuthInput!) { login(input: $i) { token errors { code message } } }"
CREATE = (
    "mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { customer { id } errors { code field message } } }"
)
SEARCH = "query($q: String) { customers(first: 5, search: $q) { totalCount } }"
OPEN = """mutation($i: OpenTicketInput!) { openTicket(input: $i) { ticket { id } errors { code field message } } }"""
COMMENT = """mutation($i: CommentInput!) { addTicketComment(input: $i) { ticket { id } errors { code message } } }"""
ESCALATE = (
    """mutation($i: EscalateTicketInput!) { escalateTicket(input: $i) { ticket { id } errors { code message } } }"""
)


async def post_raw_json(gql: GraphQLClient, body: dict, token: str | None = None) -> httpx.Response:
    """The body encoded with ASCII escapes, so lone surrogates travel as `\\ud800` (as browsers send them)."""
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    return await gql.http.post("/graphql", content=json.dumps(body, ensure_ascii=True), headers=headers)


def refusal(body: dict) -> dict:
    """The single BAD_USER_INPUT error of a request that did not execute."""
    assert body.get("data") is None, body
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    return error


@pytest.fixture
async def customer_id(gql, users):
    rep = await users.create()
    data = await gql.mutate("createCustomer", CREATE, {"i": {"name": "Acme"}}, rep.token)
    return data["customer"]["id"]


async def new_ticket(gql, token: str, customer_id: str, subject: str, description: str) -> str:
    """The global id of a HIGH complaint opened over the API."""
    ticket = {"customerId": customer_id, "kind": "COMPLAINT", "priority": "HIGH", "subject": subject}
    payload = await gql.mutate("openTicket", OPEN, {"i": {**ticket, "description": description}}, token)
    return payload["ticket"]["id"]


# ----------------------------------------------------------------------------- unstorable strings


async def test_nul_in_any_variable_is_refused_before_anything_runs(gql, users, services, customer_id, no_error_logs):
    rep = await users.create()
    service = await users.create("SERVICE")
    ticket = await new_ticket(gql, service.token, customer_id, "Noise", "Loud")
    before = await row_counts(services, CUSTOMER_WRITES)
    cases = [
        (LOGIN, {"i": {"email": "dana\x00@acme.example", "password": "x"}}, None, "$i.email"),
        (LOGIN, {"i": {"email": "dana@acme.example", "password": "pass\x00word"}}, None, "$i.password"),
        (SEARCH, {"q": "north\x00"}, rep.token, "$q"),
        (CREATE, {"i": {"name": "Acme\x00"}}, rep.token, "$i.name"),
        (
            CREATE,
            {"i": {"name": "Acme", "contacts": [{"name": "A"}, {"name": "B\x00"}]}},
            rep.token,
            "$i.contacts[1].name",
        ),
        (CREATE, {"i": {"name": "Acme", "idempotencyKey": "k\x00"}}, rep.token, "$i.idempotencyKey"),
        (COMMENT, {"i": {"ticketId": ticket, "body": "hello\x00", "visibility": "CUSTOMER"}}, service.token, "$i.body"),
    ]
    for query, variables, token, where in cases:
        with statements(services.db.engine, services.db.reads_engine) as seen:
            error = refusal(await gql(query, variables, token))
        assert error["message"] == f"`{where}` contains a NUL character (U+0000), which cannot be stored"
        assert error["extensions"]["variable"] == where
        assert error["locations"]
        # Nothing ran but the credential lookup (anonymous: nothing at all).
        assert all("customers" not in s and "tickets" not in s and "login_throttle" not in s for s in seen), seen
        if token is None:
            assert seen == []
    assert await row_counts(services, CUSTOMER_WRITES) == before


async def test_nul_in_literal_arguments_is_refused_naming_the_argument(gql, users, services, no_error_logs):
    rep = await users.create()
    before = await row_counts(services, CUSTOMER_WRITES)
    body = await gql('mutation { login(input: {email: "dana\\u0000@acme.example", password: "x"}) { token } }')
    error = refusal(body)
    assert error["message"] == "`input.email` contains a NUL character (U+0000), which cannot be stored"
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "argument": "input.email", "field": "login"}
    # A raw NUL inside a block string is accepted by the GraphQL parser: refused just the same.
    body = await gql('{ customers(search: """a\x00b""") { totalCount } }', token=rep.token)
    assert refusal(body)["extensions"] == {"code": "BAD_USER_INPUT", "argument": "search", "field": "customers"}
    body = await gql(
        'mutation { createCustomer(input: {name: "A", contacts: [{name: "ok"}, {name: "x\\u0000"}]}) '
        "{ errors { code } } }",
        token=rep.token,
    )
    assert refusal(body)["extensions"]["argument"] == "input.contacts[1].name"
    # In a fragment, and in a variable's default value.
    body = await gql(
        'query { ...F } fragment F on Query { customers(search: "\\u0000") { totalCount } }', token=rep.token
    )
    assert refusal(body)["extensions"]["argument"] == "search"
    body = await gql('query($q: String = "\\u0000") { customers(search: $q) { totalCount } }', token=rep.token)
    assert refusal(body)["extensions"]["variable"] == "$q"
    assert await row_counts(services, CUSTOMER_WRITES) == before


async def test_lone_surrogates_are_refused_wherever_they_are(gql, users, services, no_error_logs):
    rep = await users.create()
    before = await row_counts(services, CUSTOMER_WRITES)
    cases = [
        ({"query": LOGIN, "variables": {"i": {"email": "\ud800@x.example", "password": "x"}}}, None, "$i.email"),
        ({"query": CREATE, "variables": {"i": {"name": "Acme \udfff"}}}, rep.token, "$i.name"),
        ({"query": SEARCH, "variables": {"q": "\ud83d"}}, rep.token, "$q"),  # half of an emoji
        # Where coercion would have failed anyway, its message would have echoed the surrogate (and the
        # response could not have been encoded): an enum value, an unknown input field.
        ({"query": OPEN, "variables": {"i": {"kind": "\ud800"}}}, rep.token, "$i.kind"),
    ]
    for body, token, where in cases:
        response = await post_raw_json(gql, body, token)
        assert response.status_code == 200, response.text
        error = refusal(response.json())
        assert error["extensions"]["variable"] == where
        assert "lone surrogate (U+D" in error["message"] and "not valid Unicode" in error["message"]
    response = await post_raw_json(gql, {"query": CREATE, "variables": {"i": {"name": "A", "\ud800": 1}}}, rep.token)
    assert refusal(response.json())["message"] == "`$i` has a field name that is not a valid name"
    # A whole emoji (a valid surrogate pair in JSON) is fine, and is stored.
    response = await post_raw_json(gql, {"query": CREATE, "variables": {"i": {"name": "Café 😀"}}}, rep.token)
    assert response.json()["data"]["createCustomer"]["errors"] == []
    after = await row_counts(services, CUSTOMER_WRITES)
    assert after["customers"] == before["customers"] + 1


# ----------------------------------------------------------------------------- lengths


async def test_search_terms_are_capped(gql, users, services, no_error_logs):
    rep = await users.create()
    ok = await gql(SEARCH, {"q": "n" * 200}, rep.token)
    assert not ok.get("errors") and ok["data"]["customers"]["totalCount"] == 0
    error = refusal(await gql(SEARCH, {"q": "n" * 201}, rep.token))
    assert error["message"] == "`$q` is longer than 200 characters"
    error = refusal(await gql('{ customers(search: "' + "n" * 201 + '") { totalCount } }', token=rep.token))
    assert error["message"] == "`search` is longer than 200 characters"
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "argument": "search", "field": "customers"}
    # The nested search of a ticket filter, in a literal and in a variable.
    error = refusal(await gql('{ tickets(filter: {search: "' + "n" * 201 + '"}) { totalCount } }', token=rep.token))
    assert error["message"] == "`filter.search` is longer than 200 characters"
    error = refusal(
        await gql(
            "query($f: TicketFilter) { tickets(filter: $f) { totalCount } }", {"f": {"search": "n" * 201}}, rep.token
        )
    )
    assert error["message"] == "`$f.search` is longer than 200 characters"
    # The 100,000-character search that took 14 s on a seeded database: refused at once, no SQL run.
    with statements(services.db.engine, services.db.reads_engine) as seen:
        started = time.monotonic()
        error = refusal(await gql(SEARCH, {"q": "n" * 100_000}, rep.token))
        elapsed = time.monotonic() - started
    assert error["message"] == "`$q` is longer than 200 characters"
    assert elapsed < 1.0
    assert not any("customers" in s for s in seen), seen


async def test_names_and_texts_are_capped_above_what_the_services_accept(
    gql, users, services, customer_id, no_error_logs
):
    rep = await users.create()
    service = await users.create("SERVICE")
    before = await row_counts(services, CUSTOMER_WRITES)
    # A name the service refuses (over 200) is still the service's VALIDATION user error...
    payload = (await gql(CREATE, {"i": {"name": "x" * 201}}, rep.token))["data"]["createCustomer"]
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("VALIDATION", ["name"])]
    # ...and what is longer than any name or e-mail address is refused before it reaches the service.
    error = refusal(await gql(CREATE, {"i": {"name": "x" * 321}}, rep.token))
    assert error["message"] == "`$i.name` is longer than 320 characters"
    error = refusal(await gql(CREATE, {"i": {"name": "A", "contacts": [{"name": "B", "email": "e" * 321}]}}, rep.token))
    assert error["message"] == "`$i.contacts[0].email` is longer than 320 characters"
    error = refusal(await gql(CREATE, {"i": {"name": "A", "idempotencyKey": "k" * 321}}, rep.token))
    assert error["extensions"]["variable"] == "$i.idempotencyKey"
    error = refusal(await gql(LOGIN, {"i": {"email": "e" * 321, "password": "x"}}))
    assert error["message"] == "`$i.email` is longer than 320 characters"
    # Prose: the 20,000 characters a ticket description may have pass, one more does not.
    open_ticket = {"customerId": customer_id, "kind": "COMPLAINT", "priority": "HIGH", "subject": "Noise"}
    created = await gql(OPEN, {"i": {**open_ticket, "description": "d" * 20_000}}, service.token)
    assert created["data"]["openTicket"]["errors"] == []
    error = refusal(await gql(OPEN, {"i": {**open_ticket, "description": "d" * 20_001}}, service.token))
    assert error["message"] == "`$i.description` is longer than 20,000 characters"
    # Any other string (an id, a cursor) has the long cap too.
    error = refusal(await gql("query($id: ID!) { node(id: $id) { id } }", {"id": "i" * 20_001}, rep.token))
    assert error["message"] == "`$id` is longer than 20,000 characters"
    after = await row_counts(services, CUSTOMER_WRITES)
    assert after["customers"] == before["customers"] and after["idempotency"] == before["idempotency"]


async def test_lists_are_capped(gql, users, customer_id, no_error_logs):
    rep = await users.create()
    service = await users.create("SERVICE")
    ticket = await new_ticket(gql, service.token, customer_id, "S", "D")
    error = refusal(
        await gql(
            ESCALATE, {"i": {"ticketId": ticket, "reason": "r", "participantIds": [rep.gid] * 101}}, service.token
        )
    )
    assert error["message"] == "`$i.participantIds` has more than 100 items"
    contacts = [{"name": f"C{i}"} for i in range(101)]
    error = refusal(await gql(CREATE, {"i": {"name": "A", "contacts": contacts}}, rep.token))
    assert error["message"] == "`$i.contacts` has more than 100 items"
    literal = "[" + ", ".join(["NEW"] * 101) + "]"
    error = refusal(await gql("{ tickets(filter: {status: " + literal + "}) { totalCount } }", token=rep.token))
    assert error["message"] == "`filter.status` has more than 100 items"
    # 100 items pass (the service has its own rules about them).
    body = await gql(
        "{ tickets(filter: {status: " + "[" + ", ".join(["NEW"] * 100) + "]}) { totalCount } }", token=rep.token
    )
    assert not body.get("errors"), body


async def test_several_problems_are_reported_at_once_but_boundedly(gql, users, no_error_logs):
    rep = await users.create()
    contacts = [{"name": "\x00"} for _ in range(50)]
    body = await gql(CREATE, {"i": {"name": "\x00", "contacts": contacts}}, rep.token)
    assert body["data"] is None
    assert set(error_codes(body)) == {"BAD_USER_INPUT"}
    assert len(body["errors"]) == 10


async def test_the_caps_table_names_real_input_fields():
    """Every name in the table is an argument or input field of the schema (a typo would silently
    leave its field at the long default)."""
    from graphql import GraphQLInputObjectType

    from schema.schema import build_schema

    schema = build_schema()._schema
    names = set()
    for type_ in schema.type_map.values():
        if isinstance(type_, GraphQLInputObjectType):
            names |= set(type_.fields)
        for field in getattr(type_, "fields", {}).values():
            names |= set(getattr(field, "args", {}) or {})
    assert set(STRING_CAPS) <= names, set(STRING_CAPS) - names
    # And the defaults are settings.py's.
    assert Limits.from_settings() == Limits.from_settings(Settings.from_env({}))


async def test_the_caps_come_from_the_settings(services, db_url, users):
    settings = Settings.from_env(
        {
            "DATABASE_URL": db_url,
            "TANDEM_SECRET_KEY": TEST_SECRET,
            "TANDEM_MAX_SEARCH_LENGTH": "5",
            "TANDEM_MAX_NAME_LENGTH": "10",
            "TANDEM_MAX_STRING_LENGTH": "50",
            "TANDEM_MAX_LIST_LENGTH": "2",
        }
    )
    app = create_app(settings, services)
    rep = await users.create()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://tandem.test") as client:
        gql = GraphQLClient(client)
        assert refusal(await gql(SEARCH, {"q": "n" * 6}, rep.token))["message"] == "`$q` is longer than 5 characters"
        assert not (await gql(SEARCH, {"q": "n" * 5}, rep.token)).get("errors")
        error = refusal(await gql(CREATE, {"i": {"name": "n" * 11}}, rep.token))
        assert error["message"] == "`$i.name` is longer than 10 characters"
        error = refusal(await gql("query($id: ID!) { node(id: $id) { id } }", {"id": "i" * 51}, rep.token))
        assert error["message"] == "`$id` is longer than 50 characters"
        error = refusal(await gql(CREATE, {"i": {"name": "n", "contacts": [{"name": "a"}] * 3}}, rep.token))
        assert error["message"] == "`$i.contacts` has more than 2 items"


async def test_a_lone_surrogate_in_the_operation_name_gets_a_clear_answer(gql, users, no_error_logs):
    """Regression: the error naming an unknown operation echoed a lone surrogate, which orjson cannot
    encode; the response crashed with an unhandled UnicodeEncodeError."""
    rep = await users.create()
    response = await post_raw_json(
        gql, {"query": SEARCH, "operationName": "\ud800x", "variables": {"q": "a"}}, rep.token
    )
    assert response.status_code == 400, response.text
    [error] = response.json()["errors"]
    assert error["message"] == "operationName is not a valid GraphQL name"
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


async def test_an_idempotency_key_longer_than_its_column_is_a_validation_error(gql, users, services, no_error_logs):
    """Regression: 201-320 characters passed the input cap but not the 200-character column (a masked 500)."""
    rep = await users.create()
    before = await row_counts(services, CUSTOMER_WRITES)
    data = (await gql.ok(CREATE, {"i": {"name": "Acme", "idempotencyKey": "k" * 250}}, rep.token))["createCustomer"]
    assert [(e["code"], e["field"]) for e in data["errors"]] == [("VALIDATION", ["idempotencyKey"])]
    assert await row_counts(services, CUSTOMER_WRITES) == before
