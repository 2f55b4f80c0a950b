"""The development and test stack: real services on loopback, started when missing.

`python -m sop.dev.stack run` (what `make run` calls) starts the embedded MongoDB-wire server,
Redis and an SMTP sink as needed, seeds demo data on the first run, then serves the web app with
one RQ worker per queue group (`WORKER_GROUPS`, as production runs them) and one scheduler,
printing every process's output with a prefix. Ctrl-C stops all of them. The test fixtures use
the same starters with in-memory storage and free ports. The app never imports the embedded
database package: it is only ever a separate server process.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import IO

from aiosmtpd.controller import Controller

from sop.config import PROJECT_ROOT, SERVICES_ENV_FILE, VAR_DIR

DEV_MONGO_PORT = 27717
DEV_REDIS_PORT = 6389
DEV_SMTP_PORT = 8025
# One worker per group, so a long import never holds up a report or an e-mail (issue 13).
WORKER_GROUPS: tuple[tuple[str, ...], ...] = (("imports",), ("reports",), ("mail", "default"),
                                              ("forecasting",))


class StackError(RuntimeError):
    """A service could not be started; the message says what to do."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.3)
        return sock.connect_ex((host, port)) == 0


def wait_for_port(port: int, process: subprocess.Popen | None, name: str,
                  timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_open(port):
            return
        if process is not None and process.poll() is not None:
            raise StackError(f"{name} exited at start (code {process.returncode}); see its output.")
        time.sleep(0.1)
    raise StackError(f"{name} did not listen on port {port} within {timeout:.0f} s.")


def stop_process(process: subprocess.Popen, timeout: float = 10.0) -> None:
    """Ask a child to stop; kill it if it has not within `timeout` seconds."""
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()


def start_embedded_mongo(storage_path: str, port: int, output: int | IO | None = None,
                         extra_args: tuple[str, ...] = ()) -> tuple[subprocess.Popen, str]:
    """The embedded MongoDB-compatible server; `storage_path=":memory:"` for tests. On disk
    it syncs its log on every commit: without that, a server killed (crash, SIGKILL, OOM)
    came back without writes it had acknowledged seconds before (tests/faults)."""
    durable = []
    if storage_path != ":memory:":
        Path(storage_path).mkdir(parents=True, exist_ok=True)
        durable = ["--sync-on-commit"]
    process = subprocess.Popen(
        [sys.executable, "-m", "secantus", "--host", "127.0.0.1", "--port", str(port),
         "--storage-path", storage_path, "--log-level", "WARNING", *durable, *extra_args],
        stdout=output, stderr=subprocess.STDOUT if output is not None else None, text=True,
        start_new_session=True,  # Ctrl-C reaches `make run`, which stops it after the app
    )
    wait_for_port(port, process, "The embedded database")
    return process, f"mongodb://127.0.0.1:{port}/sop?retryWrites=false"


def redis_answers(url: str) -> bool:
    from redis import Redis
    from redis.exceptions import RedisError

    try:
        return bool(Redis.from_url(url, socket_connect_timeout=0.5).ping())
    except RedisError:
        return False


def start_redis(port: int, data_dir: Path, output: int | IO | None = None
                ) -> tuple[subprocess.Popen, str]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise StackError("redis-server is missing: install it (sudo apt-get install "
                         "redis-server) or set REDIS_URL.")
    data_dir.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [binary, "--bind", "127.0.0.1", "--port", str(port), "--dir", str(data_dir),
         "--save", "300 1", "--appendonly", "no", "--protected-mode", "yes"],
        stdout=output, stderr=subprocess.STDOUT if output is not None else None, text=True,
        start_new_session=True,
    )
    wait_for_port(port, process, "Redis")
    return process, f"redis://127.0.0.1:{port}/0"


class MaildirHandler:
    """aiosmtpd handler that keeps each received message as one .eml file."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self._counter = 0
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:
        with self._lock:
            self._counter += 1
            name = f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{self._counter:05d}.eml"
        path = self.directory / name
        path.write_bytes(envelope.original_content or envelope.content)
        return "250 Message accepted"


class SmtpSink:
    """A real SMTP server on loopback that writes every message it receives to a folder."""

    def __init__(self, directory: Path, port: int) -> None:
        self.directory = directory
        self.port = port
        self._controller = Controller(MaildirHandler(directory), hostname="127.0.0.1", port=port)

    def start(self) -> SmtpSink:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def messages(self) -> list[EmailMessage]:
        """Received messages, oldest first, with headers decoded."""
        return [message_from_bytes(p.read_bytes(), policy=policy.default)  # type: ignore[misc]
                for p in sorted(self.directory.glob("*.eml"))]

    def clear(self) -> None:
        for path in self.directory.glob("*.eml"):
            path.unlink()


# ---------------------------------------------------------------------------------------------
# make run


class ProcessGroup:
    """Child processes whose output is printed line by line with a name prefix."""

    def __init__(self) -> None:
        self.processes: list[tuple[str, subprocess.Popen]] = []

    def start(self, name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen:
        process = subprocess.Popen(args, env=env, cwd=PROJECT_ROOT, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, bufsize=1, text=True,
                                   start_new_session=True)
        self.adopt(name, process)
        return process

    def adopt(self, name: str, process: subprocess.Popen) -> None:
        self.processes.append((name, process))
        if process.stdout is not None:
            threading.Thread(target=self._relay, args=(name, process.stdout), daemon=True).start()

    @staticmethod
    def _relay(name: str, stream: IO[str]) -> None:
        for line in stream:
            print(f"{name:>9} | {line.rstrip()}", flush=True)

    def first_exited(self) -> tuple[str, int] | None:
        for name, process in self.processes:
            if process.poll() is not None:
                return name, process.returncode
        return None

    def stop_all(self) -> None:
        """Newest first: the app processes end before the services they use."""
        for _, process in reversed(self.processes):
            stop_process(process)


def say(message: str) -> None:
    print(f"{'make run':>9} | {message}", flush=True)


@contextlib.contextmanager
def development_services(group: ProcessGroup) -> Iterator[dict[str, str]]:
    """Resolve or start the database, Redis and SMTP sink; yield the variables to use."""
    resolved: dict[str, str] = {}
    sink: SmtpSink | None = None
    if os.environ.get("MONGODB_URI"):
        say("Database: using MONGODB_URI.")
    else:
        if port_open(DEV_MONGO_PORT):
            raise StackError(f"Port {DEV_MONGO_PORT} is taken: is another `make run` running? "
                             "Stop it, or set MONGODB_URI.")
        process, uri = start_embedded_mongo(str(VAR_DIR / "db"), DEV_MONGO_PORT, subprocess.PIPE)
        group.adopt("database", process)
        resolved["MONGODB_URI"] = uri
        say(f"Database: embedded server on 127.0.0.1:{DEV_MONGO_PORT}, data in var/db.")
    if os.environ.get("REDIS_URL"):
        say("Redis: using REDIS_URL.")
    elif redis_answers("redis://127.0.0.1:6379/0"):
        resolved["REDIS_URL"] = "redis://127.0.0.1:6379/0"
        say("Redis: using the local Redis on port 6379.")
    else:
        process, url = start_redis(DEV_REDIS_PORT, VAR_DIR / "redis", subprocess.PIPE)
        group.adopt("redis", process)
        resolved["REDIS_URL"] = url
        say(f"Redis: started on 127.0.0.1:{DEV_REDIS_PORT}, data in var/redis.")
    if os.environ.get("MAIL_SERVER"):
        say("E-mail: using MAIL_SERVER.")
    else:
        sink = SmtpSink(VAR_DIR / "mail", DEV_SMTP_PORT).start()
        resolved.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=str(DEV_SMTP_PORT))
        say(f"E-mail: SMTP sink on 127.0.0.1:{DEV_SMTP_PORT}; every message lands in var/mail/.")
    SERVICES_ENV_FILE.parent.mkdir(parents=True, exist_ok=True)
    SERVICES_ENV_FILE.write_text(
        "# Written by `make run`: where the development services are.\n"
        + "".join(f"{key}={value}\n" for key, value in resolved.items())
    )
    try:
        yield resolved
    finally:
        SERVICES_ENV_FILE.unlink(missing_ok=True)
        if sink is not None:
            sink.stop()


def run_development() -> int:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    group = ProcessGroup()
    stopping = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda *_: stopping.set())
    port = os.environ.get("PORT", "8000")
    try:
        with development_services(group) as resolved:
            env = {**os.environ, **resolved, "SOP_ENV": "development", "FLASK_APP": "wsgi",
                   "PYTHONUNBUFFERED": "1"}
            bin_dir = Path(sys.executable).parent
            flask = str(bin_dir / "flask")
            seed = subprocess.run([flask, "seed-demo", "--if-empty"], env=env, cwd=PROJECT_ROOT,
                                  check=False)
            if seed.returncode != 0:
                raise StackError("Seeding the demo data failed; see the messages above.")
            group.start("web", [flask, "run", "--host", "127.0.0.1", "--port", port,
                                "--no-reload"], env)
            for queues in WORKER_GROUPS:
                group.start(f"worker-{queues[0]}", [sys.executable, "worker.py", *queues], env)
            group.start("scheduler", [sys.executable, "worker.py", "--scheduler"], env)
            wait_for_port(int(port), None, "The web app")
            say(f"Ready: open http://127.0.0.1:{port}  (Ctrl-C stops everything)")
            while not stopping.is_set():
                exited = group.first_exited()
                if exited:
                    say(f"{exited[0]} stopped (exit code {exited[1]}); stopping the rest.")
                    return 1
                time.sleep(0.5)
            say("Stopping: the web app, the workers and the scheduler, then the services...")
    except StackError as exc:
        say(str(exc))
        return 1
    finally:
        group.stop_all()
    return 0


if __name__ == "__main__":
    if sys.argv[1:] != ["run"]:
        sys.exit("usage: python -m sop.dev.stack run")
    sys.exit(run_development())
