"""`main.py` in a subprocess, as operators run it: one-shot commands, and `serve` for the tests that
need a real server and for the benchmarks.

Nothing here knows about test databases or credentials: callers pass the whole environment.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO, Self

import httpx

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_command(
    *args: str, env: dict[str, str], timeout: float | None = 120, check: bool = False
) -> subprocess.CompletedProcess:
    """`python main.py <args>` run to its end, output captured as text."""
    return subprocess.run(
        [sys.executable, "main.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        check=check,
    )


class ServerProcess:
    """`main.py serve --port N` with `env`, its log in a temporary file (not a pipe: a pipe nobody
    reads fills up and stalls the server)."""

    def __init__(self, env: dict[str, str], port: int | None = None, name: str = "server"):
        self.env = env
        self.port = port or free_port()
        self.name = name
        self.proc: subprocess.Popen | None = None
        self.log: IO[bytes] | None = None

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}/graphql"

    async def start(self, timeout: float = 60) -> Self:
        """Start the process and wait until `/readyz` answers 200 (see start_blocking)."""
        return await asyncio.to_thread(self.start_blocking, timeout)

    def start_blocking(self, timeout: float = 60) -> Self:
        """Start the process and wait until `/readyz` answers 200; fails with the log's tail if it
        exits or is not ready within `timeout` seconds (it is killed then)."""
        if self.log is not None:
            self.log.close()
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - closed by stop() or the next start
        self.proc = subprocess.Popen(
            [sys.executable, "main.py", "serve", "--port", str(self.port)],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=self.log,
            stdin=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        with httpx.Client() as client:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise AssertionError(f"{self.name} exited: {self.log_tail()}")
                with contextlib.suppress(httpx.HTTPError):
                    if client.get(f"{self.http}/readyz", timeout=1).status_code == 200:
                        return self
                time.sleep(0.1)
        self.kill()
        raise AssertionError(f"{self.name} did not become ready within {timeout:g} s: {self.log_tail()}")

    def log_tail(self, size: int = 3000) -> str:
        """The last `size` characters the server wrote to stderr ("" once stopped)."""
        if self.log is None or self.log.closed:
            return ""
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-size:]

    def kill(self) -> None:
        """SIGKILL, as a crash would."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self, timeout: float = 15) -> None:
        """SIGTERM, killed if it has not exited after `timeout` seconds; the log is discarded."""
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        if self.log is not None:
            self.log.close()
