"""Admin use cases: settings changes, the audit log and its archive, background jobs."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from mongoengine.queryset import QuerySet
from pymongo import ReplaceOne
from rq.job import Job
from rq.registry import (
    FailedJobRegistry,
    FinishedJobRegistry,
    ScheduledJobRegistry,
    StartedJobRegistry,
)
from rq.results import Result

from sop.audit import field_changes, record_audit
from sop.clock import now, schedule_zone
from sop.db import raw_collection
from sop.excel.writer import DATETIME_FORMAT, Column, table_workbook
from sop.extensions import QUEUE_NAMES, redis_queues
from sop.jobs.runner import job_label
from sop.listing import export_about, prefix_match
from sop.models import ArchivedAuditEntry, AuditEntry, User
from sop.pagination import Page, paginate
from sop.settings import BY_KEY, CATEGORY_LABELS, DEFINITIONS, SettingError, parse_value
from sop.settings import store_value as store_setting_value

AUDIT_EXPORT_LIMIT = 50_000
ARCHIVE_BATCH = 1000
JOB_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,100}$")
CRITICAL_SEVERITIES = ("error", "critical")


class AdminError(ValueError):
    pass


# --- settings --------------------------------------------------------------------------------

@dataclass
class SettingRow:
    key: str
    value: Any
    kind: str
    description: str
    editable: bool
    minimum: int | None
    maximum: int | None
    updated_by: str | None
    updated_at: datetime | None


def settings_by_category() -> list[tuple[str, list[SettingRow]]]:
    from sop.models import Setting

    stored = {s.key: s for s in Setting.objects}
    groups: dict[str, list[SettingRow]] = {category: [] for category in CATEGORY_LABELS}
    for definition in DEFINITIONS:
        record = stored.get(definition.key)
        groups[definition.category].append(setting_row(definition.key, record))
    return [(CATEGORY_LABELS[c], rows) for c, rows in groups.items() if rows]


def setting_row(key: str, record: Any = None) -> SettingRow:
    from sop.models import Setting

    definition = BY_KEY[key]
    record = record or Setting.objects(key=key).first()
    return SettingRow(key, record.value if record else definition.default, definition.kind,
                      definition.description, definition.editable, definition.minimum,
                      definition.maximum, record.updated_by if record else None,
                      record.updated_at if record else None)


def update_setting(actor: User, key: str, raw_value: Any) -> SettingRow:
    """Validate by the setting's type and bounds, store, audit; effective at once."""
    definition = BY_KEY.get(key)
    if definition is None:
        raise AdminError("There is no such setting.")
    if not definition.editable:
        raise AdminError(f"{key} is not editable: it follows the running software.")
    try:
        value = parse_value(definition, raw_value)
    except SettingError as exc:
        raise AdminError(str(exc)) from None
    previous = store_setting_value(key, value, actor.email)
    if previous != value:
        record_audit("setting_updated", f"Setting {key} changed from {previous!r} to "
                     f"{value!r}.", actor=actor, entity_type="setting", entity_id=key,
                     changes=field_changes({key: previous}, {key: value}))
    return setting_row(key)


# --- audit log -------------------------------------------------------------------------------

@dataclass
class AuditFilters:
    action: str = ""
    severity: str = ""
    user: str = ""  # actor e-mail prefix
    entity_type: str = ""
    entity_id: str = ""
    date_from: str = ""  # YYYY-MM-DD, inclusive, UTC
    date_to: str = ""
    view: str = ""  # "critical": errors and critical events only
    problems: list[str] = field(default_factory=list)

    def as_args(self) -> dict[str, str]:
        return {"action": self.action, "severity": self.severity, "user": self.user,
                "entity_type": self.entity_type, "entity_id": self.entity_id,
                "date_from": self.date_from, "date_to": self.date_to, "view": self.view}

    def day(self, name: str) -> date | None:
        text = getattr(self, name)
        if not text:
            return None
        try:
            return date.fromisoformat(text)
        except ValueError:
            self.problems.append(f"Write dates as YYYY-MM-DD (not {text!r}).")
            return None


def filtered_audit(filters: AuditFilters) -> QuerySet:
    queryset = AuditEntry.objects
    if filters.view == "critical":
        queryset = queryset.filter(severity__in=CRITICAL_SEVERITIES)
    elif filters.severity:
        queryset = queryset.filter(severity=filters.severity)
    if filters.action:
        queryset = queryset.filter(action=filters.action)
    if filters.user:
        queryset = prefix_match(queryset, filters.user.strip().lower(), ("actor_email",))
    if filters.entity_type:
        queryset = queryset.filter(entity_type=filters.entity_type)
    if filters.entity_id:
        queryset = queryset.filter(entity_id=filters.entity_id)
    first, last = filters.day("date_from"), filters.day("date_to")
    if first:
        queryset = queryset.filter(at__gte=datetime.combine(first, time.min, now().tzinfo))
    if last:
        queryset = queryset.filter(at__lt=datetime.combine(last + timedelta(days=1), time.min,
                                                           now().tzinfo))
    return queryset.order_by("-at")


def search_audit(filters: AuditFilters, page: int = 1) -> Page:
    return paginate(filtered_audit(filters), page, per_page=50)


def audit_filter_choices() -> dict[str, list[str]]:
    return {"actions": sorted(AuditEntry.objects.distinct("action")),
            "entity_types": sorted(t for t in AuditEntry.objects.distinct("entity_type") if t)}


AUDIT_COLUMNS = (
    Column("When (UTC)", 18, DATETIME_FORMAT), Column("User", 28), Column("Action", 24),
    Column("Severity", 9), Column("Entity type", 12), Column("Entity id", 26),
    Column("Message", 60), Column("Changes", 60), Column("IP", 15), Column("User agent", 30),
)


def _changes_text(changes: dict[str, Any]) -> str:
    return "; ".join(f"{key}: {value.get('before')!r} → {value.get('after')!r}"
                     for key, value in (changes or {}).items())


def export_audit(viewer: User, filters: AuditFilters) -> bytes:
    """The filtered log as xlsx, at most AUDIT_EXPORT_LIMIT entries (newest first)."""
    def rows() -> Iterator[tuple[Any, ...]]:
        for entry in filtered_audit(filters).limit(AUDIT_EXPORT_LIMIT):
            yield (entry.at, entry.actor_email, entry.action, entry.severity, entry.entity_type,
                   entry.entity_id, entry.message, _changes_text(entry.changes), entry.ip,
                   entry.user_agent)

    return table_workbook("Audit log", AUDIT_COLUMNS, rows(),
                          export_about("Audit log", viewer, filters.as_args()))


def archive_audit_entries() -> int:
    """Move entries older than `audit_retention_days` to the archive collection.
    Copy (upsert by id) first, then delete what was copied: a crash in between leaves the
    entry in both places, never in neither, and running twice has the effect of once."""
    from sop.settings import get_setting

    cutoff = now() - timedelta(days=int(get_setting("audit_retention_days")))
    live = raw_collection(AuditEntry)
    archive = raw_collection(ArchivedAuditEntry)
    moved = 0
    while True:
        batch = list(live.find({"at": {"$lt": cutoff}}).sort("_id", 1).limit(ARCHIVE_BATCH))
        if not batch:
            return moved
        archive.bulk_write([ReplaceOne({"_id": doc["_id"]}, doc, upsert=True) for doc in batch],
                           ordered=False)
        live.delete_many({"_id": {"$in": [doc["_id"] for doc in batch]}})
        moved += len(batch)


# --- background jobs -------------------------------------------------------------------------

@dataclass
class FailedJob:
    id: str
    queue: str
    description: str
    failed_at: datetime | None
    reason: str


def queue_overview() -> list[dict[str, Any]]:
    overview = []
    for name in QUEUE_NAMES:
        queue = redis_queues.queue(name)
        started = StartedJobRegistry(queue=queue)
        running = [job for job in Job.fetch_many(started.get_job_ids(0, 9),
                                                 connection=redis_queues.redis) if job]
        overview.append({
            "name": name, "queued": queue.count,
            "started": started.count,
            # what a long job says it has done so far (job.meta["progress"], e.g. the baseline)
            "progress": [f"{job_label(job)}: {job.meta['progress']}" for job in running
                         if job.meta.get("progress")],
            "scheduled": ScheduledJobRegistry(queue=queue).count,
            "failed": FailedJobRegistry(queue=queue).count,
        })
    return overview


def _failure_reason(job: Job) -> str:
    """The exception's last line: what went wrong, without the traceback or the arguments."""
    result = job.latest_result()
    text = result.exc_string if result is not None else ""
    lines = [line for line in (text or "").strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else "no reason recorded"


def failed_jobs(limit: int = 100) -> list[FailedJob]:
    """Failed jobs of every queue, newest first: what and why, never the job's arguments."""
    found = []
    for name in QUEUE_NAMES:
        registry = FailedJobRegistry(queue=redis_queues.queue(name))
        for job in Job.fetch_many(registry.get_job_ids(0, limit - 1),
                                  connection=redis_queues.redis):
            if job is None:
                continue
            found.append(FailedJob(job.id, name, job_label(job), job.ended_at,
                                   _failure_reason(job)))
    return sorted(found, key=lambda j: j.failed_at or datetime.min, reverse=True)[:limit]


def remove_old_job_records(days: int) -> int:
    """Finished and failed jobs that ended more than `days` ago, with their results, from every
    queue (a final failure stays in the audit log). The periodic jobs' own records are kept:
    they are the schedule. Returns how many were removed."""
    from sop.jobs.schedule import ID_PREFIX

    cutoff = now() - timedelta(days=days)
    removed = 0
    for name in QUEUE_NAMES:
        queue = redis_queues.queue(name)
        for registry in (FinishedJobRegistry(queue=queue), FailedJobRegistry(queue=queue)):
            registry.cleanup()  # entries whose job record has expired already
            ids = [i for i in registry.get_job_ids() if not i.startswith(ID_PREFIX)]
            for job in Job.fetch_many(ids, connection=redis_queues.redis):
                if job is not None and job.ended_at is not None and job.ended_at < cutoff:
                    Result.delete_all(job)
                    job.delete()
                    removed += 1
    return removed


def requeue_failed_job(actor: User, job_id: str) -> str:
    if not JOB_ID_PATTERN.match(job_id or ""):
        raise AdminError("That is not a job id.")
    for name in QUEUE_NAMES:
        registry = FailedJobRegistry(queue=redis_queues.queue(name))
        if job_id in registry:
            registry.requeue(job_id)
            record_audit("job_requeued", f"Failed job {job_id} put back on the {name} queue.",
                         actor=actor, entity_type="job", entity_id=job_id)
            return name
    raise AdminError("That job is not among the failed ones any more.")


RUN_NOW_KEY = "schedule:run-now:"  # + schedule name -> id of the last job started by hand


def _last_run(entry_job_id: str, name: str) -> Job | None:
    """The latest run of a periodic job: the scheduler's own job or the last "run now" one."""
    redis = redis_queues.redis
    by_hand = redis.get(RUN_NOW_KEY + name)
    ids = [entry_job_id] + ([by_hand.decode()] if by_hand else [])
    runs = [job for job in Job.fetch_many(ids, connection=redis) if job is not None
            and (job.ended_at or job.enqueued_at)]
    return max(runs, key=lambda job: job.ended_at or job.enqueued_at, default=None)


def schedule_overview() -> list[dict[str, Any]]:
    """Each periodic job with its next run (from the scheduler) and its last run and result,
    times in SCHEDULER_TIMEZONE (the zone the cron strings are read in)."""
    from sop.jobs.schedule import SCHEDULE, make_scheduler

    zone = schedule_zone()
    scheduler = make_scheduler(redis_queues.redis)
    next_runs = {job.id: when.replace(tzinfo=UTC).astimezone(zone)  # the scheduler's are UTC
                 for job, when in scheduler.get_jobs(with_times=True)}
    rows = []
    for entry in SCHEDULE:
        job = _last_run(entry.job_id, entry.name)
        rows.append({
            "name": entry.name, "cron": entry.cron, "description": entry.description,
            "next_run": next_runs.get(entry.job_id),
            "last_run": job.ended_at.astimezone(zone) if job and job.ended_at else None,
            "last_result": (str(job.return_value())[:200] if job and job.is_finished
                            else _failure_reason(job) if job and job.is_failed
                            else job.get_status() if job else None),
        })
    return rows


def run_scheduled_job_now(actor: User, name: str) -> str:
    """Queue a periodic job at once (it is safe to run twice); audited."""
    from sop.jobs.schedule import RESULT_TTL, SCHEDULE

    entry = next((e for e in SCHEDULE if e.name == name), None)
    if entry is None:
        raise AdminError("There is no such scheduled job.")
    job = redis_queues.queue(entry.queue).enqueue(entry.function, description=entry.description,
                                                  result_ttl=RESULT_TTL)
    redis_queues.redis.set(RUN_NOW_KEY + name, job.id, ex=RESULT_TTL)
    record_audit("job_run_now", f"Scheduled job {name} started by hand.", actor=actor,
                 entity_type="job", entity_id=job.id)
    return job.id
