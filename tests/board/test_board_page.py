"""The board in a real headless Chromium: it shows the tickets, follows changes live, recovers from a
server killed and restarted (showing what changed meanwhile exactly once), and says so full-screen
when its key is revoked. No CSP violation anywhere (tests/board/support.py). Recovery from a killed
server: test_board_recovery.py."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.board.support import (
    ESCALATE,
    RESOLVE,
    REVOKE,
    act,
    csp_violations,
    customer,
    mutate,
    open_board,
    open_ticket,
)

pytestmark = pytest.mark.timeout(240)


async def test_the_board_shows_the_tickets_and_moves_them_live(server, people, context):
    harbor = await customer(server, people["marketing"], "Harbor Foods")
    noise = await open_ticket(server, people["marketing"], harbor, "Compressor noise at night")
    leak = await open_ticket(server, people["marketing"], harbor, "Water under the unit", "QUALITY_ISSUE", "URGENT")
    board = await open_board(context, server, people["board"])
    await board.wait_column(noise["id"], "NEW", timeout=5000)
    await board.wait_column(leak["id"], "NEW", timeout=5000)
    assert await board.page.text_content(f'[data-ticket-id="{leak["id"]}"] .card-subject') == "Water under the unit"
    # The key is in the browser's storage, never in the URL.
    assert await board.page.evaluate("localStorage.getItem('tandem.board.key')") == people["board"]
    assert people["board"] not in board.page.url

    service = people["service"]
    await act(server, service, "acknowledgeTicket", noise["id"])
    await board.wait_column(noise["id"], "ACKNOWLEDGED")
    await mutate(server, service, ESCALATE, {"t": noise["id"], "p": [people["marketing_id"]]})
    await board.wait_column(noise["id"], "ESCALATED")
    # Announced in the side strip both departments see.
    await board.page.wait_for_selector('.announcement[data-type="TICKET_ESCALATED"]', timeout=1000)
    await mutate(server, service, RESOLVE, {"t": noise["id"]})
    await board.wait_column(noise["id"], "RESOLVED")
    assert await board.column_of(noise["id"]) == ["RESOLVED"]
    # SLA: a word and a shape, not only a colour, and a countdown.
    sla = await board.page.text_content(f'[data-ticket-id="{leak["id"]}"] .card-sla')
    assert "On track" in sla and "●" in sla and " in " in sla
    assert await csp_violations(board) == []
    assert board.errors == []


async def test_filters_in_the_url_choose_the_tickets_and_the_language(server, people, context):
    harbor = await customer(server, people["marketing"], "Harbor Foods")
    urgent = await open_ticket(server, people["marketing"], harbor, "Unit stopped", "COMPLAINT", "URGENT")
    low = await open_ticket(server, people["marketing"], harbor, "Manual wanted", "INQUIRY", "LOW")
    board = await open_board(context, server, people["board"], "?priority=URGENT&lang=zh-Hant")
    await board.wait_column(urgent["id"], "NEW", timeout=5000)
    assert await board.column_of(low["id"]) == []
    assert await board.page.text_content('[data-column="NEW"] .column-name') == "新建"
    assert await board.page.get_attribute("html", "lang") == "zh-Hant"
    # A ticket that leaves the filter leaves the board; one that joins it appears.
    await mutate(server, people["service"], CHANGE_PRIORITY, {"t": urgent["id"], "p": "NORMAL"})
    await board.page.wait_for_selector(f'[data-ticket-id="{urgent["id"]}"]', state="detached", timeout=1000)
    await mutate(server, people["service"], CHANGE_PRIORITY, {"t": low["id"], "p": "URGENT"})
    await board.wait_column(low["id"], "NEW")
    assert await csp_violations(board) == []


CHANGE_PRIORITY = (
    "mutation($t: ID!, $p: TicketPriority!) { changeTicketPriority(input: {ticketId: $t, priority: $p}) "
    "{ ticket { priority } errors { message } } }"
)


async def test_a_revoked_key_shows_a_full_screen_message_and_stops(server, people, context):
    board = await open_board(context, server, people["board"])
    keys = (await server.mutate(people["admin"], "{ apiKeys { id name } }"))["apiKeys"]
    key_id = next(k["id"] for k in keys if k["name"] == "Hall screen")
    await mutate(server, people["admin"], REVOKE, {"k": key_id})
    await board.page.wait_for_selector("#revoked", state="visible", timeout=5000)
    assert "revoked" in (await board.page.text_content("#revoked")).lower()
    assert await board.page.is_hidden("#board")
    # It stops trying: no reconnection in the next seconds.
    started = time.monotonic()
    await asyncio.sleep(2)
    assert await board.page.get_attribute("body", "data-screen") == "revoked", time.monotonic() - started
    # Signing in again with the revoked key is refused with a clear message; nothing is stored.
    await board.page.click("#signin-again")
    await board.page.fill("#key", people["board"])
    await board.page.click("#signin-form button[type=submit]")
    await board.page.wait_for_selector("#signin-error:has-text('refused')", timeout=5000)
    assert await board.page.evaluate("localStorage.getItem('tandem.board.key')") is None
    assert await csp_violations(board) == []
