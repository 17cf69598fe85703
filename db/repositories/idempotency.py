"""Idempotency records for create mutations."""

from __future__ import annotations

import uuid

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import IdempotencyRecord


async def claim(session: AsyncSession, principal: str, operation: str, key: str, request_hash: str) -> bool:
    """Claim the key for this transaction. False when it was already used.

    A concurrent claim of the same key waits on the unique index until the first transaction ends,
    then sees its record: two racing retries still create one thing.
    """
    stmt = (
        insert(IdempotencyRecord)
        .values(id=uuid.uuid4(), principal=principal, operation=operation, key=key, request_hash=request_hash)
        .on_conflict_do_nothing(index_elements=["principal", "operation", "key"])
        .returning(IdempotencyRecord.id)
    )
    return (await session.execute(stmt)).scalar_one_or_none() is not None


async def existing(session: AsyncSession, principal: str, operation: str, key: str) -> IdempotencyRecord | None:
    stmt = select(IdempotencyRecord).where(
        IdempotencyRecord.principal == principal, IdempotencyRecord.operation == operation, IdempotencyRecord.key == key
    )
    return (await session.scalars(stmt)).one_or_none()


async def store_result(session: AsyncSession, principal: str, operation: str, key: str, result_id: uuid.UUID) -> None:
    await session.execute(
        update(IdempotencyRecord)
        .where(
            IdempotencyRecord.principal == principal,
            IdempotencyRecord.operation == operation,
            IdempotencyRecord.key == key,
        )
        .values(result_id=result_id)
    )
