"""User and API-key administration (admins only; also used by the CLI)."""

from __future__ import annotations

import asyncio
import re
import uuid
from dataclasses import dataclass

from db.models import ApiKey, User
from db.repositories import accounts as accounts_repo
from services import auth
from services.errors import DomainError, ErrorCode, check_version, not_found
from services.i18n import T
from services.rules.accounts import API_KEY_SCOPES, DEPARTMENTS, ROLES
from services.unit_of_work import Subject, UnitOfWork
from services.validation import Validator

# One "@" with something before it and a dotted domain after it, no spaces: catches typos; not RFC 5322.
_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")


@dataclass
class NewUser:
    email: str
    name: str
    department: str
    role: str
    password: str


async def create_user(uow: UnitOfWork, data: NewUser) -> User:
    v = Validator()
    email = v.text(data.email, "email", "email", required=True, max_len=320)
    name = v.text(data.name, "name", "name", required=True)
    v.require(email is None or _EMAIL.fullmatch(email) is not None, "email is not a valid address", "email")
    v.require(
        data.department in DEPARTMENTS,
        T("department must be one of {choices}", choices=", ".join(DEPARTMENTS)),
        "department",
    )
    v.require(data.role in ROLES, T("role must be one of {choices}", choices=", ".join(ROLES)), "role")
    v.require(
        len(data.password or "") >= auth.MIN_PASSWORD_LENGTH,
        T("password must be at least {n} characters", n=auth.MIN_PASSWORD_LENGTH),
        "password",
    )
    v.raise_if_any()
    assert email and name
    if await accounts_repo.user_by_email(uow.session, email):
        raise DomainError(ErrorCode.DUPLICATE, T("a user with email {email} already exists", email=email), ["email"])
    user = User(
        id=uuid.uuid4(),
        email=email.lower(),
        name=name,
        department=data.department,
        role=data.role,
        active=True,
        password_hash=await asyncio.to_thread(auth.hash_password, data.password),
        token_generation=0,
    )
    uow.session.add(user)
    await uow.session.flush()
    uow.record_about(Subject("User", user.id), "user.created", f"User {name} ({data.department} {data.role}) created")
    return user


async def update_user(
    uow: UnitOfWork,
    user_id: uuid.UUID,
    *,
    expected_version: int | None,
    name: str | None = None,
    department: str | None = None,
    role: str | None = None,
) -> User:
    user = await _user_to_change(uow, user_id, expected_version)
    v = Validator()
    if name is not None:
        name = v.text(name, "name", "name", required=True)
    v.require(department is None or department in DEPARTMENTS, "unknown department", "department")
    v.require(role is None or role in ROLES, "unknown role", "role")
    v.raise_if_any()
    if uow.actor and uow.actor.id == user.id and role is not None and role != "ADMIN" and user.role == "ADMIN":
        raise DomainError(ErrorCode.VALIDATION, "admins cannot remove their own admin role", ["role"])
    changes = {}
    for field, value in (("name", name), ("department", department), ("role", role)):
        if value is not None and getattr(user, field) != value:
            changes[field] = [getattr(user, field), value]
            setattr(user, field, value)
    if changes:
        await uow.session.flush()
        # The event carries the user's new values: every server process re-scopes the user's open
        # WebSockets from it (services/realtime/connections.py).
        uow.record_about(
            Subject("User", user.id),
            "user.updated",
            f"User {user.name} updated: {', '.join(changes)}",
            "USER_UPDATED",
            changes=changes,
            payload={"fields": sorted(changes), "name": user.name, "department": user.department, "role": user.role},
        )
    return user


async def set_user_active(uow: UnitOfWork, user_id: uuid.UUID, active: bool, expected_version: int | None) -> User:
    user = await _user_to_change(uow, user_id, expected_version)
    if not active and uow.actor and uow.actor.id == user.id:
        raise DomainError(ErrorCode.VALIDATION, "you cannot deactivate your own account", ["userId"])
    if user.active != active:
        user.active = active
        # Invalidates every token issued before: a deactivated user is signed out everywhere.
        user.token_generation += 1
        await uow.session.flush()
        # On USER_DEACTIVATED every server process closes the user's sockets opened with an older token.
        uow.record_about(
            Subject("User", user.id),
            "user.activated" if active else "user.deactivated",
            f"User {user.name} {'re' if active else 'de'}activated",
            "USER_REACTIVATED" if active else "USER_DEACTIVATED",
            changes={"active": [not active, active]},
            payload={"tokenGeneration": user.token_generation},
        )
    return user


async def create_api_key(uow: UnitOfWork, name: str, scope: str) -> tuple[ApiKey, str]:
    """Returns the row and the key itself; the key is never stored and cannot be shown again."""
    v = Validator()
    clean_name = v.text(name, "name", "name", required=True)
    v.require(scope in API_KEY_SCOPES, T("scope must be one of {choices}", choices=", ".join(API_KEY_SCOPES)), "scope")
    v.raise_if_any()
    secret = auth.new_api_key()
    key = ApiKey(
        id=uuid.uuid4(),
        name=clean_name,
        scope=scope,
        key_hash=auth.hash_api_key(secret),
        prefix=secret[: len(auth.API_KEY_PREFIX) + 6],
        created_by_id=uow.actor_id,
    )
    uow.session.add(key)
    await uow.session.flush()
    uow.record_about(Subject("ApiKey", key.id), "api_key.created", f"API key {clean_name} ({scope}) created")
    return key, secret


async def revoke_api_key(uow: UnitOfWork, key_id: uuid.UUID) -> ApiKey:
    key = await accounts_repo.api_key_by_id(uow.session, key_id)
    if key is None:
        raise not_found("API key", "apiKeyId")
    if key.revoked_at is None:
        key.revoked_at = uow.now
        await uow.session.flush()
        uow.record_about(Subject("ApiKey", key.id), "api_key.revoked", f"API key {key.name} revoked", "API_KEY_REVOKED")
        # API_KEY_REVOKED closes the key's sockets.
    return key


async def _user_to_change(uow: UnitOfWork, user_id: uuid.UUID, expected_version: int | None) -> User:
    """The user, locked, at the version the caller saw."""
    user = await accounts_repo.user_by_id(uow.session, user_id, for_update=True)
    if user is None:
        raise not_found("user", "userId")
    check_version("user", expected_version, user.version)
    return user
