"""The legacy protocol's shared keep-alive ticker (web/keep_alive.py): `ka` at once, then every interval
for each registered socket, from one task; a discarded or broken socket does not stop the others."""

from __future__ import annotations

import asyncio

from web.keep_alive import KEEP_ALIVE_FRAME, KeepAlive


def tickers() -> list[asyncio.Task]:
    return [t for t in asyncio.all_tasks() if t.get_name() == "tandem-keep-alive" and not t.done()]


class Socket:
    def __init__(self, broken: bool = False):
        self.frames: list[bytes] = []
        self.broken = broken

    def push(self, frame: bytes) -> None:
        if self.broken and self.frames:
            raise RuntimeError("gone")
        self.frames.append(frame)


async def test_every_socket_gets_ka_at_once_then_each_interval_from_one_task():
    ticker = KeepAlive(0.05)
    first, second, broken = Socket(), Socket(), Socket(broken=True)
    for socket in (first, second, broken):
        ticker.add(socket, socket.push)
    assert first.frames == second.frames == [KEEP_ALIVE_FRAME]  # at once, before any tick
    assert len(tickers()) == 1
    await asyncio.sleep(0.18)
    assert 3 <= len(first.frames) <= 5 and all(f == KEEP_ALIVE_FRAME for f in first.frames)
    assert len(second.frames) >= 3  # the broken socket's error did not stop the round
    ticker.discard(second)
    count = len(second.frames)
    await asyncio.sleep(0.12)
    assert len(second.frames) == count and len(first.frames) > count
    await ticker.aclose()
    assert len(ticker) == 0 and tickers() == []


async def test_the_ticker_stops_when_no_socket_is_left_and_starts_again():
    ticker = KeepAlive(0.02)
    socket = Socket()
    ticker.add(socket, socket.push)
    ticker.discard(socket)
    await asyncio.sleep(0.06)
    assert ticker._task is None  # ended by itself: no task while nothing is registered
    again = Socket()
    ticker.add(again, again.push)
    await asyncio.sleep(0.05)
    assert len(again.frames) >= 2
    await ticker.aclose()
