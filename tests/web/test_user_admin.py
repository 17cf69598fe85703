"""User and API-key administration by admins, over HTTP."""

from __future__ import annotations

import hashlib
import uuid

from schema.ids import to_global_id
from tests.support.accounts import Account, fast_account
from tests.support.database import rows
from tests.support.graphql import error_codes

USER_FIELDS = "user { id email name department role active version } errors { code field message }"
CREATE_USER = f"mutation($i: CreateUserInput!) {{ createUser(input: $i) {{ {USER_FIELDS} }} }}"
UPDATE_USER = f"mutation($i: UpdateUserInput!) {{ updateUser(input: $i) {{ {USER_FIELDS} }} }}"
DEACTIVATE = f"mutation($i: UserActionInput!) {{ deactivateUser(input: $i) {{ {USER_FIELDS} }} }}"
REACTIVATE = f"mutation($i: UserActionInput!) {{ reactivateUser(input: $i) {{ {USER_FIELDS} }} }}"
LOGIN = "mutation($i: AuthInput!) { login(input: $i) { token user { id email } errors { code message } } }"
CREATE_KEY = """mutation($i: CreateApiKeyInput!) {
  createApiKey(input: $i) {
    apiKey { id name scope prefix createdAt lastUsedAt revokedAt } key errors { code field message } } }"""
REVOKE_KEY = """mutation($i: RevokeApiKeyInput!) {
  revokeApiKey(input: $i) { apiKey { id revokedAt } key errors { code field message } } }"""
API_KEYS = "{ apiKeys { id name scope prefix createdAt lastUsedAt revokedAt } }"
USERS_PAGE = """query($first: Int, $after: String, $department: Department, $active: Boolean) {
  users(first: $first, after: $after, department: $department, active: $active) {
    totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { name department active } } } }"""


def new_user(email: str = "new.person@example.com", **overrides) -> dict:
    return {
        "i": {
            "email": email,
            "name": "New Person",
            "department": "SERVICE",
            "role": "STAFF",
            "password": "long enough pw",
            **overrides,
        }
    }


async def user_row(services, user_id) -> tuple:
    (row,) = await rows(
        services,
        "SELECT email, name, department, role, active, version, token_generation FROM users WHERE id = :u",
        u=user_id,
    )
    return row


async def fast_user(services, name: str, department: str, active: bool = True, role: str = "STAFF") -> Account:
    return await fast_account(services, department, role, name=name, active=active)


# ----------------------------------------------------------------------------------------- users


async def test_admin_creates_a_user_who_can_then_sign_in(gql, services):
    admin = await fast_user(services, "Admin Alan", "MANAGEMENT", role="ADMIN")
    payload = await gql.mutate(
        "createUser",
        CREATE_USER,
        new_user(" Zhao.Lei@Example.com ", name="  Zhao Lei ", department="SERVICE", role="LEAD", password="8charsOK"),
        admin.token,
    )
    created = payload["user"]
    assert {k: v for k, v in created.items() if k != "id"} == {
        "email": "zhao.lei@example.com",
        "name": "Zhao Lei",
        "department": "SERVICE",
        "role": "LEAD",
        "active": True,
        "version": 1,
    }
    user_id = uuid.UUID(to_global_id_part(created["id"]))
    # The audit trail records who created whom.
    assert await rows(services, "SELECT action, actor_id FROM activity WHERE entity_id = :u", u=user_id) == [
        ("user.created", admin.user.id)
    ]
    # The stored password is a hash, not the password.
    (stored,) = await rows(services, "SELECT password_hash FROM users WHERE id = :u", u=user_id)
    assert "8charsOK" not in stored[0] and stored[0].startswith("$argon2")

    login = (await gql.ok(LOGIN, {"i": {"email": "ZHAO.LEI@example.com", "password": "8charsOK"}}))["login"]
    assert login["errors"] == [] and login["user"] == {"id": created["id"], "email": "zhao.lei@example.com"}
    me = await gql.ok("{ me { name department role } }", token=login["token"])
    assert me["me"] == {"name": "Zhao Lei", "department": "SERVICE", "role": "LEAD"}


def to_global_id_part(gid: str) -> str:
    from schema.ids import parse_global_id

    parsed = parse_global_id(gid)
    assert parsed is not None and parsed[0] == "User"
    return parsed[1]


async def test_a_duplicate_email_is_refused_whatever_its_case(gql, services):
    admin = await fast_user(services, "Admin Alan", "MANAGEMENT", role="ADMIN")
    existing = await fast_user(services, "Existing Eva", "MARKETING")
    before = await rows(services, "SELECT * FROM users ORDER BY id")
    for email in (existing.user.email, existing.user.email.upper(), f"  {existing.user.email.title()} "):
        payload = (await gql.ok(CREATE_USER, new_user(email), admin.token))["createUser"]
        assert payload["user"] is None
        assert payload["errors"] == [
            {"code": "DUPLICATE", "field": ["email"], "message": f"a user with email {email.strip()} already exists"}
        ]
    # Deactivated accounts keep their address: it is not free for a new account.
    retired = await fast_user(services, "Retired Rui", "SERVICE", active=False)
    payload = (await gql.ok(CREATE_USER, new_user(retired.user.email), admin.token))["createUser"]
    assert [e["code"] for e in payload["errors"]] == ["DUPLICATE"]
    assert await rows(services, "SELECT * FROM users WHERE id <> :r ORDER BY id", r=retired.user.id) == before


async def test_bad_input_is_a_validation_error_naming_the_field(gql, services):
    admin = await fast_user(services, "Admin Alan", "MANAGEMENT", role="ADMIN")
    before = await rows(services, "SELECT * FROM users ORDER BY id")
    bad_emails = [
        "not-an-email",
        "@example.com",
        "user@",
        "user@example",
        "user@.com",
        "user@example.",
        "two@@example.com",
        "sp ace@example.com",
        "a@b@example.com",
        "",
    ]
    for email in bad_emails:
        payload = (await gql.ok(CREATE_USER, new_user(email), admin.token))["createUser"]
        assert payload["user"] is None, email
        assert [(e["code"], e["field"]) for e in payload["errors"]] == [("VALIDATION", ["email"])], email

    payload = (await gql.ok(CREATE_USER, new_user(password="seven77"), admin.token))["createUser"]
    assert payload["errors"] == [
        {"code": "VALIDATION", "field": ["password"], "message": "password must be at least 8 characters"}
    ]
    payload = (await gql.ok(CREATE_USER, new_user(name="   "), admin.token))["createUser"]
    assert payload["errors"] == [{"code": "VALIDATION", "field": ["name"], "message": "name is required"}]
    # Every problem is reported at once, so a form can show them all.
    payload = (await gql.ok(CREATE_USER, new_user("nope", name="", password="short"), admin.token))["createUser"]
    assert sorted(tuple(e["field"]) for e in payload["errors"]) == [("email",), ("name",), ("password",)]
    assert {e["code"] for e in payload["errors"]} == {"VALIDATION"}
    assert await rows(services, "SELECT * FROM users ORDER BY id") == before
    assert await rows(services, "SELECT count(*) FROM activity") == [(0,)]


async def test_update_user_honours_expected_version(gql, services):
    admin = await fast_user(services, "Admin Alan", "MANAGEMENT", role="ADMIN")
    member = await fast_user(services, "Mia Wong", "MARKETING")
    (version,) = (await rows(services, "SELECT version FROM users WHERE id = :u", u=member.user.id))[0]

    payload = await gql.mutate(
        "updateUser",
        UPDATE_USER,
        {"i": {"userId": member.gid, "expectedVersion": version, "role": "LEAD", "name": "Mia Wong-Li"}},
        admin.token,
    )
    assert (payload["user"]["role"], payload["user"]["name"], payload["user"]["version"]) == (
        "LEAD",
        "Mia Wong-Li",
        version + 1,
    )
    after_first = await user_row(services, member.user.id)
    assert after_first[1:4] == ("Mia Wong-Li", "MARKETING", "LEAD")

    stale = (
        await gql.ok(
            UPDATE_USER,
            {"i": {"userId": member.gid, "expectedVersion": version, "role": "SUPERVISOR", "department": "SERVICE"}},
            admin.token,
        )
    )["updateUser"]
    assert stale["user"] is None
    assert [(e["code"], e["field"]) for e in stale["errors"]] == [("VERSION_CONFLICT", ["expectedVersion"])]
    assert await user_row(services, member.user.id) == after_first

    # The current version works; an update that changes nothing does not bump it.
    payload = await gql.mutate(
        "updateUser",
        UPDATE_USER,
        {"i": {"userId": member.gid, "expectedVersion": version + 1, "department": "SERVICE"}},
        admin.token,
    )
    assert (payload["user"]["department"], payload["user"]["version"]) == ("SERVICE", version + 2)
    payload = await gql.mutate("updateUser", UPDATE_USER, {"i": {"userId": member.gid, "role": "LEAD"}}, admin.token)
    assert payload["user"]["version"] == version + 2
    actions = await rows(
        services, "SELECT action, actor_id FROM activity WHERE entity_id = :u ORDER BY seq", u=member.user.id
    )
    assert actions == [("user.updated", admin.user.id), ("user.updated", admin.user.id)]


async def test_update_user_refusals(gql, services):
    admin = await fast_user(services, "Admin Alan", "MANAGEMENT", role="ADMIN")
    before = await rows(services, "SELECT * FROM users ORDER BY id")
    cases = [
        ({"userId": to_global_id("User", uuid.uuid4()), "role": "LEAD"}, ("NOT_FOUND", ["userId"])),
        ({"userId": to_global_id("Customer", uuid.uuid4()), "role": "LEAD"}, ("VALIDATION", ["userId"])),
        ({"userId": "definitely not an id", "role": "LEAD"}, ("VALIDATION", ["userId"])),
        ({"userId": admin.gid, "name": "   "}, ("VALIDATION", ["name"])),
        # An admin cannot take away their own admin role (and lock everyone out).
        ({"userId": admin.gid, "role": "STAFF"}, ("VALIDATION", ["role"])),
    ]
    for variables, expected in cases:
        payload = (await gql.ok(UPDATE_USER, {"i": variables}, admin.token))["updateUser"]
        assert payload["user"] is None, variables
        assert [(e["code"], e["field"]) for e in payload["errors"]] == [expected], variables
    assert await rows(services, "SELECT * FROM users ORDER BY id") == before


async def test_deactivate_and_reactivate(gql, services):
    admin = await fast_user(services, "Admin Alan", "MANAGEMENT", role="ADMIN")
    member = await fast_user(services, "Sun Qi", "SERVICE")
    assert (await gql.ok("{ me { name } }", token=member.token))["me"]["name"] == "Sun Qi"

    stale = (await gql.ok(DEACTIVATE, {"i": {"userId": member.gid, "expectedVersion": 99}}, admin.token))[
        "deactivateUser"
    ]
    assert [(e["code"], e["field"]) for e in stale["errors"]] == [("VERSION_CONFLICT", ["expectedVersion"])]
    assert (await user_row(services, member.user.id))[4] is True

    payload = await gql.mutate(
        "deactivateUser", DEACTIVATE, {"i": {"userId": member.gid, "expectedVersion": 1}}, admin.token
    )
    assert (payload["user"]["active"], payload["user"]["version"]) == (False, 2)
    assert error_codes(await gql("{ me { name } }", token=member.token)) == ["UNAUTHENTICATED"]
    inactive = await gql.ok(USERS_PAGE, {"active": False}, admin.token)
    assert [e["node"]["name"] for e in inactive["users"]["edges"]] == ["Sun Qi"]
    # Deactivating again is harmless and changes nothing.
    again = await gql.mutate("deactivateUser", DEACTIVATE, {"i": {"userId": member.gid}}, admin.token)
    assert (again["user"]["active"], again["user"]["version"]) == (False, 2)

    payload = await gql.mutate(
        "reactivateUser", REACTIVATE, {"i": {"userId": member.gid, "expectedVersion": 2}}, admin.token
    )
    assert (payload["user"]["active"], payload["user"]["version"]) == (True, 3)
    assert (await gql.ok(USERS_PAGE, {"active": False}, admin.token))["users"]["edges"] == []
    actions = await rows(
        services, "SELECT action, actor_id FROM activity WHERE entity_id = :u ORDER BY seq", u=member.user.id
    )
    assert actions == [("user.deactivated", admin.user.id), ("user.activated", admin.user.id)]


async def test_an_admin_cannot_deactivate_themself(gql, services):
    admin = await fast_user(services, "Admin Alan", "MANAGEMENT", role="ADMIN")
    other_admin = await fast_user(services, "Admin Bea", "SERVICE", role="ADMIN")
    before = await user_row(services, admin.user.id)
    payload = (await gql.ok(DEACTIVATE, {"i": {"userId": admin.gid}}, admin.token))["deactivateUser"]
    assert payload["user"] is None
    assert payload["errors"] == [
        {"code": "VALIDATION", "field": ["userId"], "message": "you cannot deactivate your own account"}
    ]
    assert await user_row(services, admin.user.id) == before
    assert (await gql.ok("{ me { name } }", token=admin.token))["me"]["name"] == admin.user.name
    # Another admin can.
    payload = await gql.mutate("deactivateUser", DEACTIVATE, {"i": {"userId": admin.gid}}, other_admin.token)
    assert payload["user"]["active"] is False


async def test_users_pagination_and_filters(gql, services):
    admin = await fast_user(services, "Admin Ada", "MANAGEMENT", role="ADMIN")
    for name in ("erin", "Bob", "alice", "Dave", "carol"):
        await fast_user(services, name, "SERVICE")
    await fast_user(services, "Frank", "SERVICE", active=False)
    for name in ("Mona", "Ming"):
        await fast_user(services, name, "MARKETING")

    seen, after, pages = [], None, 0
    while True:
        data = (await gql.ok(USERS_PAGE, {"first": 2, "after": after, "department": "SERVICE"}, admin.token))["users"]
        pages += 1
        assert data["totalCount"] == 6
        assert len(data["edges"]) <= 2
        assert all(e["node"]["department"] == "SERVICE" for e in data["edges"])
        info = data["pageInfo"]
        assert info["hasPreviousPage"] is (after is not None)
        if data["edges"]:
            assert (info["startCursor"], info["endCursor"]) == (data["edges"][0]["cursor"], data["edges"][-1]["cursor"])
        seen += [e["node"]["name"] for e in data["edges"]]
        if not info["hasNextPage"]:
            break
        after = info["endCursor"]
        assert pages < 10
    assert pages == 3
    # Alphabetical regardless of case; every user once.
    assert seen == ["alice", "Bob", "carol", "Dave", "erin", "Frank"]

    marketing = (await gql.ok(USERS_PAGE, {"first": 10, "department": "MARKETING"}, admin.token))["users"]
    assert [e["node"]["name"] for e in marketing["edges"]] == ["Ming", "Mona"]
    assert marketing["pageInfo"]["hasNextPage"] is False
    active_service = await gql.ok(USERS_PAGE, {"first": 10, "department": "SERVICE", "active": True}, admin.token)
    assert active_service["users"]["totalCount"] == 5
    everyone = (await gql.ok(USERS_PAGE, {}, admin.token))["users"]
    assert everyone["totalCount"] == 9
    assert next(e["node"]["name"] for e in everyone["edges"]) == "Admin Ada"

    for variables in ({"first": 101}, {"first": -1}, {"first": 2, "after": "garbage"}):
        body = await gql(USERS_PAGE, variables, admin.token)
        assert error_codes(body) == ["BAD_USER_INPUT"], variables
        assert body["data"] is None


# -------------------------------------------------------------------------------------- API keys


async def test_api_key_secret_is_shown_once_and_only_its_prefix_is_listed(gql, services, clock):
    admin = await fast_user(services, "Admin Alan", "MANAGEMENT", role="ADMIN")
    payload = await gql.mutate(
        "createApiKey", CREATE_KEY, {"i": {"name": " BI dashboard ", "scope": "REPORTING"}}, admin.token
    )
    secret = payload["key"]
    created = payload["apiKey"]
    assert secret.startswith("tdk_") and len(secret) >= 40
    assert created["name"] == "BI dashboard" and created["scope"] == "REPORTING"
    assert created["prefix"] == secret[:10] and secret != created["prefix"]
    assert created["lastUsedAt"] is None and created["revokedAt"] is None

    # Stored as a SHA-256 only; the secret appears in no column.
    (row,) = await rows(services, "SELECT * FROM api_keys")
    assert hashlib.sha256(secret.encode()).hexdigest() in row
    assert not any(isinstance(v, str) and secret in v for v in row)
    assert await rows(services, "SELECT action, actor_id FROM activity WHERE entity_type = 'ApiKey'") == [
        ("api_key.created", admin.user.id)
    ]

    # The list (and the type itself) has no way to show the secret again.
    listing = await gql.raw(API_KEYS, token=admin.token)
    assert secret not in listing.text and secret[10:20] not in listing.text
    assert listing.json()["data"]["apiKeys"] == [created]
    fields = await gql.ok('{ __type(name: "ApiKey") { fields { name } } }', token=admin.token)
    assert {f["name"] for f in fields["__type"]["fields"]} == {
        "id",
        "name",
        "scope",
        "prefix",
        "createdAt",
        "lastUsedAt",
        "revokedAt",
    }

    # The secret is a bearer credential; its use is recorded.
    clock.advance(minutes=5)
    assert (await gql.ok("{ customers(first: 1) { totalCount } }", token=secret))["customers"]["totalCount"] == 0
    (listed,) = (await gql.ok(API_KEYS, token=admin.token))["apiKeys"]
    assert listed["lastUsedAt"] is not None and listed["lastUsedAt"].startswith("2026-03-02T09:05")

    # Revoking returns no secret either, and ends the key.
    revoked = await gql.mutate("revokeApiKey", REVOKE_KEY, {"i": {"apiKeyId": created["id"]}}, admin.token)
    assert revoked["key"] is None and revoked["apiKey"]["revokedAt"].startswith("2026-03-02T09:05")
    assert error_codes(await gql("{ customers(first: 1) { totalCount } }", token=secret)) == ["UNAUTHENTICATED"]
    # Revoking twice keeps the first revocation time.
    clock.advance(minutes=1)
    again = await gql.mutate("revokeApiKey", REVOKE_KEY, {"i": {"apiKeyId": created["id"]}}, admin.token)
    assert again["apiKey"]["revokedAt"] == revoked["apiKey"]["revokedAt"]


async def test_api_key_refusals_and_node_lookup(gql, services):
    admin = await fast_user(services, "Admin Alan", "MANAGEMENT", role="ADMIN")
    payload = (await gql.ok(CREATE_KEY, {"i": {"name": "   ", "scope": "BOARD"}}, admin.token))["createApiKey"]
    assert payload["apiKey"] is None and payload["key"] is None
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("VALIDATION", ["name"])]
    payload = await gql.ok(REVOKE_KEY, {"i": {"apiKeyId": to_global_id("ApiKey", uuid.uuid4())}}, admin.token)
    assert [(e["code"], e["field"]) for e in payload["revokeApiKey"]["errors"]] == [("NOT_FOUND", ["apiKeyId"])]
    payload = await gql.ok(REVOKE_KEY, {"i": {"apiKeyId": admin.gid}}, admin.token)
    assert [(e["code"], e["field"]) for e in payload["revokeApiKey"]["errors"]] == [("VALIDATION", ["apiKeyId"])]
    assert await rows(services, "SELECT count(*) FROM api_keys") == [(0,)]

    board = await gql.mutate("createApiKey", CREATE_KEY, {"i": {"name": "Wall", "scope": "BOARD"}}, admin.token)
    node = await gql.ok(
        "query($id: ID!) { node(id: $id) { id ... on ApiKey { name scope prefix } } }",
        {"id": board["apiKey"]["id"]},
        admin.token,
    )
    assert node["node"] == {"id": board["apiKey"]["id"], "name": "Wall", "scope": "BOARD", "prefix": board["key"][:10]}
    missing = await gql.ok(
        "query($id: ID!) { node(id: $id) { id } }", {"id": to_global_id("ApiKey", uuid.uuid4())}, admin.token
    )
    assert missing == {"node": None}
    # A board key reads but never writes.
    body = await gql('mutation { createCustomer(input: {name: "Board Co"}) { errors { code } } }', token=board["key"])
    assert error_codes(body) == ["FORBIDDEN"]
    assert await rows(services, "SELECT count(*) FROM customers") == [(0,)]
