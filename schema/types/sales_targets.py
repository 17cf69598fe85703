"""Sales targets: the SalesTarget type."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import strawberry
from strawberry import relay

from db.models.presale import SalesTarget as SalesTargetRow
from schema.context import Info
from schema.loaders import load_one, node_resolver
from schema.types.accounts import Department, User

__all__ = ["SalesTarget"]


@strawberry.type
class SalesTarget(relay.Node):
    id: relay.NodeID[str]
    department: Department
    period_start: date = strawberry.field(description="First day of the period.")
    period_end: date = strawberry.field(description="Last day of the period (inclusive).")
    amount: Decimal
    created_at: datetime
    updated_at: datetime
    version: int
    _row: strawberry.Private[SalesTargetRow]
    resolve_nodes = node_resolver(lambda loaders: loaders.sales_targets)  # node(id:)

    @strawberry.field(description="The person the target is for; null for a department-wide target.")
    async def user(self, info: Info) -> User | None:
        return await load_one(info.context.loaders.users, self._row.user_id, User.from_row)

    @classmethod
    def from_row(cls, row: SalesTargetRow) -> SalesTarget:
        return cls(
            id=str(row.id),
            department=Department(row.department),
            period_start=row.period_start,
            period_end=row.period_end,
            amount=row.amount,
            created_at=row.created_at,
            updated_at=row.updated_at,
            version=row.version,
            _row=row,
        )
