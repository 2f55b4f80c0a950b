from __future__ import annotations

from typing import Any

from mongoengine.connection import get_db
from pymongo.errors import PyMongoError
from redis.exceptions import RedisError
from rq import Worker
from rq.defaults import DEFAULT_WORKER_TTL

from sop.clock import now
from sop.extensions import redis_queues

# An idle RQ worker waits on its queues for worker_ttl - 15 s between heartbeats (RQ 2.12:
# dequeue_timeout), and RQ itself forgets a worker worker_ttl + 60 s after its last heartbeat.
# Our workers use RQ's default worker_ttl, so a heartbeat younger than that is a live worker.
WORKER_STALE_SECONDS = DEFAULT_WORKER_TTL + 60


def service_health() -> dict[str, Any]:
    """Database, Redis and worker heartbeat; `status` is ok only when all three are."""
    checks: dict[str, str] = {}
    try:
        get_db().command("ping")
        checks["database"] = "ok"
    except PyMongoError:
        checks["database"] = "unreachable"
    try:
        redis_queues.redis.ping()
        checks["redis"] = "ok"
        heartbeats = [w.last_heartbeat for w in Worker.all(connection=redis_queues.redis)
                      if w.last_heartbeat]
        fresh = [h for h in heartbeats
                 if (now() - h.replace(tzinfo=now().tzinfo)).total_seconds() < WORKER_STALE_SECONDS]
        checks["worker"] = "ok" if fresh else ("stale" if heartbeats else "none running")
    except RedisError:
        checks["redis"] = "unreachable"
        checks["worker"] = "unknown"
    status = "ok" if all(value == "ok" for value in checks.values()) else "degraded"
    return {"status": status, **checks}
