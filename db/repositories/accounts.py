"""Users, API keys and sign-in throttling."""
from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import ApiKey, LoginThrottle, User
from db.repositories.pagination import Page, by_uuid, fetch_page, SortKey


async def user_by_id(session: AsyncSession, user_id: uuid.UUID, *, for_update: bool = False) -> User | None:
    stmt = select(User).where(User.id == user_id)
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.scalars(stmt)).one_or_none()


async def users_by_ids(session: AsyncSession, ids: Iterable[uuid.UUID]) -> list[User]:
    return list((await session.scalars(select(User).where(User.id.in_(list(ids))))).all())


async def user_by_email(session: AsyncSession, email: str) -> User | None:
    return (await session.scalars(select(User).where(func.lower(User.email) == email.lower()))).one_or_none()


async def any_user(session: AsyncSession) -> bool:
    return (await session.scalar(select(User.id).limit(1))) is not None


async def users_page(
    session: AsyncSession, *, first: int, after: str | None, department: str | None, active: bool | None
) -> Page:
    stmt = select(User)
    if department:
        stmt = stmt.where(User.department == department)
    if active is not None:
        stmt = stmt.where(User.active.is_(active))
    keys = [SortKey(func.lower(User.name)), by_uuid(User.id)]
    return await fetch_page(session, stmt, keys, first=first, after=after)


async def api_key_by_hash(session: AsyncSession, key_hash: str) -> ApiKey | None:
    return (await session.scalars(select(ApiKey).where(ApiKey.key_hash == key_hash))).one_or_none()


async def api_key_by_id(session: AsyncSession, key_id: uuid.UUID) -> ApiKey | None:
    return await session.get(ApiKey, key_id)


async def api_keys_by_ids(session: AsyncSession, ids: Iterable[uuid.UUID]) -> list[ApiKey]:
    return list((await session.scalars(select(ApiKey).where(ApiKey.id.in_(list(ids))))).all())


async def touch_api_key(session: AsyncSession, key_id: uuid.UUID, now: datetime) -> None:
    """Record use at most once a minute, so busy boards do not write on every request."""
    await session.execute(
        update(ApiKey)
        .where(ApiKey.id == key_id)
        .where((ApiKey.last_used_at.is_(None)) | (ApiKey.last_used_at < now - func.make_interval(0, 0, 0, 0, 0, 1)))
        .values(last_used_at=now)
    )


async def lock_sign_in(session: AsyncSession, email: str) -> None:
    """Serialise sign-in attempts for one email until the transaction ends, so that parallel guesses
    are counted one after another instead of all passing the throttle check at once."""
    await session.execute(select(func.pg_advisory_xact_lock(func.hashtext(f"login:{email.lower()}"))))


async def throttle_of(session: AsyncSession, email: str) -> LoginThrottle | None:
    return await session.get(LoginThrottle, email.lower())


async def record_login_failure(session: AsyncSession, email: str, now: datetime) -> None:
    stmt = insert(LoginThrottle).values(email=email.lower(), failures=1, last_failure_at=now)
    stmt = stmt.on_conflict_do_update(
        index_elements=[LoginThrottle.email],
        set_={"failures": LoginThrottle.failures + 1, "last_failure_at": now},
    )
    await session.execute(stmt)


async def clear_login_failures(session: AsyncSession, email: str) -> None:
    row = await session.get(LoginThrottle, email.lower())
    if row is not None:
        await session.delete(row)


async def all_api_keys(session: AsyncSession) -> list[ApiKey]:
    return list((await session.scalars(select(ApiKey).order_by(ApiKey.created_at, ApiKey.id))).all())
