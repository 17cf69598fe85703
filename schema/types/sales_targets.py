"""Sales targets: the SalesTarget type."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import strawberry
from strawberry import relay

from db.models.presale import SalesTarget as SalesTargetRow
from schema.loaders import node_resolver
from schema.types.accounts import Department, User
from schema.types.common import FromRow, to_one

__all__ = ["SalesTarget"]


@strawberry.type
class SalesTarget(relay.Node, FromRow[SalesTargetRow]):
    id: relay.NodeID[str]
    department: Department
    period_start: date = strawberry.field(description="First day of the period.")
    period_end: date = strawberry.field(description="Last day of the period (inclusive).")
    amount: Decimal
    created_at: datetime
    updated_at: datetime
    version: int
    user: User | None = to_one(
        "users", "user_id", lambda: User, description="The person the target is for; null for a department-wide target."
    )
    _row: strawberry.Private[SalesTargetRow]
    resolve_nodes = node_resolver(lambda loaders: loaders.sales_targets)  # node(id:)
