"""Staff accounts and API keys: the User and ApiKey types and the enums of accounts."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import strawberry
from strawberry import relay

from db.models import ApiKey as ApiKeyRow
from db.models import User as UserRow
from schema.context import Info
from schema.loaders import load_nodes, node_resolver, uuid_key
from schema.permissions import Allowed, Forbidden
from schema.types.common import FromRow
from services.access import Action, allowed
from services.rules.accounts import ApiKeyScope, Department, Role

__all__ = ["ApiKey", "ApiKeyScope", "Department", "Role", "User", "contact_detail"]


def contact_detail() -> Any:
    """A field of personal data (an email, a phone number): people may read it, API keys never."""
    return strawberry.field(permission_classes=[Allowed(Action.READ_CONTACT_DETAILS)])


@strawberry.type
class User(relay.Node, FromRow[UserRow]):
    id: relay.NodeID[str]
    name: str
    department: Department
    role: Role
    active: bool
    version: int
    email: str = contact_detail()
    resolve_nodes = node_resolver(lambda loaders: loaders.users)  # node(id:)


@strawberry.type
class ApiKey(relay.Node, FromRow[ApiKeyRow]):
    id: relay.NodeID[str]
    name: str
    scope: ApiKeyScope
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    async def resolve_nodes(  # type: ignore[override]  # strawberry's overloads, one implementation
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[ApiKey | None]:
        # `node(id:)` must not be a way around `apiKeys`, which only admins may read.
        if not allowed(info.context.principal, Action.MANAGE_ACCOUNTS):
            raise Forbidden("forbidden: your account may not manage accounts")
        return await load_nodes(info.context.loaders.api_keys, node_ids, cls.from_row, uuid_key)
