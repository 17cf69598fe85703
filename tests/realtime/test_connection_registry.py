"""The per-process registry of open WebSockets, in memory: caps, revocation, re-scoping, expiry, and
the hub handing it credential events only (the end-to-end cases are in test_revocation.py)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from services import access
from services.principal import Principal, PrincipalKind
from services.realtime.connections import ConnectionRegistry, TooManyConnections
from services.realtime.hub import EventHub, LoggedEvent

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
_ids = iter(range(1, 10_000))


def person(department: str = "MARKETING", role: str = "STAFF", id: uuid.UUID | None = None) -> Principal:
    return Principal(PrincipalKind.USER, id or uuid.uuid4(), "Pat", department=department, role=role)


def board_key() -> Principal:
    return Principal(PrincipalKind.API_KEY, uuid.uuid4(), "Hall screen", scope="board")


def event(type_: str, entity_id: uuid.UUID, **payload) -> LoggedEvent:
    entity = "ApiKey" if type_ == "API_KEY_REVOKED" else "User"
    return LoggedEvent(next(_ids), type_, entity, entity_id, payload, None, NOW)


class Socket:
    """What the registry needs of a connection: its context and a closer that records the code."""

    def __init__(self, principal: Principal):
        self.context = SimpleNamespace(principal=principal)
        self.closed: list[int] = []

    def admit(self, registry: ConnectionRegistry, **kwargs):
        return registry.admit(self.context, closer=lambda code, reason: self.closed.append(code), **kwargs)


def test_caps_are_per_credential_and_a_released_slot_is_reusable():
    registry = ConnectionRegistry(per_user=2, per_key=3)
    key, user = board_key(), person()
    admitted = [Socket(key).admit(registry) for _ in range(3)]
    with pytest.raises(TooManyConnections):
        Socket(key).admit(registry)
    Socket(board_key()).admit(registry)  # another key has its own count
    for _ in range(2):
        Socket(user).admit(registry)
    with pytest.raises(TooManyConnections):
        Socket(user).admit(registry)
    assert registry.count == 6
    registry.release(admitted[0])
    registry.release(admitted[0])  # twice is harmless
    Socket(key).admit(registry)
    assert registry.count == 6


def test_revocations_close_only_that_credentials_sockets_with_4401():
    registry = ConnectionRegistry(per_user=10, per_key=10)
    user, other, key = person(), person(), board_key()
    mine, theirs, board = Socket(user), Socket(other), Socket(key)
    for s in (mine, theirs, board):
        s.admit(registry, generation=0)
    registry.on_event(event("USER_DEACTIVATED", user.id, tokenGeneration=1))
    registry.on_event(event("API_KEY_REVOKED", key.id))
    assert (mine.closed, theirs.closed, board.closed) == ([4401], [], [4401])


def test_a_change_read_while_the_credential_was_checked_still_reaches_the_socket():
    """The hub read the deactivation after the credential check passed but before the socket was
    registered: `seen_up_to` (the hub's position before the check) makes admit apply it."""
    registry = ConnectionRegistry(per_user=10, per_key=10)
    user = person()
    seen_up_to = 0
    deactivated = event("USER_DEACTIVATED", user.id, tokenGeneration=1)
    registry.on_event(deactivated)  # nobody registered yet
    late = Socket(user)
    late.admit(registry, generation=0, seen_up_to=seen_up_to)
    assert late.closed == [4401]
    # A token issued after a later re-activation has a newer generation and is not touched.
    fresh = Socket(user)
    fresh.admit(registry, generation=2, seen_up_to=seen_up_to)
    # A socket admitted after the hub's position passed the event is not touched either.
    after = Socket(user)
    after.admit(registry, generation=0, seen_up_to=deactivated.id)
    assert (fresh.closed, after.closed) == ([], [])


def test_a_role_change_swaps_the_principal_and_closes_with_4403_only_when_it_may_no_longer_subscribe(monkeypatch):
    registry = ConnectionRegistry(per_user=10, per_key=10)
    user = person("MARKETING", "STAFF")
    socket = Socket(user)
    socket.admit(registry, generation=0)
    registry.on_event(event("USER_UPDATED", user.id, name="Pat", department="SERVICE", role="STAFF"))
    assert socket.context.principal == person("SERVICE", "STAFF", id=user.id)
    assert access.column_of(socket.context.principal) == "service" and socket.closed == []
    # Were a column without SUBSCRIBE to exist, moving into it would close the socket.
    monkeypatch.setitem(access.MATRIX, "supervisor", access.MATRIX["supervisor"] - {access.Action.SUBSCRIBE})
    registry.on_event(event("USER_UPDATED", user.id, name="Pat", department="SERVICE", role="SUPERVISOR"))
    assert socket.closed == [4403]


async def test_a_login_token_closes_its_socket_at_its_expiry():
    registry = ConnectionRegistry(per_user=10, per_key=10)
    expiring, lasting = Socket(person()), Socket(person())
    expiring.admit(registry, generation=0, expires_at=NOW + timedelta(seconds=0.2), now=NOW)
    released = lasting.admit(registry, generation=0, expires_at=NOW + timedelta(seconds=0.2), now=NOW)
    registry.release(released)  # closed before its expiry: its timer goes with it
    await asyncio.sleep(0.1)
    assert expiring.closed == []
    await asyncio.sleep(0.3)
    assert (expiring.closed, lasting.closed) == ([4401], [])


def test_the_hub_hands_the_registry_credential_events_only():
    seen: list[str] = []
    hub = EventHub(None, connections=SimpleNamespace(on_event=lambda e: seen.append(e.type)))  # type: ignore[arg-type]
    for type_ in (
        "CUSTOMER_UPDATED",
        "USER_UPDATED",
        "TICKET_OPENED",
        "USER_REACTIVATED",
        "API_KEY_REVOKED",
        "USER_DEACTIVATED",
    ):
        hub._dispatch(event(type_, uuid.uuid4()))
    assert seen == ["USER_UPDATED", "API_KEY_REVOKED", "USER_DEACTIVATED"]
