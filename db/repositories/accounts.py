"""Users, API keys and sign-in throttling."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Unpack

from sqlalchemy import Select, case, delete, func, literal_column, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import ApiKey, LoginThrottle, User
from db.models.accounts import LoginAddressThrottle
from db.repositories import rate_limits as rate_limits_repo
from db.repositories import rows
from db.repositories.pagination import Page, SortKey, Window, by_uuid, fetch_page

_users = rows.Table(User)
user_by_id = _users.get
users_by_ids = _users.by_ids


async def user_by_email(session: AsyncSession, email: str) -> User | None:
    return (await session.scalars(select(User).where(func.lower(User.email) == email.lower()))).one_or_none()


async def longest_standing_active(
    session: AsyncSession, roles: Sequence[str], department: str | None = None
) -> User | None:
    """The active person with one of `roles` (of `department`, if given) whose account is the oldest."""
    stmt = select(User).where(User.active.is_(True), User.role.in_(list(roles)))
    if department is not None:
        stmt = stmt.where(User.department == department)
    return (await session.scalars(stmt.order_by(User.created_at, User.id).limit(1))).first()


async def any_user(session: AsyncSession) -> bool:
    return (await session.scalar(select(User.id).limit(1))) is not None


# The order of `users` lists (also the compiled read path's, schema/compiled/lists.py).
USER_PAGE_KEYS = [SortKey(func.lower(User.name)), by_uuid(User.id)]


async def users_page(
    session: AsyncSession, *, department: str | None, active: bool | None, **window: Unpack[Window]
) -> Page[User]:
    stmt = select(User)
    if department:
        stmt = stmt.where(User.department == department)
    if active is not None:
        stmt = stmt.where(User.active.is_(active))
    return await fetch_page(session, stmt, USER_PAGE_KEYS, **window)


async def api_key_by_hash(session: AsyncSession, key_hash: str) -> ApiKey | None:
    return (await session.scalars(select(ApiKey).where(ApiKey.key_hash == key_hash))).one_or_none()


async def api_key_by_id(session: AsyncSession, key_id: uuid.UUID) -> ApiKey | None:
    return await session.get(ApiKey, key_id)


api_keys_by_ids = rows.Table(ApiKey).by_ids


TOUCH_EVERY_MINUTES = 1  # an API key's last use is recorded at most this often


async def touch_api_key(session: AsyncSession, key_id: uuid.UUID, now: datetime) -> None:
    """Record use at most once a minute, so busy boards do not write on every request."""
    every = func.make_interval(0, 0, 0, 0, 0, TOUCH_EVERY_MINUTES)
    await session.execute(
        update(ApiKey)
        .where(ApiKey.id == key_id)
        .where((ApiKey.last_used_at.is_(None)) | (ApiKey.last_used_at < now - every))
        .values(last_used_at=now)
    )


def guarded_by_credential(sql: str, kind: str, first: int) -> str:
    """`sql` (a SELECT of one text value, schema/compiled's statement) answered only while the
    credential still holds, else NULL: for a user ("user", parameters id, token generation, role,
    department from `$first` on) the row active with those values; for an API key ("key": key hash,
    scope, limit, window seconds, now) not revoked and of that scope, its use touched as `touch_api_key`
    does and counted against its rate limit."""
    users, keys = User.__tablename__, ApiKey.__tablename__
    a, b, c, d = (f"${first + i}" for i in range(4))
    if kind == "user":
        return (
            f"SELECT CASE WHEN EXISTS (SELECT 1 FROM {users} WHERE id = {a}::uuid AND active "
            f"AND token_generation = {b}::integer AND role = {c}::varchar AND department = {d}::varchar) "
            f"THEN ({sql}) END"
        )
    # A data-modifying WITH runs once, whether or not the query reads it; it sees the same snapshot.
    # The key's request is counted against its rate limit in the same statement (services/rate_limits.py;
    # parameters from `$first`: key hash, scope, limit, window seconds, now): `counted` has a row only
    # while the key holds, and over its limit the answer is rate_limits_repo.LIMITED and the window start.
    e = f"${first + 4}::timestamptz"
    stale = f"{e} - interval '{TOUCH_EVERY_MINUTES} minutes'"
    key = f"FROM {keys} WHERE key_hash = {a}::varchar AND revoked_at IS NULL"
    counted = rate_limits_repo.counting(
        f"SELECT id, {e}, 1 {key} AND scope = {b}::varchar", e, f"{d}::integer", f"{c}::integer"
    )
    return (
        f"WITH touched AS (UPDATE {keys} SET last_used_at = {e} WHERE key_hash = {a}::varchar "
        f"AND revoked_at IS NULL AND (last_used_at IS NULL OR last_used_at < {stale})), counted AS ({counted}), "
        f"rate_commit AS ({rate_limits_repo.QUICK_COMMIT}) "
        f"SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM counted) THEN NULL "
        f"WHEN (SELECT requests FROM counted) > {c}::integer "
        f"THEN '{rate_limits_repo.LIMITED}' || extract(epoch FROM (SELECT window_start FROM counted))::text "
        f"ELSE ({sql}) END FROM rate_commit"
    )


@functools.cache
def credential_check(kind: str) -> str:
    """One statement answering non-NULL while the credential holds (`guarded_by_credential`'s check alone)."""
    return guarded_by_credential("SELECT 'true'::text", kind, 1)  # text, as a compiled read's answer


async def lock_sign_in(session: AsyncSession, address: str) -> None:
    """Serialise the throttle bookkeeping of one client address until the transaction ends, so that
    parallel guesses are counted one after another instead of all passing the check at once. Every
    pair row (email, address) belongs to one address, so this one lock covers both counters. The
    transaction holding it is short: the slow password check runs outside it (services/auth.py)."""
    await session.execute(select(func.pg_advisory_xact_lock(func.hashtext(f"login:{address}"))))


async def throttles_of(
    session: AsyncSession, email: str, address: str
) -> tuple[LoginThrottle | None, LoginAddressThrottle | None]:
    """The (email, address) counter and the address counter, as stored (forgotten ones included)."""
    pair = await session.get(LoginThrottle, (email, address), populate_existing=True)
    per_address = await session.get(LoginAddressThrottle, address, populate_existing=True)
    return pair, per_address


async def store_failures(
    session: AsyncSession,
    email: str,
    address: str,
    now: datetime,
    *,
    pair: tuple[int, datetime],
    per_address: tuple[int, datetime],
) -> None:
    """Write both counters: `pair` and `per_address` are (failures, forget_at) as computed by the caller,
    which holds the address lock and has read the current values."""
    for model, key, (failures, forget_at) in (
        (LoginThrottle, {"email": email, "address": address}, pair),
        (LoginAddressThrottle, {"address": address}, per_address),
    ):
        values = {"failures": failures, "last_failure_at": now, "forget_at": forget_at}
        stmt = insert(model).values(**key, **values)
        await session.execute(stmt.on_conflict_do_update(index_elements=list(key), set_=values))


async def forgive_attempt(
    session: AsyncSession,
    email: str,
    address: str,
    *,
    counted: tuple[int, datetime],
    previous_failure_at: datetime | None,
) -> None:
    """A sign-in succeeded: its (email, address) counter goes, and the failure it had counted against
    the address in advance is taken back (only that one: other emails' failures stay counted).

    `counted` is the (failures, last_failure_at) that attempt wrote; when no other attempt has counted
    since, the address's previous last failure comes back too, so its back-off runs from that again."""
    await session.execute(delete(LoginThrottle).where(LoginThrottle.email == email, LoginThrottle.address == address))
    row = LoginAddressThrottle
    untouched = (row.failures == counted[0]) & (row.last_failure_at == counted[1])
    await session.execute(
        update(row)
        .where(row.address == address)
        .values(
            failures=func.greatest(row.failures - 1, 0),
            last_failure_at=case((untouched, previous_failure_at or row.last_failure_at), else_=row.last_failure_at),
        )
    )


PRUNE_BATCH = 200


async def prune_throttles(session: AsyncSession, now: datetime) -> None:
    """Delete forgotten counters, a bounded batch per call (each failed sign-in calls it and adds at
    most two rows, so the backlog cannot grow). SKIP LOCKED: concurrent sign-ins never wait on each
    other here, nor deadlock over the same old rows."""
    for model in (LoginThrottle, LoginAddressThrottle):
        doomed: Select[Any] = (
            select(literal_column("ctid"))
            .select_from(model)
            .where(model.forget_at <= now)
            .limit(PRUNE_BATCH)
            .with_for_update(skip_locked=True)
        )
        await session.execute(delete(model).where(literal_column("ctid").in_(doomed.scalar_subquery())))


async def all_api_keys(session: AsyncSession) -> list[ApiKey]:
    return list((await session.scalars(select(ApiKey).order_by(ApiKey.created_at, ApiKey.id))).all())
