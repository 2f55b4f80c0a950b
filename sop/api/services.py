from __future__ import annotations

from typing import Any

from mongoengine.connection import get_db
from pymongo.errors import PyMongoError
from redis.exceptions import RedisError
from rq import Worker

from sop.clock import now
from sop.extensions import redis_queues

WORKER_STALE_SECONDS = 120


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
