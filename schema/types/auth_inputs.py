"""Sign-in's write side: the login input and payload."""

from __future__ import annotations

import strawberry

from schema.types.accounts import User
from schema.types.common import UserError


@strawberry.input
class AuthInput:
    email: str
    password: str


@strawberry.type
class AuthPayload:
    token: str | None = None
    user: User | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)
