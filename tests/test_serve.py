"""`serve` end to end on the embedded PostgreSQL, including recovery from a SIGKILL."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psutil
import pytest

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "serve test password"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def embedded_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "BROADCAST_URL", "TANDEM_SECRET_KEY")}
    env.update(TANDEM_DATA_DIR=str(data_dir), TANDEM_ENV="development", TANDEM_LOG_LEVEL="warning")
    return env


def start_server(env: dict[str, str], port: int) -> subprocess.Popen:
    log = tempfile.TemporaryFile()  # a file, not a pipe: an unread pipe fills up and stalls the server
    proc = subprocess.Popen(
        [sys.executable, "main.py", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
        stdin=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            log.seek(0)
            raise AssertionError(f"serve exited early: {log.read().decode(errors='replace')[-3000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise AssertionError("serve did not become ready within 60 s")


def login(port: int, email: str) -> str:
    body = httpx.post(
        f"http://127.0.0.1:{port}/graphql",
        json={
            "query": "mutation($i: AuthInput!) { login(input: $i) { token errors { message } } }",
            "variables": {"i": {"email": email, "password": PASSWORD}},
        },
        timeout=10,
    ).json()
    token = body["data"]["login"]["token"]
    assert token, body
    me = httpx.post(
        f"http://127.0.0.1:{port}/graphql",
        json={"query": "{ me { name department } }"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    ).json()
    assert me["data"]["me"]["department"] == "SERVICE", me
    return token


def postmaster_pid(data_dir: Path) -> int | None:
    pid_file = data_dir / "pg" / "postmaster.pid"
    return int(pid_file.read_text().splitlines()[0]) if pid_file.exists() else None


@pytest.mark.timeout(240)
def test_serve_on_embedded_postgres_survives_sigkill():
    # mkdtemp, not pytest's tmp_path: as root the server runs as a system user that must be able to
    # traverse to the data folder, and pytest's base folder is private (0700).
    data_dir = Path(tempfile.mkdtemp(prefix="tandem-serve-test-"))
    env = embedded_env(data_dir)
    created = subprocess.run(
        [
            sys.executable,
            "main.py",
            "create-user",
            "--email",
            "tech@example.com",
            "--name",
            "Tech",
            "--department",
            "SERVICE",
            "--role",
            "STAFF",
            "--password",
            PASSWORD,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert created.returncode == 0, created.stderr

    port = free_port()
    server = start_server(env, port)
    try:
        token = login(port, "tech@example.com")
        pg_pid = postmaster_pid(data_dir)
        assert pg_pid and psutil.pid_exists(pg_pid)
        server.send_signal(signal.SIGKILL)
        server.wait(10)
        # The embedded server notices its owner died and shuts down by itself.
        deadline = time.monotonic() + 30
        while psutil.pid_exists(pg_pid) and psutil.Process(pg_pid).status() != psutil.STATUS_ZOMBIE:
            assert time.monotonic() < deadline, "embedded PostgreSQL outlived its killed owner"
            time.sleep(0.2)

        server = start_server(env, port)
        login(port, "tech@example.com")  # same data: the account is still there
        # Tokens survive the restart: the signing key is kept in the data folder.
        me = httpx.post(
            f"http://127.0.0.1:{port}/graphql",
            json={"query": "{ me { name } }"},
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        ).json()
        assert me["data"]["me"]["name"] == "Tech"
        # One-shot commands share the running server's embedded database instead of failing.
        second = subprocess.run(
            [
                sys.executable,
                "main.py",
                "create-user",
                "--email",
                "lead@example.com",
                "--name",
                "Lead",
                "--department",
                "SERVICE",
                "--role",
                "LEAD",
                "--password",
                PASSWORD,
            ],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert second.returncode == 0, second.stderr
        login(port, "lead@example.com")
        # A second server on the same data folder is refused with a reason.
        other = subprocess.run(
            [sys.executable, "main.py", "serve", "--port", str(free_port())],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert other.returncode == 1 and "already in use" in other.stderr
        new_pg_pid = postmaster_pid(data_dir)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
    # A clean stop stops the embedded server too.
    deadline = time.monotonic() + 20
    while new_pg_pid and psutil.pid_exists(new_pg_pid) and psutil.Process(new_pg_pid).status() != psutil.STATUS_ZOMBIE:
        assert time.monotonic() < deadline, "embedded PostgreSQL still running after serve stopped"
        time.sleep(0.2)
    shutil.rmtree(data_dir, ignore_errors=True)
