"""The floor for benchmarks/reads.py: the same two reads answered with raw asyncpg + orjson, no GraphQL.

A bare ASGI app (uvicorn, one worker, one pool): `POST /board` and `POST /customers` run the SQL the
queries need and build the same JSON shape as Tandem's answers (edges, nodes, totalCount, pageInfo)
in Python. Whatever Tandem spends beyond this is GraphQL, authorization and its own machinery.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/db .venv/bin/python -m uvicorn benchmarks.raw_floor:app
"""

from __future__ import annotations

import base64
import os
from typing import Any

import asyncpg
import orjson

BOARD_SQL = """
SELECT t.id, t.number, t.kind, t.priority, t.status, t.subject, t.created_at,
       t.first_response_due_at, t.resolution_due_at, t.first_responded_at, t.resolved_at,
       c.id AS customer_id, c.name AS customer_name, u.id AS assignee_id, u.name AS assignee_name
FROM tickets t JOIN customers c ON c.id = t.customer_id LEFT JOIN users u ON u.id = t.assignee_id
ORDER BY t.created_at DESC, t.id DESC LIMIT 51"""

CUSTOMERS_SQL = """
SELECT c.id, c.code, c.name, c.lifecycle_stage, o.name AS owner_name,
       coalesce((SELECT json_agg(json_build_object('name', k.name, 'phone', k.phone, 'email', k.email,
                                                   'isPrimary', k.is_primary)
                                 ORDER BY k.is_primary DESC, k.created_at, k.id)
                 FROM contacts k WHERE k.customer_id = c.id), '[]') AS contacts
FROM customers c LEFT JOIN users o ON o.id = c.owner_id
ORDER BY lower(c.name), c.id LIMIT 51"""


def _cursor(*parts: Any) -> str:
    return base64.b64encode(orjson.dumps([str(p) for p in parts])).decode()


def _state(due: Any, done: Any) -> str:
    return "MET" if done is not None and done <= due else ("BREACHED" if done is not None else "ON_TRACK")


async def _first_page(pool: asyncpg.Pool, sql: str, table: str) -> tuple[list[Any], int, bool]:
    """The first 50 rows of `sql` (which asks for 51), the table's row count from the same snapshot, and
    whether more rows follow."""
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        rows = await conn.fetch(sql)
        total = await conn.fetchval(f"SELECT count(*) FROM {table}")
    return rows[:50], total, len(rows) > 50


async def board(pool: asyncpg.Pool) -> dict[str, Any]:
    page, total, more = await _first_page(pool, BOARD_SQL, "tickets")
    edges = [
        {
            "node": {
                "id": str(r["id"]),
                "number": r["number"],
                "kind": r["kind"],
                "priority": r["priority"],
                "status": r["status"],
                "subject": r["subject"],
                "createdAt": r["created_at"].isoformat(),
                "customer": {"id": str(r["customer_id"]), "name": r["customer_name"]},
                "assignee": {"id": str(r["assignee_id"]), "name": r["assignee_name"]} if r["assignee_id"] else None,
                "sla": {
                    "firstResponseDueAt": r["first_response_due_at"].isoformat(),
                    "resolutionDueAt": r["resolution_due_at"].isoformat(),
                    "state": _state(r["resolution_due_at"], r["resolved_at"]),
                },
            }
        }
        for r in page
    ]
    end = _cursor(page[-1]["created_at"], page[-1]["id"]) if page else None
    page_info = {"hasNextPage": more, "endCursor": end}
    return {"data": {"tickets": {"totalCount": total, "pageInfo": page_info, "edges": edges}}}


async def customers(pool: asyncpg.Pool) -> dict[str, Any]:
    page, total, more = await _first_page(pool, CUSTOMERS_SQL, "customers")
    edges = [
        {
            "node": {
                "code": r["code"],
                "name": r["name"],
                "lifecycleStage": r["lifecycle_stage"],
                "owner": {"name": r["owner_name"]} if r["owner_name"] else None,
                "contacts": orjson.loads(r["contacts"]),
            }
        }
        for r in page
    ]
    end = _cursor(page[-1]["name"], page[-1]["id"]) if page else None
    page_info = {"hasNextPage": more, "endCursor": end}
    return {"data": {"customers": {"totalCount": total, "edges": edges, "pageInfo": page_info}}}


_ROUTES = {"/board": board, "/customers": customers}
_state_holder: dict[str, asyncpg.Pool] = {}


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                url = os.environ["DATABASE_URL"].replace("postgresql+asyncpg://", "postgresql://")
                _state_holder["pool"] = await asyncpg.create_pool(url, min_size=4, max_size=10)
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await _state_holder["pool"].close()
                await send({"type": "lifespan.shutdown.complete"})
                return
    handler = _ROUTES.get(scope["path"])
    more = True
    while more:  # drain the request body (wrk sends the GraphQL document; the floor ignores it)
        more = (await receive()).get("more_body", False)
    if handler is None:
        await send({"type": "http.response.start", "status": 404, "headers": []})
        await send({"type": "http.response.body", "body": b""})
        return
    body = orjson.dumps(await handler(_state_holder["pool"]))
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": body})
