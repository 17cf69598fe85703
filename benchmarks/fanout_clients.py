"""The load client of benchmarks/fanout.py: WebSocket subscribers spread over several processes, so that
the client is not what limits the measurement.

Each worker process runs its share of subscribers on its own event loop (graphql-transport-ws over
the minimal client of ws_raw.py, compression off) and answers the coordinator's commands over a pipe:

    ("connect",)  -> ("connected", seconds, failures)  connect and subscribe every subscriber
    ("status",)   -> (indexes of the subscribers that received anything, subscribers closed by the server)
    ("mark",)     -> CPU seconds of this process so far (the coordinator takes differences)
    ("count",)    -> (events received since the mark, subscribers closed): cheap, for polling while
                     deliveries still arrive (collecting results costs the worker a pickling pause)
    ("results",)  -> [SubscriberResult, ...], loop-lag samples, CPU seconds
    ("close",)    -> "closed", then the process exits
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import multiprocessing
import resource
import time
from dataclasses import dataclass, field
from typing import Any

from ws_raw import RawWebSocket

try:
    import orjson

    loads = orjson.loads
except ImportError:  # pragma: no cover
    loads = json.loads


@dataclass(frozen=True)
class Spec:
    """One subscriber: where it connects, with what, and which field carries its events."""

    index: int
    url: str
    credential: str
    query: str
    variables: dict
    field: str


@dataclass
class SubscriberResult:
    index: int
    received: dict[int, float]  # cursor -> time.time() at receipt
    duplicates: int
    error_payloads: int
    first_error: Any
    close_code: int | None


_NEXT = b'{"id":"1","type":"next","payload":'


@dataclass(eq=False)
class _Subscriber:
    """One subscriber over `ws_raw` (graphql-transport-ws, compression off). Each `next` frame is
    checked without a JSON parse on the common way: it starts as a `next` frame whose event selects
    `cursor` first, carries no `errors`, and the cursor is read where it stands; any other frame is
    parsed in full."""

    spec: Spec
    received: dict[int, float] = field(default_factory=dict)
    duplicates: int = 0
    error_payloads: int = 0
    first_error: Any = None
    ws: RawWebSocket | None = None
    _acked: asyncio.Future[None] | None = None
    _event_start: bytes = b""  # a `next` frame up to its event's cursor, when the query selects it first

    @property
    def close_code(self) -> int | None:
        return self.ws.close_code if self.ws is not None else None

    async def connect(self) -> None:
        self._event_start = _NEXT + b'{"data":{"' + self.spec.field.encode() + b'":{"cursor":"'
        self._acked = asyncio.get_running_loop().create_future()
        self.ws = await RawWebSocket.connect(self.spec.url, "graphql-transport-ws", self._on_text)
        init = {"type": "connection_init", "payload": {"authorization": f"Bearer {self.spec.credential}"}}
        self.ws.send_text(json.dumps(init))
        await asyncio.wait_for(asyncio.shield(self._acked), 60)
        subscribe = {"query": self.spec.query, "variables": self.spec.variables}
        self.ws.send_text(json.dumps({"id": "1", "type": "subscribe", "payload": subscribe}))

    def _on_text(self, frame: bytes, now: float) -> None:
        start = self._event_start
        if frame.startswith(start) and b'"errors"' not in frame:
            at = len(start)
            cursor = int(frame[at : frame.index(b'"', at)])
            if cursor in self.received:
                self.duplicates += 1
            else:
                self.received[cursor] = now
            return
        self._on_message(loads(frame), now)

    def _on_message(self, message: dict, now: float) -> None:
        kind = message.get("type")
        if kind == "connection_ack":
            if self._acked is not None and not self._acked.done():
                self._acked.set_result(None)
        elif kind == "next":
            payload = message["payload"]
            if payload.get("errors"):
                self.error_payloads += 1
                self.first_error = self.first_error or payload["errors"]
            event = (payload.get("data") or {}).get(self.spec.field)
            if event:
                cursor = int(event["cursor"])
                if cursor in self.received:
                    self.duplicates += 1
                else:
                    self.received[cursor] = now
        elif kind == "ping":
            assert self.ws is not None
            self.ws.send_text('{"type":"pong"}')
        elif kind in ("error", "complete"):
            self.error_payloads += 1
            self.first_error = self.first_error or message

    def result(self) -> SubscriberResult:
        return SubscriberResult(
            self.spec.index, self.received, self.duplicates, self.error_payloads, self.first_error, self.close_code
        )

    async def close(self) -> None:
        if self.ws is not None:
            self.ws.close()
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(self.ws.closed, 5)


async def _lag(samples: list[float]) -> None:
    """How late a 5 ms sleep wakes up on this loop: the client's own share of the latency."""
    while True:
        t0 = time.perf_counter()
        await asyncio.sleep(0.005)
        samples.append(time.perf_counter() - t0 - 0.005)


async def _serve(conn: Any, specs: list[Spec], concurrency: int) -> None:
    subscribers = [_Subscriber(s) for s in specs]
    lags: list[float] = []
    lag_task: asyncio.Task | None = None
    marked = 0
    while True:
        command = await asyncio.to_thread(conn.recv)
        if command[0] == "connect":
            gate = asyncio.Semaphore(concurrency)
            failures: list[str] = []

            async def connect(sub: _Subscriber, gate: asyncio.Semaphore = gate, failures: list = failures) -> None:
                async with gate:
                    try:
                        await sub.connect()
                    except Exception as exc:  # noqa: BLE001 - reported to the coordinator
                        failures.append(f"{type(exc).__name__}: {str(exc)[:200]}")

            t0 = time.perf_counter()
            await asyncio.gather(*(connect(s) for s in subscribers))
            conn.send(("connected", time.perf_counter() - t0, failures))
            lag_task = asyncio.create_task(_lag(lags))
        elif command[0] == "status":
            conn.send(
                (
                    [s.spec.index for s in subscribers if s.received],
                    sum(1 for s in subscribers if s.close_code is not None),
                )
            )
        elif command[0] == "mark":
            lags.clear()
            marked = sum(len(s.received) for s in subscribers)
            conn.send(time.process_time())
        elif command[0] == "count":
            closed = sum(1 for s in subscribers if s.close_code is not None)
            conn.send((sum(len(s.received) for s in subscribers) - marked, closed))
        elif command[0] == "results":
            conn.send(([s.result() for s in subscribers], list(lags), time.process_time()))
        elif command[0] == "close":
            if lag_task is not None:
                lag_task.cancel()
            with contextlib.suppress(BaseException):
                async with asyncio.timeout(30):
                    await asyncio.gather(*(s.close() for s in subscribers), return_exceptions=True)
            conn.send("closed")
            return


def _worker(conn: Any, specs: list[Spec], concurrency: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = len(specs) + 256
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(
            resource.RLIMIT_NOFILE, (wanted if hard == resource.RLIM_INFINITY else min(wanted, hard), hard)
        )
    asyncio.run(_serve(conn, specs, concurrency))


class Clients:
    """The worker processes, from the coordinator's side (every call waits for all of them)."""

    def __init__(self, specs: list[Spec], processes: int, concurrency: int):
        context = multiprocessing.get_context("spawn")
        self._pipes: list[Any] = []
        self._processes: list[Any] = []
        shares = [specs[i::processes] for i in range(processes)]
        for share in shares:
            if not share:
                continue
            mine, theirs = context.Pipe()
            process = context.Process(
                target=_worker, args=(theirs, share, max(1, concurrency // processes)), daemon=True
            )
            process.start()
            self._pipes.append(mine)
            self._processes.append(process)

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self._processes]

    async def _all(self, command: tuple) -> list[Any]:
        for pipe in self._pipes:
            pipe.send(command)
        return list(await asyncio.gather(*(asyncio.to_thread(pipe.recv) for pipe in self._pipes)))

    async def connect(self) -> tuple[float, list[str]]:
        t0 = time.perf_counter()
        answers = await self._all(("connect",))
        return time.perf_counter() - t0, [f for _, _, failures in answers for f in failures]

    async def status(self) -> tuple[set[int], int]:
        answers = await self._all(("status",))
        return {i for a, _ in answers for i in a}, sum(c for _, c in answers)

    async def mark(self) -> float:
        return sum(await self._all(("mark",)))

    async def count(self) -> tuple[int, int]:
        answers = await self._all(("count",))
        return sum(received for received, _ in answers), sum(closed for _, closed in answers)

    async def results(self) -> tuple[list[SubscriberResult], list[float], float]:
        answers = await self._all(("results",))
        results = [r for rs, _, _ in answers for r in rs]
        lags = sorted(x for _, ls, _ in answers for x in ls)
        return results, lags, sum(cpu for _, _, cpu in answers)

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._all(("close",)), 60)
        for process in self._processes:
            process.join(5)
            if process.is_alive():
                process.kill()
