"""Sales targets' write side: the setSalesTarget input and payload."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import strawberry

from schema.types.accounts import Department
from schema.types.common import UserError
from schema.types.sales_targets import SalesTarget


@strawberry.input
class SetSalesTargetInput:
    period_start: date = strawberry.field(description="First day of the period.")
    period_end: date = strawberry.field(description="Last day of the period (inclusive).")
    amount: Decimal
    department: Department = Department.MARKETING
    user_id: strawberry.ID | None = strawberry.field(default=None, description="Null: a department-wide target.")
    expected_version: int | None = strawberry.field(
        default=None,
        description="When changing an existing target (the same person or department and the same period).",
    )


@strawberry.type
class SalesTargetPayload:
    sales_target: SalesTarget | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)
