"""The open WebSockets of this process, by credential: caps how many one credential may hold, and
closes or re-scopes them when the credential changes while they are open.

An account change is an event in the log like any other (USER_DEACTIVATED, USER_UPDATED,
API_KEY_REVOKED: services/accounts.py). Every process's hub reads every event and hands these types
to its registry before fanning the event (or any later one) out, so each process closes its own
sockets within the bus's wake-up of the commit — the poll interval at worst — and a revoked socket
gets no event committed after its revocation. A login token's expiry needs no event: each person's
connection has a timer at the token's `exp`.

Close codes: 4401 when the credential is no longer valid (deactivated user, older token generation,
revoked key, expired token), 4403 when the changed credential may no longer subscribe, 4429 when a
credential already holds its cap of connections on this process. The caps are counted per process:
with N server processes one credential may hold up to N x the cap in all. They are against one
client opening sockets without bound, which per-process counting bounds without shared state.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from services.access import Action, allowed
from services.principal import Principal, PrincipalKind

if TYPE_CHECKING:
    from services.realtime.hub import LoggedEvent

log = logging.getLogger("tandem.connections")

UNAUTHENTICATED = 4401
FORBIDDEN = 4403
TOO_MANY_CONNECTIONS = 4429

Key = tuple[str, str]  # (principal kind, id)


class SocketContext(Protocol):
    """What the registry needs of a socket's context (schema.context.Context): whom the socket speaks
    for. Every render and resolver of the socket reads it, so re-scoping swaps it there."""

    principal: Principal | None


class TooManyConnections(Exception):
    """The credential already holds its cap of open connections on this process."""


@dataclass(eq=False)
class Connection:
    """One open WebSocket whose credential was accepted at connection_init."""

    key: Key
    context: SocketContext
    generation: int | None  # the login token's generation (people only)
    closer: Callable[[int, str], None]  # starts closing the socket with that code; returns at once
    closing: bool = False  # set the moment it is revoked: its handler sends nothing more
    expiry: asyncio.TimerHandle | None = None
    # Called after its principal was swapped (a role or department change): its subscriptions
    # rejoin the cohorts of the new permission scope (web/ws_handlers.py).
    on_rescope: Callable[[], None] | None = None

    @property
    def principal(self) -> Principal:
        principal = self.context.principal
        assert principal is not None  # admitted with an accepted credential
        return principal

    def close(self, code: int, reason: str) -> None:
        if self.closing:
            return
        self.closing = True
        if self.expiry is not None:
            self.expiry.cancel()
        self.closer(code, reason)


def key_of(principal: Principal) -> Key:
    return (str(principal.kind), str(principal.id))


def _key_of_event(event: LoggedEvent) -> Key:
    kind = PrincipalKind.API_KEY if event.type == "API_KEY_REVOKED" else PrincipalKind.USER
    return (str(kind), str(event.entity_id))


class ConnectionRegistry:
    def __init__(self, *, per_user: int, per_key: int, history: int = 256):
        self.per_user = per_user
        self.per_key = per_key
        self.count = 0
        self._open: dict[Key, set[Connection]] = {}
        # The last credential events read, for connections admitted right after one: see `admit`.
        self._recent: deque[LoggedEvent] = deque(maxlen=history)

    def admit(
        self,
        context: SocketContext,
        *,
        closer: Callable[[int, str], None],
        generation: int | None = None,
        expires_at: datetime | None = None,
        now: datetime | None = None,
        seen_up_to: int | None = None,
    ) -> Connection:
        """Register a socket whose credential `context.principal` was just accepted, or raise
        TooManyConnections. `seen_up_to` is the hub's position before the credential was checked:
        a change committed after that check may already have been read by the hub (before this
        socket was registered), so the credential events read since are applied to it now."""
        principal = context.principal
        assert principal is not None  # the credential was just accepted
        key = key_of(principal)
        limit = self.per_user if principal.is_user else self.per_key
        connections = self._open.get(key)
        if connections is not None and len(connections) >= limit:
            raise TooManyConnections(
                f"too many connections: this credential may hold {limit} open WebSockets per server; close one first"
            )
        connection = Connection(key, context, generation, closer)
        self._open.setdefault(key, set()).add(connection)
        self.count += 1
        if expires_at is not None and now is not None:
            delay = max(0.0, (expires_at - now).total_seconds())
            connection.expiry = asyncio.get_running_loop().call_later(
                delay, connection.close, UNAUTHENTICATED, "login token expired: sign in again"
            )
        if seen_up_to is not None:
            for event in list(self._recent):
                if event.id > seen_up_to and _key_of_event(event) == key:
                    self._apply(event, [connection])
        return connection

    def release(self, connection: Connection) -> None:
        """The socket's handler ended (closed by either side)."""
        if connection.expiry is not None:
            connection.expiry.cancel()
        connections = self._open.get(connection.key)
        if connections is None or connection not in connections:
            return
        connections.discard(connection)
        self.count -= 1
        if not connections:
            del self._open[connection.key]

    def on_event(self, event: LoggedEvent) -> None:
        """Called by the hub, in log order, for each event of CREDENTIAL_TYPES (only those: the hub
        checks the type, so ordinary events cost nothing more here)."""
        self._recent.append(event)
        connections = self._open.get(_key_of_event(event))
        if connections:
            self._apply(event, list(connections))

    def _apply(self, event: LoggedEvent, connections: list[Connection]) -> None:
        payload = event.payload
        if event.type == "API_KEY_REVOKED":
            for connection in connections:
                connection.close(UNAUTHENTICATED, "API key revoked")
        elif event.type == "USER_DEACTIVATED":
            # A bump of the token generation: tokens issued before it are dead. (A token issued after
            # a later re-activation carries a newer generation and survives a replayed event.)
            generation = payload.get("tokenGeneration")
            for connection in connections:
                if generation is None or connection.generation is None or connection.generation < int(generation):
                    connection.close(UNAUTHENTICATED, "account deactivated")
        elif event.type == "USER_UPDATED":
            for connection in connections:
                self._rescope(connection, payload)

    @staticmethod
    def _rescope(connection: Connection, payload: dict[str, Any]) -> None:
        """A person's department or role changed. Their socket stays open and from now on acts with
        the new column of the authorization matrix: the principal of the connection is swapped, so
        every later render (the fan-out keys renders by permission scope) and every later resolver
        sees the new rights. Only when the new column may not subscribe is the socket closed (4403);
        in today's matrix every person may subscribe, so a role change always re-scopes."""
        current = connection.principal
        changed = dataclasses.replace(
            current,
            name=payload.get("name", current.name),
            department=payload.get("department", current.department),
            role=payload.get("role", current.role),
        )
        if changed == current:
            return
        connection.context.principal = changed
        if not allowed(changed, Action.SUBSCRIBE):
            connection.close(FORBIDDEN, "forbidden: this account may no longer subscribe")
        elif connection.on_rescope is not None:
            try:
                connection.on_rescope()
            except Exception:  # the socket's other subscriptions and the other sockets still move
                log.exception("moving the subscriptions of a re-scoped connection failed")
