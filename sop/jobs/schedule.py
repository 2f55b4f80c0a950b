"""Periodic jobs declared as data and registered idempotently with fixed ids.

rq-scheduler keeps one entry per id, so however many processes register the table, each job
runs once per schedule; its lock lets only one scheduler process enqueue at a time. Cron
strings are read in SCHEDULER_TIMEZONE (the scheduler process runs in that zone).
Ids use only letters, digits, `_` and `-` (what rq-scheduler handles with current RQ).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app
from redis import Redis
from rq_scheduler import Scheduler

ID_PREFIX = "schedule-"
RESULT_TTL = 7 * 24 * 3600  # how long a run's result stays for the admin jobs page


@dataclass(frozen=True)
class ScheduledJob:
    name: str
    cron: str
    function: str
    description: str
    queue: str = "default"

    @property
    def job_id(self) -> str:
        return ID_PREFIX + self.name


SCHEDULE: tuple[ScheduledJob, ...] = (
    ScheduledJob("cleanup", "0 2 * * *", "sop.jobs.maintenance.cleanup",
                 "Daily, 02:00: undo imports interrupted while writing; remove uploads "
                 "and unconfirmed workbook previews older than cleanup_temp_files_days, "
                 "expired reports, and finished and failed job records older than "
                 "job_history_days."),
    ScheduledJob("audit-archive", "0 3 * * 0", "sop.jobs.maintenance.archive_audit_log",
                 "Weekly, Sunday 03:00: move audit entries older than audit_retention_days "
                 "to the archive."),
    ScheduledJob("auto-close", "0 * * * *", "sop.jobs.cycles.auto_close_cycles",
                 "Hourly: close the open cycle once its close date is over, when "
                 "auto_close_cycles is on; finish any close cut short."),
    ScheduledJob("baseline", "30 1 * * *", "sop.jobs.baseline.compute_baseline",
                 "Nightly, 01:30: the open cycle's statistical baseline (only lines whose "
                 "sales history changed are fitted again).", queue="forecasting"),
    ScheduledJob("deadline-reminders", "0 9 * * *", "sop.jobs.reminders.deadline_reminders",
                 "Daily, 09:00: e-mail reps whose plan is not handed in, in the "
                 "reminder_days_before_close days before the close date (once a day each)."),
)


def make_scheduler(connection: Redis, interval: int = 30) -> Scheduler:
    return Scheduler(queue_name="default", connection=connection, interval=interval)


def register_schedule(scheduler: Scheduler) -> list[str]:
    """Make the scheduler hold exactly SCHEDULE; unchanged entries keep their next run time,
    entries registered in another SCHEDULER_TIMEZONE are registered again. Call it in the
    scheduler process (its local zone is SCHEDULER_TIMEZONE). Returns the ids (re)registered."""
    zone = current_app.config["SCHEDULER_TIMEZONE"]
    if datetime.now().astimezone().utcoffset() != datetime.now(ZoneInfo(zone)).utcoffset():
        raise RuntimeError(f"This process does not run in SCHEDULER_TIMEZONE ({zone}): "
                           "rq-scheduler reads cron strings in local time; set TZ.")
    wanted = {entry.job_id: entry for entry in SCHEDULE}
    for job in scheduler.get_jobs():
        if not job.id.startswith(ID_PREFIX):
            continue
        entry = wanted.get(job.id)
        if entry is None or (job.meta.get("cron_string"), job.func_name, job.origin,
                             job.meta.get("zone")) != (entry.cron, entry.function, entry.queue,
                                                       zone):
            scheduler.cancel(job)
            job.delete()
    registered = []
    for job_id, entry in wanted.items():
        if job_id in scheduler:
            continue
        scheduler.cron(entry.cron, func=entry.function, id=job_id, queue_name=entry.queue,
                       description=entry.description, result_ttl=RESULT_TTL,
                       meta={"zone": zone})
        registered.append(job_id)
    return registered
