"""The language of a WebSocket's GraphQL errors: `acceptLanguage` in connection_init, else the handshake's
Accept-Language header, else English; the error codes never change (a real server, a real client)."""

from __future__ import annotations

import asyncio
import json

import pytest
import websockets

from tests.support.realtime import Server

pytestmark = pytest.mark.timeout(120)

MINE = "subscription { myNotifications { cursor type } }"


@pytest.fixture
async def server(db_url):
    s = await Server(db_url).start()
    yield s
    s.stop()


async def _first_errors(server: Server, token: str, query: str, init: dict, headers: dict | None = None) -> list[dict]:
    """The errors the server answers a subscription with, on a socket opened with `init` and `headers`."""
    async with websockets.connect(
        server.ws, subprotocols=["graphql-transport-ws"], additional_headers=headers or {}, ping_interval=None
    ) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}", **init}}))
        ack = json.loads(await asyncio.wait_for(ws.recv(), 10))
        assert ack["type"] == "connection_ack", ack
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}}))
        while True:
            message = json.loads(await asyncio.wait_for(ws.recv(), 10))
            if message["type"] == "error":
                return message["payload"]
            if message["type"] == "next" and message["payload"].get("errors"):
                return message["payload"]["errors"]
            assert message["type"] in ("ping", "pong", "next"), message


async def test_connection_init_accept_language_translates_a_refused_subscription(server, users):
    board = await users.api_key("board")
    answers = {
        language: await _first_errors(server, board, MINE, init)
        for language, init in {
            "en": {},
            "zh-Hans": {"acceptLanguage": "zh-CN"},
            "zh-Hant": {"acceptLanguage": "zh-TW"},
        }.items()
    }
    assert {lang: [e["extensions"]["code"] for e in errors] for lang, errors in answers.items()} == {
        lang: ["FORBIDDEN"] for lang in answers
    }
    assert [e["message"] for e in answers["en"]] == ["forbidden: only a person has notifications"]
    assert [e["message"] for e in answers["zh-Hans"]] == ["禁止访问：只有个人账号才有通知"]
    assert [e["message"] for e in answers["zh-Hant"]] == ["禁止存取：只有個人帳號才有通知"]


async def test_the_handshake_header_is_the_fallback_and_acceptlanguage_wins(server, users):
    board = await users.api_key("board")
    by_header = await _first_errors(server, board, MINE, {}, {"Accept-Language": "zh-HK"})
    assert [e["message"] for e in by_header] == ["禁止存取：只有個人帳號才有通知"]
    both = await _first_errors(server, board, MINE, {"acceptLanguage": "zh-Hans"}, {"Accept-Language": "zh-HK"})
    assert [e["message"] for e in both] == ["禁止访问：只有个人账号才有通知"]
