"""`serve` end to end on the embedded PostgreSQL, including recovery from a SIGKILL."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import httpx
import psutil
import pytest

from tests.support.server import ServerProcess, free_port, run_command

PASSWORD = "serve test password"


def embedded_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "BROADCAST_URL", "TANDEM_SECRET_KEY")}
    env.update(TANDEM_DATA_DIR=str(data_dir), TANDEM_ENV="development", TANDEM_LOG_LEVEL="warning")
    return env


def create_user(env: dict[str, str], email: str, name: str, role: str) -> subprocess.CompletedProcess:
    args = ["--email", email, "--name", name, "--department", "SERVICE", "--role", role, "--password", PASSWORD]
    return run_command("create-user", *args, env=env)


def post(port: int, query: str, variables: dict | None = None, token: str | None = None) -> dict:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    body = {"query": query, "variables": variables or {}}
    return httpx.post(f"http://127.0.0.1:{port}/graphql", json=body, headers=headers, timeout=10).json()


def login(port: int, email: str) -> str:
    document = "mutation($i: AuthInput!) { login(input: $i) { token errors { message } } }"
    body = post(port, document, {"i": {"email": email, "password": PASSWORD}})
    token = body["data"]["login"]["token"]
    assert token, body
    me = post(port, "{ me { name department } }", token=token)
    assert me["data"]["me"]["department"] == "SERVICE", me
    return token


def wait_until_stopped(pid: int | None, timeout: float, message: str) -> None:
    """Until process `pid` (a postmaster) has exited; fails with `message` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while pid and psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
        assert time.monotonic() < deadline, message
        time.sleep(0.2)


def postmaster_pid(data_dir: Path) -> int | None:
    pid_file = data_dir / "pg" / "postmaster.pid"
    return int(pid_file.read_text().splitlines()[0]) if pid_file.exists() else None


@pytest.mark.timeout(240)
def test_serve_on_embedded_postgres_survives_sigkill():
    # mkdtemp, not pytest's tmp_path: as root the server runs as a system user that must be able to
    # traverse to the data folder, and pytest's base folder is private (0700).
    data_dir = Path(tempfile.mkdtemp(prefix="tandem-serve-test-"))
    env = embedded_env(data_dir)
    created = create_user(env, "tech@example.com", "Tech", "STAFF")
    assert created.returncode == 0, created.stderr

    port = free_port()
    server = ServerProcess(env, port, name="serve").start_blocking()
    try:
        token = login(port, "tech@example.com")
        pg_pid = postmaster_pid(data_dir)
        assert pg_pid and psutil.pid_exists(pg_pid)
        server.kill()
        # The embedded server notices its owner died and shuts down by itself.
        wait_until_stopped(pg_pid, 30, "embedded PostgreSQL outlived its killed owner")

        server = ServerProcess(env, port, name="serve").start_blocking()
        login(port, "tech@example.com")  # same data: the account is still there
        # Tokens survive the restart: the signing key is kept in the data folder.
        me = post(port, "{ me { name } }", token=token)
        assert me["data"]["me"]["name"] == "Tech"
        # One-shot commands share the running server's embedded database instead of failing.
        second = create_user(env, "lead@example.com", "Lead", "LEAD")
        assert second.returncode == 0, second.stderr
        login(port, "lead@example.com")
        # A second server on the same data folder is refused with a reason.
        other = run_command("serve", "--port", str(free_port()), env=env, timeout=60)
        assert other.returncode == 1 and "already in use" in other.stderr
        new_pg_pid = postmaster_pid(data_dir)
    finally:
        server.stop(timeout=30)
    # A clean stop stops the embedded server too.
    wait_until_stopped(new_pg_pid, 20, "embedded PostgreSQL still running after serve stopped")
    shutil.rmtree(data_dir, ignore_errors=True)
