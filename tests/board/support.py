"""The board page in a real headless Chromium (Debian's `chromium`, driven by Playwright with
`executable_path`: no browser download), against Tandem servers in subprocesses.

Without chromium the browser tests skip, saying why; `.ci/run` installs it and sets
TANDEM_REQUIRE_CHROMIUM=1, which turns that skip into a failure.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.support.realtime import Server

CUSTOMER = "mutation($n: String!) { createCustomer(input: {name: $n}) { customer { id } errors { message } } }"
OPEN = (
    "mutation($c: ID!, $k: TicketKind!, $p: TicketPriority!, $s: String!) { openTicket(input: {customerId: $c, "
    'kind: $k, priority: $p, subject: $s, description: "Reported at the front desk"}) '
    "{ ticket { id number } errors { message } } }"
)
ACTION = "mutation($t: ID!) {{ {name}(input: {{ticketId: $t}}) {{ ticket {{ status }} errors {{ message }} }} }}"
ESCALATE = (
    'mutation($t: ID!, $p: [ID!]!) { escalateTicket(input: {ticketId: $t, reason: "Needs sales and engineering", '
    "participantIds: $p}) { ticket { status } errors { message } } }"
)
RESOLVE = (
    'mutation($t: ID!) { resolveTicket(input: {ticketId: $t, rootCause: "USAGE", resolutionSummary: "Settings '
    'explained on site"}) { ticket { status } errors { message } } }'
)
REVOKE = "mutation($k: ID!) { revokeApiKey(input: {apiKeyId: $k}) { apiKey { revokedAt } errors { message } } }"


def chromium_path() -> str:
    """The machine's chromium, or a skip (a failure under TANDEM_REQUIRE_CHROMIUM=1) saying why not."""
    found = os.environ.get("TANDEM_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    try:
        import playwright  # noqa: F401
    except ImportError:
        found = None
    if found is None:
        reason = "chromium (Debian's package) or playwright is not installed: the board's browser tests need both"
        if os.environ.get("TANDEM_REQUIRE_CHROMIUM") == "1":
            pytest.fail(f"TANDEM_REQUIRE_CHROMIUM=1 but {reason}")
        pytest.skip(reason)
    return found


async def mutate(server: Server, token: str, query: str, variables: dict | None = None) -> dict:
    data = await server.mutate(token, query, variables)
    payload = next(iter(data.values()))
    assert not payload.get("errors"), payload
    return payload


async def customer(server: Server, token: str, name: str) -> str:
    return (await mutate(server, token, CUSTOMER, {"n": name}))["customer"]["id"]


async def open_ticket(server: Server, token: str, customer: str, subject: str, kind="COMPLAINT", priority="HIGH"):
    variables = {"c": customer, "k": kind, "p": priority, "s": subject}
    return (await mutate(server, token, OPEN, variables))["ticket"]


async def act(server: Server, token: str, name: str, ticket: str) -> None:
    await mutate(server, token, ACTION.format(name=name), {"t": ticket})


@dataclass
class BoardPage:
    """One page of the board, with every CSP violation and console error it reported."""

    page: Any
    violations: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    async def column_of(self, ticket_id: str) -> list[str]:
        """The column of every card of `ticket_id` on the page (one, if all is well)."""
        return await self.page.eval_on_selector_all(
            f'[data-ticket-id="{ticket_id}"]', "cards => cards.map(c => c.closest('[data-column]').dataset.column)"
        )

    async def wait_column(self, ticket_id: str, column: str, timeout: float = 1000) -> None:
        await self.page.wait_for_selector(f'[data-column="{column}"] [data-ticket-id="{ticket_id}"]', timeout=timeout)


# Records CSP violations before any of the page's own scripts run (an init script is not subject to it).
WATCH_CSP = """
window.__csp = [];
document.addEventListener('securitypolicyviolation',
  e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
"""


async def open_board(context, server: Server, key: str | None, query: str = "") -> BoardPage:
    page = await context.new_page()
    board = BoardPage(page)
    page.on("console", lambda m: board.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: board.errors.append(str(e)))
    await page.add_init_script(WATCH_CSP)
    await page.goto(f"{server.http}/board{query}")
    if key is not None:
        await page.fill("#key", key)
        await page.click("#signin-form button[type=submit]")
        await page.wait_for_selector('body[data-connection="connected"]', timeout=15000)
    return board


async def csp_violations(board: BoardPage) -> list[str]:
    reported = await board.page.evaluate("window.__csp")
    return [*reported, *(e for e in board.errors if "Content Security Policy" in e)]
