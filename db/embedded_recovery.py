"""Crash recovery of the embedded PostgreSQL (db/embedded.py): stop what a dead owner left running.

Whoever holds the data folder's lock knows that any postgres still running on that folder has lost its
owner (SIGKILLed before PR_SET_PDEATHSIG existed, started by pg_ctl, ...). These functions find such
processes by their working folder (or, where that cannot be read, by postmaster.pid's start time),
stop them, and clear a postmaster.pid that names no live postmaster.
"""

from __future__ import annotations

import contextlib
import logging
import pathlib
import signal
import time

import psutil

log = logging.getLogger("tandem.embedded")

PidFile = tuple[int, float | None]  # (pid, start time) of postmaster.pid


def _alive(p: psutil.Process) -> bool:
    # Zombies count as dead: where PID 1 does not reap, an exited daemonised postmaster stays one.
    try:
        return bool(p.is_running() and p.status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False
    except psutil.Error:
        return True


def _signal_and_wait(procs: list[psutil.Process], sig: int | None, timeout: float) -> list[psutil.Process]:
    """Send sig (if any) to procs; return those still alive after up to timeout seconds."""
    for p in procs if sig is not None else ():
        with contextlib.suppress(psutil.NoSuchProcess):
            p.send_signal(sig)
    deadline = time.monotonic() + timeout
    while (procs := [p for p in procs if _alive(p)]) and time.monotonic() < deadline:
        time.sleep(0.05)
    return procs


def read_pidfile(pgdata: pathlib.Path) -> PidFile | None:
    """(pid, start time) from postmaster.pid, whose first lines are "pid", "data dir", "start"."""
    try:
        lines = (pgdata / "postmaster.pid").read_text().split("\n")
        return int(lines[0]), (float(lines[2]) if len(lines) > 2 and lines[2].strip() else None)
    except (OSError, ValueError):
        return None


def is_ours(p: psutil.Process, pgdata: pathlib.Path, pidfile: PidFile | None) -> bool | None:
    """Whether p is a live postgres process of the cluster in `pgdata`; None if we cannot tell."""
    try:
        if p.name() != "postgres" or not _alive(p):
            return False
        try:  # the postmaster chdirs into its data folder, and its children inherit that
            return bool(p.cwd() == str(pgdata))
        except psutil.AccessDenied:
            # Without CAP_SYS_PTRACE (Docker's default) even root may not read another
            # user's cwd; but anyone may compare start times with the one postmaster.pid records.
            if pidfile and p.pid == pidfile[0] and pidfile[1] and abs(p.create_time() - pidfile[1]) < 5:
                return True
            return None
    except psutil.NoSuchProcess:
        return False
    except psutil.Error:
        return None


def stop_leftovers(pgdata: pathlib.Path) -> list[int]:
    """Stop the cluster's processes (the caller holds the data folder's lock, so they have no owner);
    the pids of those that would not stop. Then remove a postmaster.pid that names no live postmaster."""
    pidfile = read_pidfile(pgdata)
    leftovers = [p for p in psutil.process_iter() if is_ours(p, pgdata, pidfile)]
    if leftovers:
        pidfile_pid, pids = (pidfile[0] if pidfile else None), {p.pid for p in leftovers}
        for p in leftovers:
            try:
                if p.pid != pidfile_pid and p.ppid() in pids:
                    continue  # a postmaster takes its children down itself
            except psutil.NoSuchProcess:
                continue
            # SIGINT is a fast shutdown, clean, with a checkpoint; any other root is a backend
            # orphaned by a dead postmaster, and SIGQUIT makes it exit at once.
            sig = signal.SIGINT if p.pid == pidfile_pid else signal.SIGQUIT
            log.warning("stopping leftover PostgreSQL process %d on %s with %s", p.pid, pgdata, sig.name)
            _signal_and_wait([p], sig, 0)
        remaining = _signal_and_wait(leftovers, None, 15.0)
        for sig in (signal.SIGQUIT, signal.SIGKILL):
            if remaining:
                log.warning("leftover PostgreSQL processes %s still running: %s", [p.pid for p in remaining], sig.name)
                remaining = _signal_and_wait(remaining, sig, 5.0)
        if remaining:
            return [p.pid for p in remaining]
    if (pidfile := read_pidfile(pgdata)) is None:
        return []
    try:
        pid = pidfile[0]
        holder = psutil.Process(pid)
    except psutil.NoSuchProcess:
        log.info("stale postmaster.pid (pid %d is gone): PostgreSQL will recover by itself", pid)
        return []
    if is_ours(holder, pgdata, pidfile) is False:
        # A zombie, or a pid reused by an unrelated process (common in containers): postgres
        # would take it for a live postmaster and refuse to start.
        log.warning("postmaster.pid names pid %d, not a live postmaster of %s: removing the file", pid, pgdata)
        (pgdata / "postmaster.pid").unlink(missing_ok=True)
    return []
