"""Accounts' write side: the inputs and payloads of the user and API-key mutations."""

from __future__ import annotations

import strawberry

from schema.types.accounts import ApiKey, ApiKeyScope, Department, Role, User
from schema.types.common import UserError


@strawberry.input
class CreateUserInput:
    email: str
    name: str
    department: Department
    role: Role
    password: str


@strawberry.input
class UpdateUserInput:
    user_id: strawberry.ID
    expected_version: int | None = None
    name: str | None = None
    department: Department | None = None
    role: Role | None = None


@strawberry.input
class UserActionInput:
    user_id: strawberry.ID
    expected_version: int | None = None


@strawberry.input
class CreateApiKeyInput:
    name: str
    scope: ApiKeyScope


@strawberry.input
class RevokeApiKeyInput:
    api_key_id: strawberry.ID


@strawberry.type
class UserPayload:
    user: User | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ApiKeyPayload:
    api_key: ApiKey | None = None
    key: str | None = strawberry.field(default=None, description="The secret itself. Shown once, never stored.")
    errors: list[UserError] = strawberry.field(default_factory=list)
