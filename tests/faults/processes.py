"""Real processes for the fault suite: `worker.py` subprocesses on the test's services, their
forked work horses, and waiting for what a user would see."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from sop import PROJECT_ROOT

T = TypeVar("T")


def service_env(services: dict[str, Any], **extra: str) -> dict[str, str]:
    """The environment of a worker, web or CLI process on the fixture services (sop/config.py
    reads only these variables)."""
    return {**os.environ, "SOP_ENV": "test", "MONGODB_URI": services["mongo_uri"],
            "REDIS_URL": services["redis_url"], "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": str(services["sink"].port) if "sink" in services else "1",
            "BASE_URL": "http://portal.test", "LOG_LEVEL": "INFO", "PYTHONUNBUFFERED": "1",
            **extra}


class WorkerProcess:
    """`python worker.py QUEUE...` as production runs it, its output in a log file."""

    def __init__(self, env: dict[str, str], log_path: Path, *queues: str) -> None:
        self.env, self.log_path, self.queues = env, log_path, queues
        self.process: subprocess.Popen | None = None

    def start(self) -> WorkerProcess:
        log = self.log_path.open("a")
        self.process = subprocess.Popen([sys.executable, "worker.py", *self.queues],
                                        cwd=PROJECT_ROOT, env=self.env, stdout=log,
                                        stderr=subprocess.STDOUT)
        log.close()
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def horse_pid(self) -> int:
        """The work horse the worker forked for its current job: the child that leads its
        own process group (RQ's horse calls setpgrp; the scheduler child the worker also
        forks does not). Call it while a job runs."""
        found = [pid for pid in children(self.pid) if process_group(pid) == pid]
        assert len(found) == 1, f"work horses of {self.pid}: {found}"
        return found[0]

    def kill(self) -> None:
        """SIGKILL of the worker and its children (its scheduler, a work horse): no handler,
        no clean-up, as when the machine dies or the process manager kills the group."""
        assert self.process is not None
        family = children(self.pid)
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        for pid in family:
            with contextlib.suppress(ProcessLookupError):
                kill_pid(pid)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # RQ's warm shutdown
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def output(self) -> str:
        return self.log_path.read_text() if self.log_path.exists() else ""


def children(pid: int) -> list[int]:
    """Child processes of `pid`, from /proc."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def process_group(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[2])


def kill_pid(pid: int) -> None:
    os.kill(pid, signal.SIGKILL)


def wait_for(probe: Callable[[], T | None], timeout: float, what: str,
             interval: float = 0.02, explain: Callable[[], str] | None = None) -> T:
    """Poll `probe` until it returns something truthy; fail with `what` (and what `explain`
    says then, e.g. a worker's log) after `timeout` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}"
                         + (f"\n{explain()}" if explain else ""))
