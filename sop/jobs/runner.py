"""The RQ worker classes: jobs run in the app context; a job that fails for good is audited."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask
from rq import SimpleWorker, Worker
from rq.job import Job

MAINTENANCE_SECONDS = 60


def job_label(job: Job) -> str:
    """What a job is, for people: its description, or its function's name when the description
    is RQ's default call string, which holds the arguments (e-mail bodies, reset links)."""
    description = job.description or ""
    if not description or description.startswith(f"{job.func_name}("):
        return job.func_name
    return description


def audit_final_failure(job: Job, exc_type: type, exc_value: BaseException, traceback: Any
                        ) -> bool:
    """RQ exception handler: record `job_failed` once retries are used up."""
    if job.retries_left:
        return True
    from sop.audit import record_audit

    record_audit("job_failed", f"Job {job_label(job)} failed: "
                 f"{exc_type.__name__}: {str(exc_value)[:300]}", severity="error",
                 entity_type="job", entity_id=job.id)
    return True


class AppJobs:
    """Mixin for an RQ worker class: the app context around every job, failures audited."""

    app: Flask

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("exception_handlers", [audit_final_failure])
        # RQ's maintenance (registries cleaned, a crashed scheduler child started again,
        # then sop.jobs.recovery) every minute instead of every 10.
        kwargs.setdefault("maintenance_interval", MAINTENANCE_SECONDS)
        super().__init__(*args, **kwargs)

    def perform_job(self, job: Job, queue: Any) -> bool:
        with self.app.app_context():
            return super().perform_job(job, queue)  # type: ignore[misc]


class AppWorker(AppJobs, Worker):
    """Production: each job in a forked work horse, except e-mail deliveries: a message is
    small and leaves nothing behind, and forking costs more than sending it (~50 ms against
    ~7 ms; 300 reminders would spend 15 s forking). RQ's job timeout still applies to them."""

    in_process_queues = frozenset({"mail"})
    shutdown_requested = False  # SIGTERM/SIGINT: the work loop ended because it was asked to

    def handle_warm_shutdown_request(self) -> None:
        self.shutdown_requested = True
        super().handle_warm_shutdown_request()

    def execute_job(self, job: Job, queue: Any) -> None:
        if queue.name in self.in_process_queues:
            SimpleWorker.execute_job(self, job, queue)  # type: ignore[arg-type]
        else:
            super().execute_job(job, queue)

    def handle_work_horse_killed(self, job: Job, retpid: int, ret_val: int,
                                 rusage: Any) -> None:
        """The horse died mid-job (killed, out of memory): set right what it was writing now
        (an import undone, a report failed); RQ then fails or retries the job."""
        super().handle_work_horse_killed(job, retpid, ret_val, rusage)
        from sop.jobs.recovery import recover_interrupted_work

        with self.app.app_context():
            recover_interrupted_work(dead_job_ids={job.id})

    def clean_registries(self) -> None:
        """RQ's periodic clean-up fails jobs whose worker stopped sending heartbeats (a worker
        on another machine that died); then their records are set right."""
        super().clean_registries()
        from sop.jobs.recovery import recover_interrupted_work

        with self.app.app_context():
            recover_interrupted_work()

    def main_work_horse(self, job: Job, queue: Any) -> None:
        """The horse opens its own database connection: a MongoClient must not be used
        across fork() (its sockets and locks belong to the parent)."""
        from sop.db import connect_database

        connect_database(self.app)
        super().main_work_horse(job, queue)


class InProcessWorker(AppJobs, SimpleWorker):
    """Each job in this process (tests, and burst runs where forking buys nothing)."""


@contextmanager
def cycle_collector_paused(collect_after: bool = True) -> Iterator[None]:
    """Python's cycle collector off during a big piece of work (imports, reports, a workbook
    preview), then on again and, with `collect_after`, collected once. Reading a file or
    writing a workbook makes almost no cyclic garbage (~2,000 objects per 100,000 rows), but
    each automatic full collection walks every live object: with an import's buckets alive
    that cost 5.6 s (15%) of validating 480,000 rows. Nested, only the outermost acts."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
            if collect_after:
                gc.collect()
