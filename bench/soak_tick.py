"""The minutely job bench/soak.py adds to the schedule: it records when it ran, so the soak
can count runs per period with two schedulers started (workers import it from bench/)."""

from __future__ import annotations

import time

from sop.extensions import redis_queues

TICKS_KEY = "soak:ticks"


def tick() -> str:
    redis_queues.redis.rpush(TICKS_KEY, time.time())
    return "tick"
