"""What every benchmark needs: the real services on free ports, the app, memory readings and
the closing JSON line. Benchmarks are not tests: they print figures, they do not assert."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sop import create_app  # noqa: E402
from sop.dev.stack import (  # noqa: E402
    free_port,
    start_embedded_mongo,
    start_redis,
    stop_process,
    wait_for_port,
)

DATA_DIR = ROOT / "bench" / "data"


@contextmanager
def bench_services() -> Iterator[dict[str, Any]]:
    """The embedded database (in memory) and Redis, started for this run and stopped after."""
    with tempfile.TemporaryDirectory() as work:
        log = open(Path(work) / "services.log", "w")  # noqa: SIM115 - closed below
        mongo, mongo_uri = start_embedded_mongo(":memory:", free_port(), log)
        redis, redis_url = start_redis(free_port(), Path(work) / "redis", log)
        try:
            yield {"mongo_uri": mongo_uri, "redis_url": redis_url, "mongo_pid": mongo.pid}
        finally:
            for process in (redis, mongo):
                stop_process(process)
            log.close()


@contextmanager
def gunicorn(services: dict[str, Any], workers: int = 4, threads: int = 1) -> Iterator[str]:
    """The app under gunicorn on the bench services; yields its URL. By default as README's
    production command runs it: 4 synchronous workers (what users get, not a setting tuned
    for the benchmark)."""
    port = free_port()
    env = {**os.environ, "SOP_ENV": "test", "MONGODB_URI": services["mongo_uri"],
           "REDIS_URL": services["redis_url"], "LOG_LEVEL": "WARNING"}
    server = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "--workers", str(workers), "--threads",
         str(threads), "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "wsgi:app"],
        cwd=ROOT, env=env)
    try:
        wait_for_port(port, server, "gunicorn", timeout=60)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)


def bench_app(services: dict[str, Any]):
    return create_app({"SOP_ENV": "test", "MONGODB_URI": services["mongo_uri"],
                       "REDIS_URL": services["redis_url"], "BCRYPT_ROUNDS": 4,
                       "RATELIMIT_ENABLED": False})


def own_peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM starts afresh at exec, unlike ru_maxrss,
    which a child inherits from the big parent that forked it)."""
    return peak_rss_mb(os.getpid())


def own_cpu_seconds() -> float:
    """User + system CPU time of this process so far: steadier than wall time on a busy
    machine."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of another process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid: int) -> float:
    """Peak resident memory of another process (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def print_table(rows: list[tuple[str, str]]) -> None:
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"{label:<{width}}  {value}")


def print_result(figures: dict[str, Any]) -> None:
    """The last line of every benchmark: one JSON object, comparable run to run."""
    print(json.dumps(figures, sort_keys=True))
