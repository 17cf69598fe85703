"""Two apps over one database, one clock and one token service: `compiled` and `reference` executors.

Every request is sent to both; the two HTTP answers must be the same JSON after key order (orjson
with sorted keys, byte for byte: `1` and `true` differ, as do `"1"` and `1`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson

from schema.compiled import executor
from tests.support.accounts import UserFactory
from tests.support.demo import seed_demo

# The callers the tests use: staff of both departments, a supervisor, and the two API key scopes.
PRINCIPALS = ("marketing", "service", "supervisor", "board key", "reporting key")


def canonical(body: Any) -> bytes:
    return orjson.dumps(body, option=orjson.OPT_SORT_KEYS)


@dataclass
class Outcome:
    compiled: Any
    reference: Any
    answered_compiled: bool  # the compiled executor answered (not the fallback)

    @property
    def same(self) -> bool:
        return canonical(self.compiled) == canonical(self.reference)


@dataclass
class Pair:
    services: Any
    clients: dict[str, httpx.AsyncClient]
    views: dict[str, Any]  # mode -> the app's TandemGraphQL
    tokens: dict[str, str] = field(default_factory=dict)

    def credentials(self) -> Any:
        """The compiled app's remembered credentials (schema/compiled/credentials.py)."""
        return executor.for_view(self.views["compiled"]).credentials

    @classmethod
    async def start(cls, services: Any, *, customers: int = 40, copy: bool = True) -> Pair:
        """Two apps over `services`' database with the demo data of `customers` (seeded once per run
        and cloned into this database: tests/support/demo.py; `copy=False` seeds it here, for a test
        that patches what the seed does) and a token for each caller."""
        from web.app import create_app

        await seed_demo(services, customers=customers, copy=copy)
        clients, views = {}, {}
        for mode in ("compiled", "reference"):
            settings = dataclasses.replace(services.settings, read_executor=mode)
            app = create_app(settings, dataclasses.replace(services, settings=settings))
            transport = httpx.ASGITransport(app=app)
            clients[mode] = httpx.AsyncClient(transport=transport, base_url="http://tandem.test")
            views[mode] = next(route.endpoint for route in app.routes if getattr(route, "path", "") == "/graphql")
        pair = cls(services, clients, views)
        users = UserFactory(services)
        pair.tokens = {
            "marketing": (await users.create("MARKETING")).token,
            "service": (await users.create("SERVICE")).token,
            "supervisor": (await users.create("SERVICE", "SUPERVISOR")).token,
            "board key": await users.api_key("board"),
            "reporting key": await users.api_key("reporting"),
            "nobody": "",
        }
        return pair

    async def close(self) -> None:
        for client in self.clients.values():
            await client.aclose()

    async def send(self, mode: str, query: str, variables: Any, principal: str) -> Any:
        token = self.tokens[principal]
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        body = {"query": query, "variables": variables or {}}
        response = await self.clients[mode].post("/graphql", json=body, headers=headers)
        return {"status": response.status_code, "body": response.json()}

    async def both(self, query: str, variables: Any = None, principal: str = "service") -> Outcome:
        before = executor.COUNTS["compiled"]
        compiled = await self.send("compiled", query, variables, principal)
        answered = executor.COUNTS["compiled"] > before
        reference = await self.send("reference", query, variables, principal)
        return Outcome(compiled, reference, answered)

    async def agree(self, query: str, variables: Any = None, principal: str = "service", *, compiles: bool) -> Any:
        outcome = await self.both(query, variables, principal)
        assert outcome.same, (
            f"executors disagree for {principal}: {query} {variables}\n"
            f"compiled:  {canonical(outcome.compiled).decode()[:3000]}\n"
            f"reference: {canonical(outcome.reference).decode()[:3000]}"
        )
        assert outcome.answered_compiled == compiles, f"compiled={outcome.answered_compiled} for {variables} {query}"
        return outcome.reference["body"]

    async def walk(self, query: str, root: str, variables: dict, principal: str) -> tuple[list[str], int]:
        """Every page of the list `root`, each compiled and agreeing; the ids seen and the page count.
        Asserts that no id comes twice and that they add up to totalCount."""
        seen: list[str] = []
        after, pages = None, 0
        while True:
            body = await self.agree(query, {**variables, "after": after}, principal, compiles=True)
            connection = body["data"][root]
            seen += [e["node"]["id"] for e in connection["edges"]]
            pages += 1
            if not connection["pageInfo"]["hasNextPage"]:
                break
            after = connection["pageInfo"]["endCursor"]
        assert len(seen) == len(set(seen)) == connection["totalCount"], (root, variables)
        return seen, pages


def walk_pages(
    loop: Any, pair: Pair, text: str, pages: list[dict], principal: str, root: str = "list", label: str = ""
) -> Any:
    """Send `text` with each of `pages`' variables to both executors, one page after another (`after` the
    last one's end cursor), asserting every answer agrees byte for byte; yields (outcome, the reference's
    `data`) per page (`label`: more to say in a failure's message). It stops after a page without data
    (the reference refused) or without a next page."""
    after = None
    for variables in pages:
        outcome = loop.run_until_complete(pair.both(text, {**variables, "after": after}, principal))
        assert outcome.same, (
            f"{principal}{label}: {text} {variables} after={after}\n"
            f"compiled:  {canonical(outcome.compiled).decode()[:2000]}\n"
            f"reference: {canonical(outcome.reference).decode()[:2000]}"
        )
        data = outcome.reference["body"].get("data")
        yield outcome, data
        if not data or not data[root]["pageInfo"]["hasNextPage"]:
            return
        after = data[root]["pageInfo"]["endCursor"]


def close_own_pair(loop: Any, pair: Pair) -> None:
    """Close a pair made in a test's own event loop, its database and the loop."""
    loop.run_until_complete(pair.close())
    loop.run_until_complete(pair.services.db.dispose())
    loop.close()
