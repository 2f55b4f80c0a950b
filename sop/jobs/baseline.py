"""Baseline jobs (queue `forecasting`): the open cycle's statistical baseline, nightly, after
every sales-history import and when a cycle opens. Never in a web request: the request (or
the import job) only queues. Progress is kept in the job's meta (`progress`: lines done of
lines to fit), which the jobs page shows while it runs."""

from __future__ import annotations

import logging

from redis.exceptions import RedisError
from rq import get_current_job

from sop.extensions import redis_queues
from sop.models import Cycle

log = logging.getLogger(__name__)

QUEUE = "forecasting"
JOB_TIMEOUT = 60 * 60
RESULT_TTL = 7 * 24 * 3600


def compute_baseline(cycle_id: str | None = None) -> str:
    """The baseline of `cycle_id`, or of the open cycle; a closed cycle's is left frozen."""
    from sop.baseline.batch import default_processes
    from sop.baseline.cycle import BaselineFrozen, compute_cycle_baseline
    from sop.cycles.services import current_open_cycle

    cycle = Cycle.objects(id=cycle_id).first() if cycle_id else current_open_cycle()
    if cycle is None:
        return "no open cycle: nothing to compute"
    try:
        run = compute_cycle_baseline(cycle, processes=default_processes(),
                                     progress=_job_progress())
    except BaselineFrozen as exc:
        return str(exc)
    return f"{cycle.label}: {run.summary()}"


def _job_progress():
    job = get_current_job()
    if job is None:
        return None

    def progress(done: int, total: int) -> None:
        job.meta["progress"] = f"{done:,} of {total:,} lines fitted"
        job.save_meta()

    return progress


def queue_baseline(cycle: Cycle | None = None, reason: str = "") -> bool:
    """Queue the baseline of `cycle` (default: the open cycle, read when the job runs); a
    run more than needed costs little: lines whose history did not change are skipped. False
    (logged) when Redis refuses: the nightly run catches up, and the caller's own work (an
    import, an opening) stands."""
    try:
        redis_queues.queue(QUEUE).enqueue(
            "sop.jobs.baseline.compute_baseline", str(cycle.pk) if cycle else None,
            job_timeout=JOB_TIMEOUT, result_ttl=RESULT_TTL,
            description=f"Statistical baseline of {cycle.label if cycle else 'the open cycle'}"
                        + (f" ({reason})" if reason else ""))
    except RedisError as exc:
        log.warning("baseline not queued (%s): %s", reason or "open cycle", exc)
        return False
    return True
