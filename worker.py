"""RQ worker and scheduler entry point.

    python worker.py                 # a worker on every queue (default, mail, imports, reports)
    python worker.py mail reports    # a worker on some queues
    python worker.py --scheduler     # the one scheduler process (periodic jobs)

The app is built once; jobs run inside its application context.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings

from redis.exceptions import RedisError

from sop import create_app
from sop.config import ConfigError
from sop.extensions import QUEUE_NAMES, redis_queues

REDIS_RETRY_SECONDS = 1.0


def wait_for_redis() -> None:
    """Until Redis answers again (an outage, a restart)."""
    while True:
        try:
            redis_queues.redis.ping()
            return
        except RedisError:
            time.sleep(REDIS_RETRY_SECONDS)


def run_worker(queue_names: list[str]) -> None:
    """Work until asked to stop. RQ ends its work loop on a Redis error it does not expect
    (Redis went away while a job was being finished); then the worker waits for Redis and
    starts working again, so an outage needs no restart of anything."""
    from sop.jobs.recovery import fail_jobs_of_dead_workers, recover_interrupted_work
    from sop.jobs.runner import AppWorker, audit_final_failure

    app = create_app()
    with app.app_context():
        while True:
            wait_for_redis()
            try:
                # A worker killed on this machine left its jobs "started" and, for an import,
                # undo records: fail or retry those jobs, then undo and fail what they wrote.
                fail_jobs_of_dead_workers(exception_handlers=[audit_final_failure])
                recover_interrupted_work()
                queues = [redis_queues.queue(name) for name in queue_names]
                worker = AppWorker(queues, connection=redis_queues.redis)
                worker.app = app
                worker.work(with_scheduler=True)
            except RedisError as exc:
                app.logger.warning("Redis unreachable (%s); working again once it answers.",
                                   exc)
                continue
            if worker.shutdown_requested:
                return
            app.logger.warning("The work loop ended on an error (see above); working again "
                               "once Redis answers.")
            time.sleep(REDIS_RETRY_SECONDS)


def run_scheduler() -> None:
    from sop.jobs.schedule import make_scheduler, register_schedule

    # crontab warns about a future default; rq-scheduler relies on the local-time behaviour.
    warnings.filterwarnings("ignore", category=FutureWarning, module="rq_scheduler")
    app = create_app()
    # rq-scheduler reads cron strings in the process's local time zone.
    os.environ["TZ"] = app.config["SCHEDULER_TIMEZONE"]
    time.tzset()
    with app.app_context():
        while True:
            wait_for_redis()
            try:
                scheduler = make_scheduler(redis_queues.redis)
                registered = register_schedule(scheduler)
                app.logger.info("Scheduler ready (%s); registered now: %s",
                                app.config["SCHEDULER_TIMEZONE"],
                                ", ".join(registered) or "none new")
                scheduler.run()
                return
            except RedisError as exc:  # an outage: the schedule is in Redis, wait for it
                app.logger.warning("Redis unreachable (%s); scheduling again once it "
                                   "answers.", exc)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scheduler", action="store_true", help="run the scheduler")
    parser.add_argument("queues", nargs="*", help=f"queues to work on: {', '.join(QUEUE_NAMES)}"
                        " (default: all)")
    args = parser.parse_args()
    unknown = sorted(set(args.queues) - set(QUEUE_NAMES))
    if unknown:
        parser.error(f"unknown queue(s): {', '.join(unknown)}")
    try:
        if args.scheduler:
            run_scheduler()
        else:
            run_worker(args.queues or list(QUEUE_NAMES))
    except ConfigError as exc:
        print(f"Configuration error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
