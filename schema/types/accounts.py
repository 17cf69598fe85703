"""Staff accounts and API keys: the User and ApiKey types and the enums of accounts."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import strawberry
from strawberry import relay

from db.models import ApiKey as ApiKeyRow
from db.models import User as UserRow
from schema.context import Info
from schema.loaders import load_nodes, node_resolver, uuid_key
from schema.permissions import Allowed, Forbidden
from services.access import Action, allowed
from services.rules.accounts import ApiKeyScope, Department, Role

__all__ = ["ApiKey", "ApiKeyScope", "Department", "Role", "User"]


@strawberry.type
class User(relay.Node):
    id: relay.NodeID[str]
    name: str
    department: Department
    role: Role
    active: bool
    version: int
    _email: strawberry.Private[str]
    resolve_nodes = node_resolver(lambda loaders: loaders.users)  # node(id:)

    @strawberry.field(permission_classes=[Allowed(Action.READ_CONTACT_DETAILS)])
    def email(self) -> str:
        return self._email

    @classmethod
    def from_row(cls, row: UserRow) -> User:
        return cls(
            id=str(row.id),
            name=row.name,
            department=Department(row.department),
            role=Role(row.role),
            active=row.active,
            version=row.version,
            _email=row.email,
        )


@strawberry.type
class ApiKey(relay.Node):
    id: relay.NodeID[str]
    name: str
    scope: ApiKeyScope
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def from_row(cls, row: ApiKeyRow) -> ApiKey:
        return cls(
            id=str(row.id),
            name=row.name,
            scope=ApiKeyScope(row.scope),
            prefix=row.prefix,
            created_at=row.created_at,
            last_used_at=row.last_used_at,
            revoked_at=row.revoked_at,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]  # strawberry's overloads, one implementation
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[ApiKey | None]:
        # `node(id:)` must not be a way around `apiKeys`, which only admins may read.
        if not allowed(info.context.principal, Action.MANAGE_ACCOUNTS):
            raise Forbidden("forbidden: your account may not manage accounts")
        return await load_nodes(info.context.loaders.api_keys, node_ids, cls.from_row, uuid_key)
