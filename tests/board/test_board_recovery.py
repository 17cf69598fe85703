"""The board survives the real world: a server SIGKILLed and restarted on its port (the board resumes
every stream after its last cursor and shows what changed meanwhile exactly once, on one socket), and
a cursor the event log no longer holds (CURSOR_EXPIRED: the board refetches its snapshot)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.board.support import act, csp_violations, customer, open_board, open_ticket
from tests.support.realtime import Server, wait_for_health

pytestmark = pytest.mark.timeout(240)


@pytest.fixture
async def two_servers(db_url):
    """`first` serves the board; `other`, a second process on the same database, takes the changes
    while `first` is down."""
    first, other = await Server(db_url).start(), await Server(db_url).start()
    yield first, other
    first.stop()
    other.stop()


async def kill_and_wait(board, server: Server) -> None:
    server.kill()  # SIGKILL: no close frame, no goodbye
    await board.page.wait_for_selector('body[data-connection="waiting"]', timeout=10000)


async def test_a_killed_and_restarted_server_shows_the_change_made_meanwhile_once(two_servers, people, context):
    first, other = two_servers
    harbor = await customer(first, people["marketing"], "Harbor Foods")
    ticket = await open_ticket(first, people["marketing"], harbor, "Door seal worn")
    board = await open_board(context, first, people["board"])
    await board.wait_column(ticket["id"], "NEW", timeout=5000)

    await kill_and_wait(board, first)
    await act(other, people["service"], "acknowledgeTicket", ticket["id"])
    while_down = await open_ticket(other, people["marketing"], harbor, "Filter clogged")
    await first.start()  # on the same port

    await board.wait_column(ticket["id"], "ACKNOWLEDGED", timeout=30000)
    await board.wait_column(while_down["id"], "NEW", timeout=5000)
    await asyncio.sleep(1)  # a duplicate delivery would have arrived by now
    assert await board.column_of(ticket["id"]) == ["ACKNOWLEDGED"]
    assert await board.column_of(while_down["id"]) == ["NEW"]
    assert await board.page.get_attribute("body", "data-connection") == "connected"
    # One socket, with its three subscriptions: the reconnections left nothing behind.
    await wait_for_health(first, "connections", 1)
    await wait_for_health(first, "subscribers", 3)
    # And it is live again.
    await act(first, people["service"], "startTicketWork", ticket["id"])
    await board.wait_column(ticket["id"], "IN_PROGRESS")
    assert await csp_violations(board) == []
    assert [e for e in board.errors if "WebSocket" not in e and "Failed to load" not in e] == []


async def test_an_expired_cursor_makes_the_board_refetch_its_snapshot(two_servers, people, context, db_url):
    first, other = two_servers
    harbor = await customer(first, people["marketing"], "Harbor Foods")
    ticket = await open_ticket(first, people["marketing"], harbor, "Display flickers")
    board = await open_board(context, first, people["board"])
    await board.wait_column(ticket["id"], "NEW", timeout=5000)
    snapshots = await board.page.evaluate("performance.getEntriesByType('resource').length")

    engine = create_async_engine(db_url)
    async with engine.connect() as conn:
        seen = await conn.scalar(text("SELECT max(id) FROM events"))  # the board's cursor is no newer

    await kill_and_wait(board, first)
    await act(other, people["service"], "acknowledgeTicket", ticket["id"])
    while_down = await open_ticket(other, people["marketing"], harbor, "Remote lost")
    # Purged through just past what the board saw: its cursor is too old to resume from, while a new
    # snapshot's (after the two changes) is not.
    async with engine.begin() as conn:
        await conn.execute(text("UPDATE event_log_state SET purged_through = :n"), {"n": seen + 1})
    await engine.dispose()
    await first.start()

    await board.wait_column(ticket["id"], "ACKNOWLEDGED", timeout=30000)
    await board.wait_column(while_down["id"], "NEW", timeout=5000)
    assert await board.column_of(ticket["id"]) == ["ACKNOWLEDGED"]
    assert await board.column_of(while_down["id"]) == ["NEW"]
    # It read a new snapshot (a POST /graphql more), then follows live changes from its cursor.
    assert await board.page.evaluate("performance.getEntriesByType('resource').length") > snapshots
    await act(first, people["service"], "startTicketWork", ticket["id"])
    await board.wait_column(ticket["id"], "IN_PROGRESS")
    assert await board.column_of(ticket["id"]) == ["IN_PROGRESS"]
