"""Sales targets: the list and setSalesTarget."""

from __future__ import annotations

import strawberry

from db.models import SalesTarget as SalesTargetRow
from db.repositories import sales_targets as targets_repo
from resolvers.mutation_boundary import Answer
from resolvers.pages import page
from schema.context import Info
from schema.ids import decode_optional_id
from schema.types.common import Connection, query_id
from schema.types.sales_targets import SalesTarget
from schema.types.sales_targets_inputs import SalesTargetPayload, SetSalesTargetInput
from services import sales_targets as service
from services.unit_of_work import UnitOfWork


async def sales_targets(
    info: Info,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
    user_id: strawberry.ID | None = None,
    department_wide: bool = False,
) -> Connection[SalesTarget]:
    """Sales targets, latest period first: one person's (`userId`), the department-wide ones
    (`departmentWide`), or all."""
    uid = query_id(user_id, "User", "userId")
    return await page(
        info,
        targets_repo.page,
        SalesTarget.from_row,
        first,
        after,
        last,
        before,
        user_id=uid,
        department_wide=department_wide,
    )


_sales_target = Answer(SalesTargetPayload, sales_target=SalesTarget.from_row)


async def set_sales_target(info: Info, input: SetSalesTargetInput) -> SalesTargetPayload:
    async def action(uow: UnitOfWork) -> SalesTargetRow:
        data = service.TargetData(
            period_start=input.period_start,
            period_end=input.period_end,
            amount=input.amount,
            department=input.department.value,
            user_id=decode_optional_id(input.user_id, "User", "userId"),
            expected_version=input.expected_version,
        )
        return await service.set_sales_target(uow, data)

    return await _sales_target(info, action)
