"""Sign-in, the current user, and account administration."""

from __future__ import annotations

import strawberry

from db.repositories import accounts as accounts_repo
from resolvers.support import mutate
from schema.ids import decode_id
from schema.inputs import (
    AuthInput,
    CreateApiKeyInput,
    CreateUserInput,
    RevokeApiKeyInput,
    UpdateUserInput,
    UserActionInput,
)
from schema.payloads import ApiKeyPayload, AuthPayload, UserPayload
from schema.permissions import NotAuthenticated
from schema.types.accounts import ApiKey, User
from schema.types.common import Connection, connection, user_errors
from schema.types.enums import Department
from services import accounts as service
from services import auth
from services.accounts import NewUser


async def login(info: strawberry.Info, input: AuthInput) -> AuthPayload:
    ctx = info.context
    services = ctx.services
    settings = services.settings
    limits = (
        auth.LoginLimits(settings.login_failures_per_account, settings.login_failures_per_address)
        if settings is not None
        else auth.LoginLimits()
    )
    # The client's address as the ASGI server reports it (uvicorn applies X-Forwarded-For from trusted
    # proxies); failures are counted per address, so they slow down only whoever makes them.
    client = getattr(ctx.request, "client", None)
    # Not `mutate`: sign-in runs its own two short transactions around the slow password check, and
    # commits counted failures too (they feed the slow-down).
    result = await auth.login(
        services.db.sessions,
        services.tokens,
        input.email,
        input.password,
        client.host if client else None,
        services.clock.now(),
        limits,
    )
    await ctx.after_commit()
    if result.error is not None:
        return AuthPayload(errors=user_errors(result.error))
    # The rest of this response is read as the person who just proved who they are (their own
    # `user { email }` included); the request itself was anonymous.
    info.context.principal = auth.principal_of_user(result.user)
    return AuthPayload(token=result.token, user=User.from_row(result.user))


async def me(info: strawberry.Info) -> User:
    principal = info.context.principal
    if not principal.is_user:
        raise NotAuthenticated("`me` is for signed-in people; API keys have no user")
    user = await info.context.loaders.row("user", str(principal.id))
    return User.from_row(user)


async def users(
    info: strawberry.Info,
    first: int | None = None,
    after: str | None = None,
    department: Department | None = None,
    active: bool | None = None,
) -> Connection[User]:
    return await connection(
        info,
        lambda s, size: accounts_repo.users_page(
            s, first=size, after=after, department=department.value if department else None, active=active
        ),
        first,
        User.from_row,
    )


def _user_payload(result) -> UserPayload:
    user, errors = result
    return UserPayload(user=User.from_row(user) if user else None, errors=errors)


async def create_user(info: strawberry.Info, input: CreateUserInput) -> UserPayload:
    data = NewUser(
        email=input.email,
        name=input.name,
        department=input.department.value,
        role=input.role.value,
        password=input.password,
    )
    return _user_payload(await mutate(info, lambda uow: service.create_user(uow, data)))


async def update_user(info: strawberry.Info, input: UpdateUserInput) -> UserPayload:
    return _user_payload(
        await mutate(
            info,
            lambda uow: service.update_user(
                uow,
                decode_id(input.user_id, "User", "userId"),
                expected_version=input.expected_version,
                name=input.name,
                department=input.department.value if input.department else None,
                role=input.role.value if input.role else None,
            ),
        )
    )


async def deactivate_user(info: strawberry.Info, input: UserActionInput) -> UserPayload:
    return _user_payload(
        await mutate(
            info,
            lambda uow: service.set_user_active(
                uow, decode_id(input.user_id, "User", "userId"), False, input.expected_version
            ),
        )
    )


async def reactivate_user(info: strawberry.Info, input: UserActionInput) -> UserPayload:
    return _user_payload(
        await mutate(
            info,
            lambda uow: service.set_user_active(
                uow, decode_id(input.user_id, "User", "userId"), True, input.expected_version
            ),
        )
    )


async def create_api_key(info: strawberry.Info, input: CreateApiKeyInput) -> ApiKeyPayload:
    result, errors = await mutate(info, lambda uow: service.create_api_key(uow, input.name, input.scope.value))
    if result is None:
        return ApiKeyPayload(errors=errors)
    row, secret = result
    return ApiKeyPayload(api_key=ApiKey.from_row(row), key=secret)


async def revoke_api_key(info: strawberry.Info, input: RevokeApiKeyInput) -> ApiKeyPayload:
    row, errors = await mutate(
        info, lambda uow: service.revoke_api_key(uow, decode_id(input.api_key_id, "ApiKey", "apiKeyId"))
    )
    return ApiKeyPayload(api_key=ApiKey.from_row(row) if row else None, errors=errors)


async def api_keys(info: strawberry.Info) -> list[ApiKey]:
    rows = await info.context.read(accounts_repo.all_api_keys)
    return [ApiKey.from_row(r) for r in rows]
