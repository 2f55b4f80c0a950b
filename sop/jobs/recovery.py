"""Work a dead worker left behind: its RQ jobs, and the records those jobs were writing.

A work horse killed mid-job (SIGKILL, the OOM killer) is seen by its worker at once; a worker
killed with its job is seen by the next worker that starts on the same machine (the dead
one's pid is gone), or by any worker once the job's heartbeat has expired. In each case the
job ends failed (listed on /admin/jobs to requeue) or, when it has retries left (e-mail), is
retried; and the record it was writing is set right: an import half-applied is undone and
failed, a report half-built is failed with a sentence. Every step is safe to repeat.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Collection

from redis import Redis
from rq import Worker
from rq.job import Job
from rq.registry import ScheduledJobRegistry, StartedJobRegistry

from sop.extensions import QUEUE_NAMES, redis_queues

log = logging.getLogger(__name__)

LIVE_JOB_STATUSES = ("queued", "started", "deferred", "scheduled")


def job_is_live(job_id: str | None, dead_job_ids: Collection[str] = ()) -> bool:
    """The job may still run: it exists in Redis, waits or runs, and is not known dead."""
    if not job_id or job_id in dead_job_ids:
        return False
    redis = redis_queues.redis
    if not Job.exists(job_id, connection=redis):
        return False
    return Job.fetch(job_id, connection=redis).get_status() in LIVE_JOB_STATUSES


def worker_is_dead(connection: Redis, worker_name: str | None) -> bool:
    """The worker is gone: no longer registered, or registered from this machine with a pid
    that no longer runs (a worker restarted after a kill)."""
    if not worker_name:
        return False
    worker = Worker.find_by_key(Worker.redis_worker_namespace_prefix + worker_name,
                                connection=connection)
    if worker is None:
        return True
    if worker.hostname != socket.gethostname() or not worker.pid:
        return False  # another machine's worker: its heartbeat decides (RQ's own clean-up)
    try:
        os.kill(worker.pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def fail_jobs_of_dead_workers(exception_handlers: list | None = None) -> list[str]:
    """Started jobs whose worker is dead are handed to RQ's abandoned-job handling now
    instead of when their heartbeat expires: failed, or, when they have retries left,
    queued again at once (not after the retry's back-off, which is for a refusing server:
    the scheduler lock of the dead worker may hold delayed retries for minutes). Returns
    their ids."""
    connection = redis_queues.redis
    abandoned = []
    for name in QUEUE_NAMES:
        registry = StartedJobRegistry(queue=redis_queues.queue(name))
        expired_now = {}
        for job_id, execution_id in registry.get_job_and_execution_ids():
            job = Job.fetch(job_id, connection=connection) if Job.exists(
                job_id, connection=connection) else None
            if job is not None and worker_is_dead(connection, job.worker_name):
                expired_now[f"{job_id}:{execution_id}"] = 0
                abandoned.append(job_id)
        if expired_now:
            connection.zadd(registry.key, expired_now, xx=True)
            registry.cleanup(exception_handlers=exception_handlers)
            retries = ScheduledJobRegistry(queue=redis_queues.queue(name))
            for job_id in abandoned:
                if job_id in retries:
                    retries.requeue(job_id, at_front=True)
    if abandoned:
        log.warning("Jobs of dead workers handled as abandoned: %s", ", ".join(abandoned))
    return abandoned


def recover_interrupted_work(dead_job_ids: Collection[str] = ()) -> dict[str, int]:
    """Set right the records of jobs that died: imports undone and failed, reports failed.
    `dead_job_ids` are jobs known dead whose status RQ has not recorded yet."""
    from sop.imports.services import recover_interrupted_imports
    from sop.reports.services import fail_interrupted_reports

    return {"imports": recover_interrupted_imports(dead_job_ids),
            "reports": fail_interrupted_reports(dead_job_ids)}
