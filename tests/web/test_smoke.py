from tests.support.accounts import PASSWORD


async def test_login_and_me(gql, users):
    account = await users.create("SERVICE", "LEAD")
    data = await gql.ok(
        "mutation($i: AuthInput!) { login(input: $i) { token user { name } errors { code message } } }",
        {"i": {"email": account.user.email, "password": PASSWORD}},
    )
    token = data["login"]["token"]
    assert token
    me = await gql.ok("{ me { name department role } }", token=token)
    assert me["me"] == {"name": account.user.name, "department": "SERVICE", "role": "LEAD"}
