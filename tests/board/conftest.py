"""Fixtures of the board's browser tests: a server on the test database, its people and keys, and
a headless Chromium (tests/board/support.py)."""

from __future__ import annotations

import os

import pytest

from tests.board.support import chromium_path
from tests.support.realtime import Server, token_for


@pytest.fixture(autouse=True)
def _chromium_first(request):
    """A browser test without chromium skips (or fails in CI) before its servers are started."""
    if "browser" in request.fixturenames:
        chromium_path()


@pytest.fixture
async def browser():
    path = chromium_path()
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        # Root (CI containers) cannot use Chromium's sandbox.
        args = ["--no-sandbox"] if os.geteuid() == 0 else []
        launched = await pw.chromium.launch(executable_path=path, headless=True, args=args)
        yield launched
        await launched.close()


@pytest.fixture
async def context(browser):
    ctx = await browser.new_context(viewport={"width": 1920, "height": 1080}, locale="en-US")
    yield ctx
    await ctx.close()


@pytest.fixture
async def server(db_url):
    s = await Server(db_url).start()
    yield s
    s.stop()


@pytest.fixture
async def people(users):
    admin = await users.create("MANAGEMENT", "ADMIN", name="Ada Admin")
    marketing = await users.create("MARKETING", "STAFF", name="Mia Marketing")
    service = await users.create("SERVICE", "STAFF", name="Sam Service")
    return {
        "admin": token_for(admin.user),
        "marketing": token_for(marketing.user),
        "marketing_id": marketing.gid,
        "service": token_for(service.user),
        "service_id": service.gid,
        "board": await users.api_key("board", name="Hall screen"),
    }
