"""db.embedded against real PostgreSQL processes: no mocks, a fresh data folder per test."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import pathlib
import pwd
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import textwrap
import threading
import time

import asyncpg
import psutil
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from db.embedded import POSTGRES_BIN_PATH, SYSTEM_USER, EmbeddedPostgres, EmbeddedPostgresError

REPO = pathlib.Path(__file__).resolve().parents[2]
IS_ROOT = os.geteuid() == 0


def _modes(path: pathlib.Path) -> dict[pathlib.Path, int]:
    return {p: p.stat().st_mode for p in (path, *path.parents)}


def _pidfile_pid(data: pathlib.Path) -> int:
    return int((data / "pg" / "postmaster.pid").read_text().split("\n", 1)[0])


def _is_dead(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def _wait_dead(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not _is_dead(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _postgres_in(pgdata: pathlib.Path) -> list[psutil.Process]:
    found = []
    for p in psutil.process_iter(["name"]):
        try:
            if p.info["name"] != "postgres" or _is_dead(p.pid):
                continue
            try:
                ours = p.cwd() == str(pgdata)
            except psutil.AccessDenied:  # no CAP_SYS_PTRACE: recognise the postmaster by its -D
                ours = str(pgdata) in p.cmdline()
            if ours:
                found.append(p)
        except psutil.Error:
            pass
    return found


async def _connect(ep: EmbeddedPostgres) -> asyncpg.Connection:
    return await asyncpg.connect(host=str(ep.socket_dir), user="postgres", database="postgres")


async def _notes(ep: EmbeddedPostgres) -> list[str]:
    conn = await _connect(ep)
    try:
        return [r["body"] for r in await conn.fetch("SELECT body FROM notes ORDER BY body")]
    finally:
        await conn.close()


async def _execute(ep: EmbeddedPostgres, sql: str) -> None:
    conn = await _connect(ep)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture
def make_data_dir(tmp_path: pathlib.Path):
    """Factory for data folders; kills any server a failed test left behind."""
    made: list[pathlib.Path] = []

    def make(suffix: str = "") -> pathlib.Path:
        # As root the server runs as tandem-postgres, which must traverse every parent of
        # the data folder. pytest's tmp_path sits under /tmp/pytest-of-root (0700), which the
        # module rightly refuses (see test_root_refuses_untraversable_data_dir), so as root use a
        # private folder directly in /tmp: the module only adds o+x to the data folder itself.
        d = pathlib.Path(tempfile.mkdtemp(prefix=f"tandem-pg-test-{suffix}")) if IS_ROOT else tmp_path / f"data{suffix}"
        made.append(d)
        return d

    yield make
    for d in made:
        for p in _postgres_in(d / "pg"):
            p.kill()
        if IS_ROOT:
            shutil.rmtree(d, ignore_errors=True)


async def test_restart_keeps_data(make_data_dir, tmp_path):
    data = make_data_dir()
    (data / "pg.initdb").mkdir(parents=True)  # debris of an initdb that crashed half-way
    (data / "pg.initdb" / "PG_VERSION").write_text("junk\n")
    watched = {**_modes(data.parent), **_modes(tmp_path.parent), **_modes(pathlib.Path(tempfile.gettempdir()))}

    ep = EmbeddedPostgres(data)
    # Start from a thread that exits at once: PR_SET_PDEATHSIG fires when the forking *thread*
    # exits, so a server tied to the caller's thread would shut down right after this.
    urls: list[str] = []
    starter = threading.Thread(target=lambda: urls.append(ep.start()))
    starter.start()
    starter.join()
    assert urls == [ep.url] == [f"postgresql+asyncpg://postgres@/postgres?host={ep.socket_dir}"]
    assert ep.socket_dir == data / "run"
    await asyncio.sleep(0.3)  # PDEATHSIG would have fired by now
    pid = _pidfile_pid(data)
    server = psutil.Process(pid)
    assert server.ppid() == os.getpid()  # a foreground child, not a pg_ctl daemon
    # Unix socket only: postmaster.pid's listen-address line is empty, and no inet sockets.
    assert (data / "pg" / "postmaster.pid").read_text().split("\n")[5].strip() == ""
    with contextlib.suppress(psutil.AccessDenied):  # root without CAP_SYS_PTRACE (Docker's default)
        assert server.net_connections("inet") == []
    if IS_ROOT:
        assert server.uids().effective == pwd.getpwnam(SYSTEM_USER).pw_uid

    await _execute(ep, "CREATE TABLE notes (body text); INSERT INTO notes VALUES ('kept')")
    engine = create_async_engine(ep.url)  # the URL as the service uses it
    try:
        async with engine.connect() as conn:
            assert (await conn.execute(text("SELECT count(*) FROM notes"))).scalar() == 1
    finally:
        await engine.dispose()

    ep.stop()
    ep.stop()  # idempotent
    assert _is_dead(pid)
    assert not (data / "pg" / "postmaster.pid").exists()  # it was a clean shutdown

    with EmbeddedPostgres(data) as again:
        assert await _notes(again) == ["kept"]
    assert _postgres_in(data / "pg") == []

    if IS_ROOT:
        uid = pwd.getpwnam(SYSTEM_USER).pw_uid
        assert (data / "pg").stat().st_uid == uid and (data / "run").stat().st_uid == uid
        assert data.stat().st_mode & stat.S_IXOTH
    # Nothing outside the data folder had its mode changed.
    assert {p: p.stat().st_mode for p in watched} == watched


async def test_second_instance_on_same_dir_is_refused(make_data_dir):
    data = make_data_dir()
    first = EmbeddedPostgres(data)
    first.start()
    try:
        pid = _pidfile_pid(data)
        second = EmbeddedPostgres(data)
        with pytest.raises(EmbeddedPostgresError, match=f"already in use by pid {os.getpid()}"):
            second.start()
        assert not _is_dead(pid)  # the refusal left the running server alone
        await _execute(first, "SELECT 1")
    finally:
        first.stop()
    second.start()  # the lock went with the first owner
    second.stop()


OWNER_SCRIPT = textwrap.dedent("""
    import asyncio, pathlib, sys, time
    import asyncpg
    from db.embedded import EmbeddedPostgres

    ep = EmbeddedPostgres(pathlib.Path(sys.argv[1]))
    ep.start()

    async def write():
        conn = await asyncpg.connect(host=str(ep.socket_dir), user="postgres", database="postgres")
        await conn.execute("CREATE TABLE notes (body text); INSERT INTO notes VALUES ('survived')")
        await conn.close()

    asyncio.run(write())
    print("READY", flush=True)
    time.sleep(600)
""")


async def test_sigkilled_owner_takes_its_server_down(make_data_dir):
    data = make_data_dir()
    owner = subprocess.Popen(
        [sys.executable, "-c", OWNER_SCRIPT, str(data)], cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    try:
        assert owner.stdout.readline().strip() == "READY"
        pid = _pidfile_pid(data)
        assert psutil.Process(pid).ppid() == owner.pid
        with pytest.raises(EmbeddedPostgresError, match=f"already in use by pid {owner.pid}"):
            EmbeddedPostgres(data).start()
        owner.kill()
        owner.wait()
    finally:
        if owner.poll() is None:
            owner.kill()
            owner.wait()
        owner.stdout.close()
    assert _wait_dead(pid, 15), "postgres kept running after its owner was SIGKILLed"
    assert not (data / "pg" / "postmaster.pid").exists()  # PDEATHSIG → SIGINT → clean fast shutdown

    with EmbeddedPostgres(data) as ep:
        assert await _notes(ep) == ["survived"]


async def test_leftover_postmaster_is_stopped_and_replaced(make_data_dir, caplog):
    data = make_data_dir()
    with EmbeddedPostgres(data) as ep:
        await _execute(ep, "CREATE TABLE notes (body text); INSERT INTO notes VALUES ('from before')")
    # A server with no owner: daemonised by pg_ctl on the same folder, as the OS user we would use.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    as_user = {"user": SYSTEM_USER, "group": pwd.getpwnam(SYSTEM_USER).pw_gid, "extra_groups": []} if IS_ROOT else {}
    pg_ctl = subprocess.run(
        [
            str(POSTGRES_BIN_PATH / "pg_ctl"),
            "-D",
            str(data / "pg"),
            "-l",
            str(data / "pg" / "leftover.log"),
            "-w",
            "-o",
            f"-c listen_addresses= -k {ep.socket_dir}",
            "start",
        ],
        cwd="/",
        **as_user,
        env=env,
        capture_output=True,
        text=True,
    )
    assert pg_ctl.returncode == 0, pg_ctl.stdout + pg_ctl.stderr
    leftover = _pidfile_pid(data)
    assert psutil.Process(leftover).ppid() != os.getpid()

    caplog.set_level(logging.INFO, logger="tandem.embedded")
    with EmbeddedPostgres(data) as ep:
        assert _is_dead(leftover)
        ours = _pidfile_pid(data)
        assert ours != leftover and psutil.Process(ours).ppid() == os.getpid()
        assert await _notes(ep) == ["from before"]
    assert f"stopping leftover PostgreSQL process {leftover}" in caplog.text


async def test_stale_postmaster_pid_after_server_crash(make_data_dir, caplog):
    caplog.set_level(logging.INFO, logger="tandem.embedded")
    data = make_data_dir()
    ep = EmbeddedPostgres(data)
    ep.start()
    await _execute(ep, "CREATE TABLE notes (body text); INSERT INTO notes VALUES ('a: before crash')")

    def crash() -> int:  # no shutdown checkpoint, postmaster.pid stays behind
        pid = _pidfile_pid(data)
        os.kill(pid, signal.SIGKILL)
        assert _wait_dead(pid, 5)
        ep.stop()
        assert _pidfile_pid(data) == pid
        return pid

    pid = crash()
    ep.start()  # dead pid in postmaster.pid: postgres itself takes over and replays WAL
    assert f"stale postmaster.pid (pid {pid} is gone)" in caplog.text
    await _execute(ep, "INSERT INTO notes VALUES ('b: after recovery')")
    crash()
    # Same, but the pid now belongs to an unrelated live process (common in containers):
    # postgres alone would refuse to start ("Is another postmaster running?").
    sleeper = subprocess.Popen(["sleep", "60"])
    try:
        pidfile = data / "pg" / "postmaster.pid"
        lines = pidfile.read_text().split("\n")
        pidfile.write_text("\n".join([str(sleeper.pid), *lines[1:]]))
        ep.start()
        assert f"postmaster.pid names pid {sleeper.pid}, not a live postmaster" in caplog.text
        assert await _notes(ep) == ["a: before crash", "b: after recovery"]
        assert sleeper.poll() is None  # left alone
    finally:
        sleeper.kill()
        sleeper.wait()
        ep.stop()


async def test_long_data_dir_uses_short_socket_dir(make_data_dir):
    data = make_data_dir("x" * 100)
    assert len(str(data / "run" / ".s.PGSQL.5432")) > 107
    ep = EmbeddedPostgres(data)
    try:
        ep.start()
        assert ep.socket_dir.parent == pathlib.Path(tempfile.gettempdir())
        st = ep.socket_dir.stat()
        assert stat.S_IMODE(st.st_mode) == 0o700
        assert st.st_uid == (pwd.getpwnam(SYSTEM_USER).pw_uid if IS_ROOT else os.geteuid())
        await _execute(ep, "SELECT 1")
    finally:
        ep.stop()
        shutil.rmtree(ep.socket_dir, ignore_errors=True)


@pytest.mark.skipif(not IS_ROOT, reason="only root runs the server as another user")
def test_root_refuses_untraversable_data_dir(tmp_path):
    if all(p.stat().st_mode & stat.S_IXOTH for p in tmp_path.parents):
        pytest.skip("pytest's temp folder is traversable by other users here")
    data = tmp_path / "data"
    before = {**_modes(tmp_path), **_modes(pathlib.Path(tempfile.gettempdir()))}
    for _ in range(2):  # twice: a refusal must release the lock
        with pytest.raises(EmbeddedPostgresError) as refused:
            EmbeddedPostgres(data).start()
        message = str(refused.value)
        assert "\n" not in message and "TANDEM_DATA_DIR" in message and "non-root" in message
    assert {p: p.stat().st_mode for p in before} == before
    assert not (data / "pg").exists()
