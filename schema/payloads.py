"""Mutation payloads: the changed object (null when refused) and the reasons it was refused."""

from __future__ import annotations

import strawberry

from schema.types.accounts import ApiKey, User
from schema.types.common import UserError
from schema.types.customers import Customer


@strawberry.type
class AuthPayload:
    token: str | None = None
    user: User | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class CustomerPayload:
    customer: Customer | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class UserPayload:
    user: User | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ApiKeyPayload:
    api_key: ApiKey | None = None
    key: str | None = strawberry.field(default=None, description="The secret itself. Shown once, never stored.")
    errors: list[UserError] = strawberry.field(default_factory=list)
