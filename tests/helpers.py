"""Test helpers: a small GraphQL client over the real ASGI app and account factories."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import httpx

from db.models import User
from schema.context import AppServices
from schema.ids import to_global_id
from services import accounts
from services.unit_of_work import unit_of_work

PASSWORD = "correct horse battery"
_counter = itertools.count(1)


@dataclass
class Account:
    user: User
    token: str

    @property
    def gid(self) -> str:
        return to_global_id("User", self.user.id)


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


def error_codes(body: dict) -> list[str]:
    return [e.get("extensions", {}).get("code") for e in body.get("errors") or []]


class UserFactory:
    def __init__(self, services: AppServices):
        self.services = services

    async def create(
        self,
        department: str = "MARKETING",
        role: str = "STAFF",
        *,
        name: str | None = None,
        email: str | None = None,
        password: str = PASSWORD,
    ) -> Account:
        n = next(_counter)
        data = accounts.NewUser(
            email=email or f"user{n}.{department.lower()}@example.com",
            name=name or f"{department.title()} {role.title()} {n}",
            department=department,
            role=role,
            password=password,
        )
        async with unit_of_work(self.services.db.sessions, None, self.services.clock) as uow:
            user = await accounts.create_user(uow, data)
        return Account(user, self.services.tokens.issue(user, self.services.clock.now()))

    async def api_key(self, scope: str, name: str | None = None) -> str:
        async with unit_of_work(self.services.db.sessions, None, self.services.clock) as uow:
            _, secret = await accounts.create_api_key(uow, name or f"{scope} key", scope)
        return secret
