"""A small GraphQL client over the real ASGI app (the `gql` fixture) and how to read its answers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx


class GraphQLClient:
    def __init__(self, http: httpx.AsyncClient):
        self.http = http

    async def raw(
        self, query: str, variables: dict | None = None, token: str | None = None, headers: dict | None = None
    ) -> httpx.Response:
        h = dict(headers or {})
        if token:
            h["Authorization"] = f"Bearer {token}"
        return await self.http.post("/graphql", json={"query": query, "variables": variables or {}}, headers=h)

    async def __call__(self, query: str, variables: dict | None = None, token: str | None = None) -> dict[str, Any]:
        response = await self.raw(query, variables, token)
        assert response.status_code == 200, response.text
        return response.json()

    async def ok(self, query: str, variables: dict | None = None, token: str | None = None) -> dict[str, Any]:
        """The data of a request that must succeed without any error."""
        body = await self(query, variables, token)
        assert not body.get("errors"), body["errors"]
        return body["data"]

    async def mutate(self, name: str, query: str, variables: dict | None = None, token: str | None = None) -> dict:
        """The payload of mutation `name`, asserting it had no user errors."""
        payload = (await self.ok(query, variables, token))[name]
        assert payload["errors"] == [], payload["errors"]
        return payload


async def pages(gql, query: str, variables: dict, token: str | None, *path: str) -> AsyncIterator[dict]:
    """Each page of the connection at `path` in the answer's data, from the first on, following endCursor."""
    after = None
    while True:
        page = await gql.ok(query, {**variables, "after": after}, token)
        for key in path:
            page = page[key]
        yield page
        if not page["pageInfo"]["hasNextPage"]:
            return
        after = page["pageInfo"]["endCursor"]


def error_codes(body: dict) -> list[str]:
    return [e.get("extensions", {}).get("code") for e in body.get("errors") or []]


async def refused(gql, name: str, query: str, variables: dict, token: str) -> list[dict]:
    """The user errors of mutation `name`, which must have been refused: no GraphQL error, a null object."""
    body = await gql(query, variables, token)
    assert not body.get("errors"), body["errors"]
    payload = body["data"][name]
    key = next(k for k in payload if k != "errors")
    assert payload[key] is None, payload
    assert payload["errors"], "the mutation should have been refused"
    return payload["errors"]
