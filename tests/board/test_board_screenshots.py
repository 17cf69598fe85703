"""Screenshots of the board at 1920×1080 in English and Simplified Chinese, with a morning's worth of
demo tickets, as board-en-1080p.png and board-zh-Hans-1080p.png. `make screenshots` runs this test with
TANDEM_BOARD_SCREENSHOTS=docs, which writes them where the README shows them; other runs write them to a
temporary folder (a test run leaves the checkout as it was). The same test checks what they show: every
column, an SLA breach first, the side strip."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from schema.ids import parse_global_id
from tests.board.support import ESCALATE, RESOLVE, act, csp_violations, customer, mutate, open_board, open_ticket
from tests.support.realtime import Server

pytestmark = pytest.mark.timeout(240)

ROOT = Path(__file__).resolve().parents[2]
ORDER = (
    'mutation($c: ID!) { createOrder(input: {customerId: $c, items: [{productModel: "CH-200", quantity: 2}], '
    'deliveryDate: "2027-01-15", contractValue: "48000.00"}) { order { id } errors { message } } }'
)
HAND_OFF = "mutation($o: ID!) { handOffOrder(input: {orderId: $o}) { order { status } errors { message } } }"
CONFIRM = "mutation($o: ID!) { confirmOrder(input: {orderId: $o}) { order { status } errors { message } } }"
ASSIGN = (
    "mutation($t: ID!, $a: ID!) { assignTicket(input: {ticketId: $t, assigneeId: $a}) "
    "{ ticket { status } errors { message } } }"
)
TICKETS = [  # customer, subject, kind, priority, how far it got
    ("华东冷链物流", "冷库温度波动", "QUALITY_ISSUE", "URGENT", "breached"),
    ("Harbor Foods", "Compressor noise at night", "COMPLAINT", "HIGH", "new"),
    ("北辰制冷设备", "安装后漏水", "COMPLAINT", "URGENT", "escalated"),
    ("Harbor Foods", "Spare filters for CH-200", "SERVICE_REQUEST", "NORMAL", "new"),
    ("Lakeside Hotel", "Remote control pairing", "INQUIRY", "LOW", "acknowledged"),
    ("鑫源食品", "控制面板报警 E4", "QUALITY_ISSUE", "HIGH", "in_progress"),
    ("Lakeside Hotel", "Door seal worn after 6 months", "COMPLAINT", "NORMAL", "in_progress"),
    ("北辰制冷设备", "培训资料需求", "SUGGESTION", "LOW", "acknowledged"),
    ("Metro Bakery", "Display unit flickers", "QUALITY_ISSUE", "HIGH", "escalated"),
    ("鑫源食品", "保养周期咨询", "INQUIRY", "NORMAL", "resolved"),
    ("Metro Bakery", "Invoice shows wrong model", "INQUIRY", "NORMAL", "resolved"),
]


async def backdate(db_url: str, ticket_gid: str, hours: int) -> None:
    """Moves a ticket's SLA clock `hours` into the past, as if it had waited since (a breach to show)."""
    engine = create_async_engine(db_url)
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "UPDATE tickets SET created_at = created_at - make_interval(hours => :h), "
                "sla_started_at = sla_started_at - make_interval(hours => :h), "
                "first_response_due_at = first_response_due_at - make_interval(hours => :h), "
                "resolution_due_at = resolution_due_at - make_interval(hours => :h) WHERE id = :id"
            ),
            {"h": hours, "id": (parse_global_id(ticket_gid) or ("", ""))[1]},
        )
    await engine.dispose()


async def demo_morning(server: Server, db_url: str, people: dict) -> dict[str, str]:
    m, s = people["marketing"], people["service"]
    customers: dict[str, str] = {}
    ids: dict[str, str] = {}
    for name, subject, kind, priority, stage in TICKETS:
        if name not in customers:
            customers[name] = await customer(server, m, name)
        ticket = (await open_ticket(server, m, customers[name], subject, kind, priority))["id"]
        ids[stage + subject] = ticket
        if stage == "breached":
            await backdate(db_url, ticket, 3)
        if stage in ("acknowledged", "in_progress", "escalated", "resolved"):
            await act(server, s, "acknowledgeTicket", ticket)
            await mutate(server, s, ASSIGN, {"t": ticket, "a": people["service_id"]})
        if stage in ("in_progress", "resolved"):
            await act(server, s, "startTicketWork", ticket)
        if stage == "escalated":
            await mutate(server, s, ESCALATE, {"t": ticket, "p": [people["marketing_id"]]})
        if stage == "resolved":
            await mutate(server, s, RESOLVE, {"t": ticket})
    for name in ("Lakeside Hotel", "华东冷链物流"):
        order = (await mutate(server, m, ORDER, {"c": customers[name]}))["order"]["id"]
        await mutate(server, m, HAND_OFF, {"o": order})
        if name == "Lakeside Hotel":
            await mutate(server, s, CONFIRM, {"o": order})
    return ids


@pytest.fixture
async def fast_sla_server(db_url):
    s = await Server(db_url, TANDEM_SLA_WATCH_INTERVAL="1").start()  # the breach is announced at once
    yield s
    s.stop()


async def test_screenshots_of_the_board_in_english_and_chinese(fast_sla_server, db_url, people, browser, tmp_path):
    server = fast_sla_server
    folder = ROOT / os.environ["TANDEM_BOARD_SCREENSHOTS"] if os.environ.get("TANDEM_BOARD_SCREENSHOTS") else tmp_path
    # Both boards are up before the morning starts, so their side strips announce all of it.
    boards = {}
    for lang in ("en", "zh-Hans"):
        context = await browser.new_context(viewport={"width": 1920, "height": 1080}, locale="en-US")
        boards[lang] = await open_board(context, server, people["board"], f"?lang={lang}")
    ids = await demo_morning(server, db_url, people)
    breached = ids["breached冷库温度波动"]
    for lang, board in boards.items():
        await board.page.wait_for_selector('.announcement[data-type="SLA_BREACHED"]', timeout=15000)
        await board.wait_column(ids["resolved保养周期咨询"], "RESOLVED", timeout=5000)
        # The breach leads its column, in red and in words.
        first = board.page.locator('[data-column="NEW"] .card').first
        assert await first.get_attribute("data-ticket-id") == breached
        assert await first.get_attribute("data-sla") == "BREACHED"
        assert await first.locator(".sla-state").text_content() == ("Breached" if lang == "en" else "已超时")
        for column in ("NEW", "ACKNOWLEDGED", "IN_PROGRESS", "ESCALATED", "RESOLVED"):
            assert await board.page.locator(f'[data-column="{column}"] .card').count() >= 2, column
        assert await board.page.locator(".announcement").count() >= 4  # handoffs, escalations, the breach
        assert await csp_violations(board) == []
        shot = folder / f"board-{lang}-1080p.png"
        await board.page.screenshot(path=str(shot))
        png = shot.read_bytes()  # a PNG's IHDR: its width and height, big-endian, at bytes 16 to 24
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[16:24] == (1920).to_bytes(4) + (1080).to_bytes(4)
        # On a 4K screen the same layout, twice the size: as readable from 3 m.
        size = "el => parseFloat(getComputedStyle(el).fontSize)"
        at_1080p = await first.locator(".card-subject").evaluate(size)
        await board.page.set_viewport_size({"width": 3840, "height": 2160})
        at_4k = await first.locator(".card-subject").evaluate(size)
        assert at_1080p >= 24 and at_4k >= 1.8 * at_1080p, (at_1080p, at_4k)
        await board.page.context.close()
