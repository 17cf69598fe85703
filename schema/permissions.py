"""Strawberry permission classes over the authorization matrix in services/access.py."""

from __future__ import annotations

from functools import cache
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.permission import BasePermission

from services import i18n
from services.access import Action, allowed
from services.i18n import T

# What each action lets one do, as the refusal says it (one readable sentence per action; the code stays
# FORBIDDEN). tests/web/test_permissions.py checks every action has one.
REFUSALS: dict[Action, str] = {
    Action.READ: T("forbidden: your account may not read operational data"),
    Action.READ_CONTACT_DETAILS: T("forbidden: your account may not read contact details"),
    Action.READ_INTERNAL_COMMENTS: T("forbidden: your account may not read internal comments"),
    Action.READ_KPIS: T("forbidden: your account may not read KPIs and reports"),
    Action.SUBSCRIBE: T("forbidden: your account may not subscribe to live updates"),
    Action.WRITE_CUSTOMERS: T("forbidden: your account may not change customers"),
    Action.SALES: T("forbidden: your account may not work on opportunities or hand off orders"),
    Action.SERVICE_OPERATIONS: T("forbidden: your account may not confirm orders or run service jobs"),
    Action.TICKET_PARTICIPATE: T("forbidden: your account may not open or comment on tickets"),
    Action.TICKET_HANDLE: T("forbidden: your account may not handle tickets"),
    Action.CONSULTATION_ANY: T("forbidden: your account may not post in joint consultations it is not part of"),
    Action.MARKET_INTELLIGENCE: T("forbidden: your account may not record market intelligence"),
    Action.IMPROVEMENT_ACTIONS: T("forbidden: your account may not work on improvement actions"),
    Action.VERIFY_IMPROVEMENT: T("forbidden: your account may not verify improvement actions"),
    Action.RUN_SURVEYS: T("forbidden: your account may not run satisfaction surveys"),
    Action.RECORD_MEETINGS: T("forbidden: your account may not record joint meetings"),
    Action.TARGETS_AND_SLA: T("forbidden: your account may not set sales targets or SLA policies"),
    Action.MANAGE_ACCOUNTS: T("forbidden: your account may not manage accounts and API keys"),
    Action.READ_AUDIT_LOG: T("forbidden: your account may not read the audit log"),
    Action.OWN_NOTIFICATIONS: T("forbidden: only a person has notifications"),
}
_AUTHENTICATION_REQUIRED = T("authentication required: send 'Authorization: Bearer <token>'")


class NotAuthenticated(GraphQLError):
    def __init__(self, message: str):  # a message of services/i18n.py (a literal is its msgid)
        super().__init__(i18n.text(message), extensions={"code": "UNAUTHENTICATED"})


class Forbidden(GraphQLError):
    def __init__(self, message: str):  # a message of services/i18n.py (a literal is its msgid)
        super().__init__(i18n.text(message), extensions={"code": "FORBIDDEN"})


def _principal_or_raise(info: strawberry.Info) -> Any:
    ctx = info.context
    if ctx.principal is None:
        raise NotAuthenticated(ctx.auth_error or _AUTHENTICATION_REQUIRED)
    return ctx.principal


class Public(BasePermission):
    """Explicitly open (only `login`): every field must say who may use it, even when anyone may."""

    def has_permission(self, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
        return True


class Authenticated(BasePermission):
    message = T("authentication required")

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
        {"action": action, "message": REFUSALS[action]},
    )
