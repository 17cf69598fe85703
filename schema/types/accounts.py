"""User and API key types."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

import strawberry
from strawberry import relay

from db.models import ApiKey as ApiKeyRow
from db.models import User as UserRow
from db.repositories import accounts as accounts_repo
from schema.permissions import Allowed, Forbidden
from schema.types.enums import ApiKeyScope, Department, Role
from services.access import Action, allowed


@strawberry.type
class User(relay.Node):
    id: relay.NodeID[str]
    name: str
    department: Department
    role: Role
    active: bool
    version: int
    _email: strawberry.Private[str]

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

    @classmethod
    async def resolve_nodes(cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False):
        return await info.context.loaders.load_many("user", node_ids, cls.from_row)


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
    async def resolve_nodes(cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False):
        # `node(id:)` must not be a way around `apiKeys`, which only admins may read.
        if not allowed(info.context.principal, Action.MANAGE_ACCOUNTS):
            raise Forbidden("forbidden: your account may not manage accounts")
        node_ids = [str(i) for i in node_ids]
        keys = []
        for raw in node_ids:
            try:
                keys.append(uuid.UUID(raw))
            except ValueError:
                continue
        rows = {str(r.id): r for r in await info.context.read(lambda s: accounts_repo.api_keys_by_ids(s, keys))}
        return [cls.from_row(rows[k]) if k in rows else None for k in node_ids]
