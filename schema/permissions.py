"""Strawberry permission classes over the authorization matrix in services/access.py."""

from __future__ import annotations

from functools import cache
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.permission import BasePermission

from services.access import Action, allowed


class NotAuthenticated(GraphQLError):
    def __init__(self, message: str):
        super().__init__(message, extensions={"code": "UNAUTHENTICATED"})


class Forbidden(GraphQLError):
    def __init__(self, message: str):
        super().__init__(message, extensions={"code": "FORBIDDEN"})


def _principal_or_raise(info: strawberry.Info) -> Any:
    ctx = info.context
    if ctx.principal is None:
        raise NotAuthenticated(ctx.auth_error or "authentication required: send 'Authorization: Bearer <token>'")
    return ctx.principal


class Public(BasePermission):
    """Explicitly open (only `login`): every field must say who may use it, even when anyone may."""

    def has_permission(self, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
        return True


class Authenticated(BasePermission):
    message = "authentication required"

    def __init__(self) -> None:
        self.error_extensions = {"code": "UNAUTHENTICATED"}

    def has_permission(self, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
        _principal_or_raise(info)
        return True


class _Allowed(BasePermission):
    action: Action

    def __init__(self) -> None:
        self.error_extensions = {"code": "FORBIDDEN"}

    def has_permission(self, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
        return allowed(_principal_or_raise(info), self.action)


@cache
def Allowed(action: Action) -> type[BasePermission]:
    """The permission class for one action of the matrix (one class per action, created once)."""
    name = "Can" + "".join(part.capitalize() for part in action.value.split("_"))
    return type(
        name,
        (_Allowed,),
        {"action": action, "message": f"forbidden: your account may not {action.value.replace('_', ' ')}"},
    )
