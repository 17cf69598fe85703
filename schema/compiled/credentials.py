"""Credentials checked once in full, then again by every compiled statement itself.

A read that compiles is one statement, the credential check included (issue 9): the first request
with a credential authenticates it as always (services/auth.py, its own statement) and remembers who
it is; later requests with it skip that statement, and the compiled statement answers only while the
stored rows still say the same: the user active, the token's generation current, the role and
department the plan was made for (they decide the permission scope); the API key not revoked and of
the same scope. When they do not, the statement answers NULL, the credential is forgotten and the
request is authenticated in full again (401 for a deactivated user, the new scope after a role
change). So a deactivated user's token stops working on its very next request, as before.

A request that does not compile (a mutation, a read on the reference executor) with a remembered
credential checks the same condition in one autocommit statement of its own
(`CompiledReads.credential_holds`) instead of the full authentication's transaction.

Only credentials that authenticated are remembered (a guessed token costs what it always did); the
cache is bounded, least recently used first out; a login token is dropped at its expiry.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services import auth
from services.principal import Principal

MAX_CREDENTIALS = 10_000


@dataclass(frozen=True)
class Known:
    """A credential that authenticated: who it is, and what the statement must find still true."""

    principal: Principal
    kind: str  # "user" | "key": which check accounts_repo.guarded_by_credential writes
    values: tuple[Any, ...]  # the check's parameters (the key's touch adds `now` per request)
    expires_at: datetime | None = None  # a login token's `exp`

    def parameters(self, now: datetime) -> tuple[Any, ...]:
        return (*self.values, now) if self.kind == "key" else self.values


class KnownCredentials:
    def __init__(self, tokens: auth.TokenService, size: int = MAX_CREDENTIALS):
        self._tokens = tokens
        self._size = size
        self._known: OrderedDict[str, Known] = OrderedDict()

    def __len__(self) -> int:
        return len(self._known)

    def get(self, credential: str, now: datetime) -> Known | None:
        known = self._known.get(credential)
        if known is None:
            return None
        if known.expires_at is not None and known.expires_at <= now:
            del self._known[credential]
            return None
        self._known.move_to_end(credential)
        return known

    def remember(self, credential: str, principal: Principal, now: datetime, rate: tuple[int, int] = (120, 60)) -> None:
        """After `credential` authenticated in full as `principal`. `rate`: an API key's requests per
        window and window seconds, which its statements count against (services/rate_limits.py)."""
        known: Known | None
        if credential.startswith(auth.API_KEY_PREFIX):
            known = Known(principal, "key", (auth.hash_api_key(credential), principal.scope, *rate))
        else:
            decoded = self._tokens.decode_with_expiry(credential, now)
            if decoded is None or decoded[0] != principal.id:
                return
            _, generation, expires_at = decoded
            known = Known(
                principal, "user", (principal.id, generation, principal.role, principal.department), expires_at
            )
        self._known[credential] = known
        self._known.move_to_end(credential)
        while len(self._known) > self._size:
            self._known.popitem(last=False)

    def forget(self, credential: str) -> None:
        self._known.pop(credential, None)
