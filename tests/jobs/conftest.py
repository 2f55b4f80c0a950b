"""Helpers for the scheduler tests: rq-scheduler reads cron strings in the process's local
time (worker.py sets TZ to SCHEDULER_TIMEZONE), so tests pin the zone the same way."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime


@contextmanager
def process_zone(zone: str) -> Iterator[None]:
    previous = os.environ.get("TZ")
    os.environ["TZ"] = zone
    time.tzset()
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("TZ")
        else:
            os.environ["TZ"] = previous
        time.tzset()


def next_run(scheduler, job_id: str) -> datetime:
    return next(when for job, when in scheduler.get_jobs(with_times=True) if job.id == job_id)
