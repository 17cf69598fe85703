"""Sales targets: what marketing (as a department, or one person) should sell in a period.

A target covers the days period_start..period_end, both inclusive. Targets of one scope (the
department-wide ones, or one person's) never overlap, so a KPI period's target is a plain sum.
Setting a target for exactly the period of an existing one of the same scope changes its amount.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from db.models.presale import SalesTarget
from db.repositories import accounts as accounts_repo
from db.repositories import rows
from db.repositories import sales_targets as repo
from services.errors import DomainError, ErrorCode, check_version
from services.i18n import T
from services.rules.opportunities import TARGET_DEPARTMENTS
from services.unit_of_work import UnitOfWork
from services.validation import Validator


@dataclass
class TargetData:
    period_start: date
    period_end: date
    amount: Decimal | None
    department: str = "MARKETING"
    user_id: uuid.UUID | None = None
    expected_version: int | None = None


async def set_sales_target(uow: UnitOfWork, data: TargetData) -> SalesTarget:
    v = Validator()
    v.require(data.department in TARGET_DEPARTMENTS, "sales targets exist for MARKETING only", "department")
    v.require(data.period_end >= data.period_start, "the period must not end before it starts", "periodEnd")
    amount = v.money(data.amount, "amount", "amount", required=True)
    v.require(amount is None or amount > 0, "amount must be greater than 0", "amount")
    v.raise_if_any()
    assert amount is not None  # required
    if data.user_id is not None:
        user = await accounts_repo.user_by_id(uow.session, data.user_id)
        if user is None or not user.active or user.department != data.department:
            raise DomainError(
                ErrorCode.VALIDATION,
                T("the target's person must be an active {department} user", department=T(data.department.lower())),
                ["userId"],
            )
    await repo.lock_scope(uow.session, data.department, data.user_id)
    existing = await repo.overlapping(uow.session, data.department, data.user_id, data.period_start, data.period_end)
    same = [t for t in existing if (t.period_start, t.period_end) == (data.period_start, data.period_end)]
    if existing and not same:
        other = existing[0]
        raise DomainError(
            ErrorCode.VALIDATION,
            T(
                "the period overlaps the target for {start}..{end}; change that one or choose other dates",
                start=other.period_start,
                end=other.period_end,
            ),
            ["periodStart"],
        )
    scope = f"user {data.user_id}" if data.user_id else f"the {data.department.lower()} department"
    period = f"{data.period_start}..{data.period_end}"
    changes: dict[str, list[Decimal | None]]
    if same:
        target = same[0]
        check_version("sales target", data.expected_version, target.version)
        if target.amount == amount:
            return target
        previous, target.amount = target.amount, amount
        rows.touch(target, uow.now)
        action, changes = "sales_target.updated", {"amount": [previous, amount]}
    else:
        target = SalesTarget(
            id=uuid.uuid4(),
            department=data.department,
            user_id=data.user_id,
            period_start=data.period_start,
            period_end=data.period_end,
            amount=amount,
        )
        await repo.add(uow.session, target, uow.now)
        action, changes = "sales_target.set", {"amount": [None, amount]}
    await uow.session.flush()
    uow.record(
        action=action,
        entity_type="SalesTarget",
        entity_id=target.id,
        changes=changes,
        summary=f"Sales target of {scope} for {period}: {amount}",
        event="SALES_TARGET_SET",
        payload={
            "userId": data.user_id,
            "periodStart": data.period_start,
            "periodEnd": data.period_end,
            "amount": amount,
        },
    )
    return target
