"""Account administration: the user and API-key lists and mutations."""

from __future__ import annotations

from db.models import User as UserRow
from db.repositories import accounts as accounts_repo
from resolvers.mutation_boundary import mutate
from schema.context import Info
from schema.ids import decode_id
from schema.types.accounts import ApiKey, Department, User
from schema.types.accounts_inputs import (
    ApiKeyPayload,
    CreateApiKeyInput,
    CreateUserInput,
    RevokeApiKeyInput,
    UpdateUserInput,
    UserActionInput,
    UserPayload,
)
from schema.types.common import Connection, UserError, connection
from services import accounts as service
from services.accounts import NewUser


async def users(
    info: Info,
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


def _user_payload(result: tuple[UserRow | None, list[UserError]]) -> UserPayload:
    user, errors = result
    return UserPayload(user=User.from_row(user) if user else None, errors=errors)


async def create_user(info: Info, input: CreateUserInput) -> UserPayload:
    data = NewUser(
        email=input.email,
        name=input.name,
        department=input.department.value,
        role=input.role.value,
        password=input.password,
    )
    return _user_payload(await mutate(info, lambda uow: service.create_user(uow, data)))


async def update_user(info: Info, input: UpdateUserInput) -> UserPayload:
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


async def deactivate_user(info: Info, input: UserActionInput) -> UserPayload:
    return _user_payload(
        await mutate(
            info,
            lambda uow: service.set_user_active(
                uow, decode_id(input.user_id, "User", "userId"), False, input.expected_version
            ),
        )
    )


async def reactivate_user(info: Info, input: UserActionInput) -> UserPayload:
    return _user_payload(
        await mutate(
            info,
            lambda uow: service.set_user_active(
                uow, decode_id(input.user_id, "User", "userId"), True, input.expected_version
            ),
        )
    )


async def create_api_key(info: Info, input: CreateApiKeyInput) -> ApiKeyPayload:
    result, errors = await mutate(info, lambda uow: service.create_api_key(uow, input.name, input.scope.value))
    if result is None:
        return ApiKeyPayload(errors=errors)
    row, secret = result
    return ApiKeyPayload(api_key=ApiKey.from_row(row), key=secret)


async def revoke_api_key(info: Info, input: RevokeApiKeyInput) -> ApiKeyPayload:
    row, errors = await mutate(
        info, lambda uow: service.revoke_api_key(uow, decode_id(input.api_key_id, "ApiKey", "apiKeyId"))
    )
    return ApiKeyPayload(api_key=ApiKey.from_row(row) if row else None, errors=errors)


async def api_keys(info: Info) -> list[ApiKey]:
    rows = await info.context.read(accounts_repo.all_api_keys)
    return [ApiKey.from_row(r) for r in rows]
