"""Credentials: password hashing, login tokens, API keys, and sign-in throttling."""
from __future__ import annotations

import asyncio
import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import ApiKey, User
from db.repositories import accounts as accounts_repo
from services.errors import DomainError, ErrorCode
from services.principal import Principal, PrincipalKind

_hasher = PasswordHasher()
# Verified against when the email is unknown, so a miss costs the same time as a wrong password.
_DUMMY_HASH = _hasher.hash("not-a-real-password")

API_KEY_PREFIX = "tdk_"
TOKEN_ALGORITHM = "HS256"
FREE_FAILURES = 5  # failed sign-ins per email before each next attempt has to wait
MAX_LOCKOUT = timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 8


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise DomainError(
            ErrorCode.VALIDATION, f"password must be at least {MIN_PASSWORD_LENGTH} characters", ["password"]
        )


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def hash_api_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_api_key() -> str:
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


def lockout_for(failures: int) -> timedelta:
    """Exponential back-off after the free attempts: 1 s, 2 s, 4 s … capped at 15 minutes."""
    if failures < FREE_FAILURES:
        return timedelta(0)
    return min(timedelta(seconds=2 ** min(failures - FREE_FAILURES, 20)), MAX_LOCKOUT)


@dataclass(frozen=True)
class TokenService:
    secret: str
    ttl: timedelta

    def issue(self, user: User, now: datetime) -> str:
        claims = {
            "sub": str(user.id),
            "gen": user.token_generation,
            "iat": int(now.timestamp()),
            "exp": int((now + self.ttl).timestamp()),
            "typ": "access",
        }
        return jwt.encode(claims, self.secret, algorithm=TOKEN_ALGORITHM)

    def decode(self, token: str, now: datetime) -> tuple[uuid.UUID, int] | None:
        try:
            claims = jwt.decode(
                token,
                self.secret,
                algorithms=[TOKEN_ALGORITHM],
                # Time claims are judged by the app's clock below, never by this machine's wall clock.
                options={"require": ["sub", "exp", "iat"], "verify_exp": False, "verify_iat": False},
            )
            if claims.get("typ") != "access" or int(claims["exp"]) <= now.timestamp():
                return None
            return uuid.UUID(claims["sub"]), int(claims.get("gen", 0))
        except (jwt.PyJWTError, ValueError, KeyError):
            return None


@dataclass
class LoginResult:
    token: str | None
    user: User | None
    error: DomainError | None


async def login(session: AsyncSession, tokens: TokenService, email: str, password: str, now: datetime) -> LoginResult:
    """Check the credentials. Every failure reads the same, whether or not the email exists."""
    email = (email or "").strip().lower()
    await accounts_repo.lock_sign_in(session, email)
    throttle = await accounts_repo.throttle_of(session, email)
    if throttle is not None:
        wait_until = throttle.last_failure_at + lockout_for(throttle.failures)
        if wait_until > now:
            seconds = max(1, int((wait_until - now).total_seconds() + 0.999))
            return LoginResult(None, None, DomainError(
                ErrorCode.RATE_LIMITED, f"too many failed sign-ins for this email; try again in {seconds} s"
            ))
    user = await accounts_repo.user_by_email(session, email)
    # Argon2 is slow on purpose: off the event loop, so a sign-in does not stall every other request.
    ok = await asyncio.to_thread(_verify, user.password_hash if user else _DUMMY_HASH, password or "")
    if not (user and ok and user.active):
        await accounts_repo.record_login_failure(session, email, now)
        return LoginResult(None, None, DomainError(ErrorCode.UNAUTHENTICATED, "invalid email or password"))
    await accounts_repo.clear_login_failures(session, email)
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = await asyncio.to_thread(hash_password, password)
    return LoginResult(tokens.issue(user, now), user, None)


async def authenticate(session: AsyncSession, tokens: TokenService, credential: str, now: datetime) -> Principal | None:
    """Turn a bearer credential (login token or API key) into a Principal; None when not valid."""
    credential = credential.strip()
    if credential.startswith(API_KEY_PREFIX):
        key = await accounts_repo.api_key_by_hash(session, hash_api_key(credential))
        if key is None or key.revoked_at is not None:
            return None
        await accounts_repo.touch_api_key(session, key.id, now)
        return principal_of_key(key)
    decoded = tokens.decode(credential, now)
    if decoded is None:
        return None
    user_id, generation = decoded
    user = await accounts_repo.user_by_id(session, user_id)
    if user is None or not user.active or user.token_generation != generation:
        return None
    return principal_of_user(user)


def principal_of_user(user: User) -> Principal:
    return Principal(PrincipalKind.USER, user.id, user.name, department=user.department, role=user.role)


def principal_of_key(key: ApiKey) -> Principal:
    return Principal(PrincipalKind.API_KEY, key.id, key.name, scope=key.scope)
