"""What the server is actually sent: a TCP proxy in front of PostgreSQL that reads the client's side
of the wire protocol and records every statement run — BEGIN, COMMIT, ROLLBACK and pings included,
which SQLAlchemy's cursor events never see.

A simple query ('Q') is one statement; an extended-protocol Execute ('E') is one, named after the
statement its portal was bound to ('P' Parse names it, 'B' Bind binds it). An SSL or GSSAPI request is
answered "no" by the proxy itself, so the conversation stays readable.
"""

from __future__ import annotations

import asyncio
import contextlib
import struct
from collections.abc import Iterator

from sqlalchemy.engine import make_url

_SSL_REQUEST, _GSSENC_REQUEST = 80877103, 80877104


class WireProxy:
    def __init__(self, upstream_url: str):
        url = make_url(upstream_url)
        self.upstream_url = url
        self._host, self._port = url.host or "127.0.0.1", url.port or 5432
        # A server reached through its Unix socket (the embedded one: `?host=/socket/dir`).
        socket_dir = url.query.get("host")
        self._socket = (
            f"{socket_dir}/.s.PGSQL.{self._port}"
            if isinstance(socket_dir, str) and socket_dir.startswith("/")
            else None
        )
        self._recording: list[list[str]] = []
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task] = set()

    @property
    def url(self) -> str:
        """The upstream URL with the proxy's address (for Database.connect)."""
        assert self._server is not None, "start() first"
        port = self._server.sockets[0].getsockname()[1]
        query = {k: v for k, v in self.upstream_url.query.items() if k != "host"}
        proxied = self.upstream_url.set(host="127.0.0.1", port=port, query=query)
        return proxied.render_as_string(hide_password=False)

    async def start(self) -> WireProxy:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    @contextlib.contextmanager
    def statements(self) -> Iterator[list[str]]:
        """Every statement sent through the proxy while the block runs, in order."""
        seen: list[str] = []
        self._recording.append(seen)
        try:
            yield seen
        finally:
            self._recording.remove(seen)

    def _record(self, statement: str) -> None:
        for seen in self._recording:
            seen.append(statement)

    async def _serve(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            if self._socket is not None:
                server_reader, server_writer = await asyncio.open_unix_connection(self._socket)
            else:
                server_reader, server_writer = await asyncio.open_connection(self._host, self._port)
        except OSError:
            client_writer.close()
            self._tasks.discard(task)
            return
        back = asyncio.create_task(self._pipe(server_reader, client_writer))
        self._tasks.add(back)
        try:
            await self._from_client(client_reader, client_writer, server_writer)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        except asyncio.CancelledError:
            # stop(): end quietly (asyncio's stream server calls exception() on this task, which a
            # cancelled task raises from, on Python 3.11).
            pass
        finally:
            server_writer.close()
            client_writer.close()
            back.cancel()
            self._tasks.discard(task)
            self._tasks.discard(back)

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, asyncio.CancelledError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.close()

    async def _from_client(
        self, reader: asyncio.StreamReader, client: asyncio.StreamWriter, server: asyncio.StreamWriter
    ) -> None:
        while True:  # the startup phase: untyped messages
            header = await reader.readexactly(8)
            length, code = struct.unpack("!ii", header)
            body = await reader.readexactly(length - 8)
            if code in (_SSL_REQUEST, _GSSENC_REQUEST):
                client.write(b"N")
                await client.drain()
                continue
            server.write(header + body)
            break
        prepared: dict[str, str] = {}
        portals: dict[str, str] = {}
        while True:
            kind = await reader.readexactly(1)
            size = await reader.readexactly(4)
            body = await reader.readexactly(struct.unpack("!i", size)[0] - 4)
            if kind == b"Q":
                self._record(body.split(b"\0", 1)[0].decode())
            elif kind == b"P":
                name, query = body.split(b"\0", 2)[:2]
                prepared[name.decode()] = query.decode()
            elif kind == b"B":
                portal, statement = body.split(b"\0", 2)[:2]
                portals[portal.decode()] = prepared.get(statement.decode(), "?")
            elif kind == b"E":
                self._record(portals.get(body.split(b"\0", 1)[0].decode(), "?"))
            server.write(kind + size + body)
            await server.drain()
