"""Account administration: the user and API-key lists and mutations."""

from __future__ import annotations

from db.repositories import accounts as accounts_repo
from resolvers.mutation_boundary import Answer, mutate
from resolvers.pages import page
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
from schema.types.common import Connection
from services import accounts as service
from services.accounts import NewUser


async def users(
    info: Info,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
    department: Department | None = None,
    active: bool | None = None,
) -> Connection[User]:
    value = department.value if department else None
    return await page(
        info, accounts_repo.users_page, User.from_row, first, after, last, before, department=value, active=active
    )


_user = Answer(UserPayload, user=User.from_row)


async def create_user(info: Info, input: CreateUserInput) -> UserPayload:
    data = NewUser(
        email=input.email,
        name=input.name,
        department=input.department.value,
        role=input.role.value,
        password=input.password,
    )
    return await _user(info, lambda uow: service.create_user(uow, data))


async def update_user(info: Info, input: UpdateUserInput) -> UserPayload:
    return await _user(
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


async def _set_user_active(info: Info, input: UserActionInput, active: bool) -> UserPayload:
    return await _user(
        info,
        lambda uow: service.set_user_active(
            uow, decode_id(input.user_id, "User", "userId"), active, input.expected_version
        ),
    )


async def deactivate_user(info: Info, input: UserActionInput) -> UserPayload:
    return await _set_user_active(info, input, False)


async def reactivate_user(info: Info, input: UserActionInput) -> UserPayload:
    return await _set_user_active(info, input, True)


async def create_api_key(info: Info, input: CreateApiKeyInput) -> ApiKeyPayload:
    result, errors = await mutate(info, lambda uow: service.create_api_key(uow, input.name, input.scope.value))
    if result is None:
        return ApiKeyPayload(errors=errors)
    row, secret = result
    return ApiKeyPayload(api_key=ApiKey.from_row(row), key=secret)


_api_key = Answer(ApiKeyPayload, api_key=ApiKey.from_row)


async def revoke_api_key(info: Info, input: RevokeApiKeyInput) -> ApiKeyPayload:
    return await _api_key(
        info, lambda uow: service.revoke_api_key(uow, decode_id(input.api_key_id, "ApiKey", "apiKeyId"))
    )


async def api_keys(info: Info) -> list[ApiKey]:
    rows = await info.context.read(accounts_repo.all_api_keys)
    return [ApiKey.from_row(r) for r in rows]
