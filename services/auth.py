"""Credentials: password hashing, login tokens, API keys, and sign-in throttling."""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.models import ApiKey, LoginThrottle, User
from db.models.accounts import LoginAddressThrottle
from db.repositories import accounts as accounts_repo
from services.errors import DomainError, ErrorCode
from services.i18n import T
from services.principal import Principal, PrincipalKind

_hasher = PasswordHasher()
# Verified against when the email is unknown, so a miss costs the same time as a wrong password.
_DUMMY_HASH = _hasher.hash("not-a-real-password")

API_KEY_PREFIX = "tdk_"
TOKEN_ALGORITHM = "HS256"
MAX_LOCKOUT = timedelta(minutes=15)
# A throttle counter whose back-off has ended and that then saw no failure for this long starts afresh
# (and its row may be pruned). Without it an office behind one address would collect typos for ever
# and end up locked; with it an attacker waiting it out gains little (a few guesses per hour).
FORGET_AFTER = timedelta(hours=1)
UNKNOWN_ADDRESS = "unknown"  # requests whose client address the server does not know share one counter
MIN_PASSWORD_LENGTH = 8


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def hash_api_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_api_key() -> str:
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


def lockout_for(failures: int, free: int) -> timedelta:
    """Exponential back-off after `free` failures: 1 s, 2 s, 4 s … capped at 15 minutes."""
    if failures < free:
        return timedelta(0)
    return min(timedelta(seconds=2 ** min(failures - free, 20)), MAX_LOCKOUT)


def client_key(host: str | None) -> str:
    """The address a sign-in is counted against. An IPv6 client counts by its /64 network: one host
    usually holds a whole /64, and one counter per address would let it guess without limit. IPv4
    (also IPv4-mapped IPv6) counts per address; no address at all counts as "unknown"."""
    if not host:
        return UNKNOWN_ADDRESS
    try:
        ip = ipaddress.ip_address(host.strip())
    except ValueError:
        return host.strip()[:64] or UNKNOWN_ADDRESS  # e.g. a unix socket: whatever the server reports
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


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

    def decode_with_expiry(self, token: str, now: datetime) -> tuple[uuid.UUID, int, datetime] | None:
        """`decode`, plus the instant the token expires: an open WebSocket signed in with it is closed then."""
        decoded = self.decode(token, now)
        if decoded is None:
            return None
        claims = jwt.decode(
            token, self.secret, algorithms=[TOKEN_ALGORITHM], options={"verify_exp": False, "verify_iat": False}
        )
        return (*decoded, datetime.fromtimestamp(int(claims["exp"]), UTC))


@dataclass
class LoginResult:
    token: str | None
    user: User | None
    error: DomainError | None


@dataclass(frozen=True)
class LoginLimits:
    """Failures before back-off (settings `login_failures_per_account` / `login_failures_per_address`)."""

    per_account: int = 5
    per_address: int = 50


_INVALID = T("invalid email or password")


def _counter(row: LoginThrottle | LoginAddressThrottle | None, free: int, now: datetime) -> tuple[int, datetime]:
    """(failures so far, end of the current back-off) of a stored counter; a forgotten one is empty."""
    if row is None or row.forget_at <= now:
        return 0, now
    return row.failures, row.last_failure_at + lockout_for(row.failures, free)


def _rate_limited(until: datetime, now: datetime, what: str) -> LoginResult:
    """`what`: the refusal's msgid, with `{seconds}` to wait."""
    seconds = max(1, int((until - now).total_seconds() + 0.999))
    return LoginResult(None, None, DomainError(ErrorCode.RATE_LIMITED, T(what, seconds=seconds)))


async def login(
    sessions: async_sessionmaker[AsyncSession],
    tokens: TokenService,
    email: str,
    password: str,
    address: str | None,
    now: datetime,
    limits: LoginLimits = LoginLimits(),
) -> LoginResult:
    """Check the credentials of a sign-in from client `address`.

    Throttled per (email, address) and per address, never per email alone: failures from one address
    slow down that address only, so nobody can lock a person out by failing on their email elsewhere.
    Every failure reads the same, and costs the same time, whether or not the email exists.

    Two short transactions around the slow password check, which holds neither a connection nor a
    lock: the first checks both counters and counts the attempt as a failure in advance (so parallel
    attempts see it), the second, after a correct password only, takes that count back (so a success
    from a throttled address does not restart the address's back-off, nor reset it).
    """
    email = (email or "").strip().lower()[:320]  # longer is no account's email (users.email is 320)
    address = client_key(address)
    async with sessions() as session, session.begin():
        await accounts_repo.lock_sign_in(session, address)
        pair_row, address_row = await accounts_repo.throttles_of(session, email, address)
        pair, pair_until = _counter(pair_row, limits.per_account, now)
        per_address, address_until = _counter(address_row, limits.per_address, now)
        # A refused attempt is not checked, so it does not extend the counters either.
        if address_until > now and address_until >= pair_until:
            return _rate_limited(
                address_until, now, "too many failed sign-ins from this address; try again in {seconds} s"
            )
        if pair_until > now:
            return _rate_limited(pair_until, now, "too many failed sign-ins for this email; try again in {seconds} s")
        await accounts_repo.prune_throttles(session, now)
        await accounts_repo.store_failures(
            session,
            email,
            address,
            now,
            pair=(pair + 1, _forget_at(pair + 1, limits.per_account, now)),
            per_address=(per_address + 1, _forget_at(per_address + 1, limits.per_address, now)),
        )
        user = await accounts_repo.user_by_email(session, email)
    # Argon2 is slow on purpose: off the event loop, so a sign-in does not stall every other request.
    checked_hash = user.password_hash if user else _DUMMY_HASH
    ok = await asyncio.to_thread(_verify, checked_hash, password or "")
    if not (user and ok and user.active):
        return LoginResult(None, None, DomainError(ErrorCode.UNAUTHENTICATED, _INVALID))  # already counted
    new_hash = None
    if _hasher.check_needs_rehash(checked_hash):
        new_hash = await asyncio.to_thread(hash_password, password)
    async with sessions() as session, session.begin():
        await accounts_repo.lock_sign_in(session, address)
        user = await accounts_repo.user_by_id(session, user.id, for_update=True)
        # Deactivated, or the hash replaced, while the password was being checked. A replaced hash is
        # usually a parallel sign-in's rehash of the same password; check again (rare, so here).
        changed = user is not None and user.password_hash != checked_hash
        if (
            user is None
            or not user.active
            or (changed and not await asyncio.to_thread(_verify, user.password_hash, password or ""))
        ):
            return LoginResult(None, None, DomainError(ErrorCode.UNAUTHENTICATED, _INVALID))
        await accounts_repo.forgive_attempt(
            session,
            email,
            address,
            counted=(per_address + 1, now),
            previous_failure_at=address_row.last_failure_at if address_row is not None and per_address else None,
        )
        if new_hash is not None and not changed:
            user.password_hash = new_hash
    return LoginResult(tokens.issue(user, now), user, None)


def _forget_at(failures: int, free: int, now: datetime) -> datetime:
    return now + lockout_for(failures, free) + FORGET_AFTER


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
