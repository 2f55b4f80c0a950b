"""The periodic jobs: each run twice in a row does what one run does; the cleanup drops old job
records; times are in SCHEDULER_TIMEZONE, on the jobs page too."""

from __future__ import annotations

import os
import re
import time
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import gridfs
import pytest
from freezegun import freeze_time
from mongoengine.connection import get_db
from rq.job import Job
from rq.registry import FailedJobRegistry, FinishedJobRegistry

from sop.extensions import redis_queues
from sop.jobs.schedule import SCHEDULE, make_scheduler, register_schedule
from sop.models import ArchivedAuditEntry, AuditEntry, Cycle, ImportLog
from tests.jobs.conftest import next_run, process_zone

ZONE = "Pacific/Auckland"  # UTC+13 in November (daylight time)


def run_scheduled(app, run_jobs, name: str) -> str:
    """Queue the schedule entry's function the way the scheduler does, run it; its result."""
    [entry] = [e for e in SCHEDULE if e.name == name]
    with app.app_context():
        job = redis_queues.queue(entry.queue).enqueue(entry.function)
    run_jobs(entry.queue)
    with app.app_context():
        return job.latest_result().return_value


def test_auto_close_twice_closes_once(app, make_user, make_customer, make_cycle, run_jobs):
    make_customer(make_user("sales_rep"))
    make_cycle("2026-10", close_date=date(2026, 10, 20))
    with freeze_time("2026-10-21 00:30:00"):
        first = run_scheduled(app, run_jobs, "auto-close")
        second = run_scheduled(app, run_jobs, "auto-close")
    assert (first, second) == ("closed 1 cycle(s): 2026-10", "closed 0 cycle(s)")
    assert Cycle.objects.get().status == "closed"
    assert AuditEntry.objects(action="cycle_closed").count() == 1


def test_audit_archive_twice_archives_once(app, run_jobs):
    with app.app_context():
        AuditEntry(action="user_login", message="ancient",
                   at=datetime.now() - timedelta(days=400)).save()
        AuditEntry(action="user_login", message="recent").save()
    first = run_scheduled(app, run_jobs, "audit-archive")
    second = run_scheduled(app, run_jobs, "audit-archive")
    assert (first, second) == ("archived 1 audit entries", "archived 0 audit entries")
    assert [e.message for e in ArchivedAuditEntry.objects] == ["ancient"]
    assert [e.message for e in AuditEntry.objects] == ["recent"]


def test_reminders_twice_remind_once(app, make_user, make_customer, make_cycle, mailbox,
                                     run_jobs):
    make_customer(make_user("sales_rep", email="late@example.com"))
    make_cycle("2026-11", close_date=date(2026, 11, 27))
    with freeze_time("2026-11-26 09:00:00"):
        first = run_scheduled(app, run_jobs, "deadline-reminders")
        second = run_scheduled(app, run_jobs, "deadline-reminders")
    assert first.startswith("queued 1 ") and second.startswith("queued 0 ")
    run_jobs("mail")
    assert [m["To"] for m in mailbox.messages()] == ["late@example.com"]


def finished_job(app, run_jobs, ended: str, fails: bool = False, job_id: str | None = None
                 ) -> str:
    """A job that ran (and finished or failed) at `ended`, its record kept long enough."""
    with app.app_context():
        job = redis_queues.queue("default").enqueue(
            "tests.jobs.failing.always_fails" if fails else "sop.jobs.cycles.auto_close_cycles",
            *(["x"] if fails else []), job_id=job_id, result_ttl=90 * 24 * 3600)
    with freeze_time(ended):
        run_jobs("default")
    return job.id


def test_cleanup_twice_removes_once_old_uploads_and_old_job_records(app, make_user, run_jobs):
    user = make_user("admin")
    with app.app_context():
        file_id = gridfs.GridFS(get_db(), collection="uploads").put(b"old upload")
        ImportLog(kind="customers", file_name="old.xlsx", file_id=file_id, uploaded_by=user,
                  created_at=datetime.now() - timedelta(days=30)).save()
    old_finished = finished_job(app, run_jobs, "2026-09-01 02:00:00")
    old_failed = finished_job(app, run_jobs, "2026-09-01 02:00:00", fails=True)
    schedule_own = finished_job(app, run_jobs, "2026-09-01 02:00:00",
                                job_id="schedule-auto-close")
    recent_failed = finished_job(app, run_jobs, "2026-11-20 02:00:00", fails=True)

    with freeze_time("2026-11-24 02:00:00"):
        first = run_scheduled(app, run_jobs, "cleanup")
        second = run_scheduled(app, run_jobs, "cleanup")
    assert "removed 1 stale uploads" in first and "removed 2 old job records" in first
    assert "removed 0 stale uploads" in second and "removed 0 old job records" in second
    with app.app_context():
        redis = redis_queues.redis
        assert not Job.exists(old_finished, connection=redis)
        assert not Job.exists(old_failed, connection=redis)
        assert Job.exists(schedule_own, connection=redis)  # the schedule's own record stays
        queue = redis_queues.queue("default")
        assert FailedJobRegistry(queue=queue).get_job_ids() == [recent_failed]  # requeue-able
        assert old_finished not in FinishedJobRegistry(queue=queue).get_job_ids()
        assert not gridfs.GridFS(get_db(), collection="uploads").exists(file_id)


@pytest.fixture
def zone_process(app):
    """The scheduler process runs in SCHEDULER_TIMEZONE (worker.py sets TZ): do the same."""
    app.config["SCHEDULER_TIMEZONE"] = ZONE
    with process_zone(ZONE):
        yield ZoneInfo(ZONE)
    app.config["SCHEDULER_TIMEZONE"] = "UTC"


def test_reminders_fire_at_nine_in_the_scheduler_time_zone(app, make_user, make_customer,
                                                           make_cycle, mailbox, run_jobs,
                                                           zone_process):
    make_customer(make_user("sales_rep", email="late@example.com"))
    make_cycle("2026-11", close_date=date(2026, 11, 27))
    default_queue = redis_queues.queue("default")
    # freezegun moves naive local time by tz_offset; Auckland is UTC+13 all through November.
    with freeze_time("2026-11-24 12:00:00", tz_offset=13), app.app_context():
        scheduler = make_scheduler(redis_queues.redis)
        register_schedule(scheduler)
        # 09:00 on the 25th in Auckland is 20:00 on the 24th in UTC (what the scheduler keeps).
        assert next_run(scheduler, "schedule-deadline-reminders") == datetime(2026, 11, 24, 20)
    with freeze_time("2026-11-24 19:59:30", tz_offset=13), app.app_context():
        scheduler.enqueue_jobs()
        assert "schedule-deadline-reminders" not in default_queue.job_ids
    with freeze_time("2026-11-24 20:00:30", tz_offset=13):
        with app.app_context():
            scheduler.enqueue_jobs()
            assert "schedule-deadline-reminders" in default_queue.job_ids
            assert next_run(scheduler, "schedule-deadline-reminders") == datetime(
                2026, 11, 25, 20)
        run_jobs("default")
    with app.app_context():
        result = Job.fetch("schedule-deadline-reminders", connection=redis_queues.redis)
        assert result.return_value() == "queued 1 reminder(s) for Nov 2026, 2 day(s) left"
    run_jobs("mail")
    assert [m["To"] for m in mailbox.messages()] == ["late@example.com"]


def test_a_changed_time_zone_registers_the_schedule_again(app, zone_process):
    with app.app_context():
        scheduler = make_scheduler(redis_queues.redis)
        register_schedule(scheduler)
        assert register_schedule(scheduler) == []
        app.config["SCHEDULER_TIMEZONE"] = "UTC"  # but the process still runs in Auckland
        with pytest.raises(RuntimeError, match="does not run in SCHEDULER_TIMEZONE"):
            register_schedule(scheduler)
        app.config["SCHEDULER_TIMEZONE"] = "UTC"  # restarted with another zone
        os.environ["TZ"] = "UTC"
        time.tzset()
        assert len(register_schedule(scheduler)) == len(SCHEDULE)
        when = next_run(scheduler, "schedule-deadline-reminders")
        assert (when.hour, when.minute) == (9, 0)


def test_the_jobs_page_shows_times_in_the_zone_and_the_last_run_by_hand(
        app, client, login_as, run_jobs, zone_process):
    login_as("admin")
    with app.app_context():
        register_schedule(make_scheduler(redis_queues.redis))
    page = client.get("/admin/jobs").get_data(as_text=True)
    assert "Times are in Pacific/Auckland" in page
    now_there = datetime.now(zone_process)
    nine = now_there.replace(hour=9, minute=0, second=0, microsecond=0)
    nine = nine if nine > now_there else (nine + timedelta(days=1)).replace(hour=9)
    assert nine.strftime("%Y-%m-%d 09:00 %Z") in page  # the reminders' next run, local time
    assert "deadline-reminders" in page and "0 9 * * *" in page

    client.post_form("/admin/schedule/audit-archive/run", token_from="/admin/jobs")
    run_jobs("default")
    page = client.get("/admin/jobs").get_data(as_text=True)
    last = re.search(r'<td><time datetime="([^"]+)">[^<]+ NZDT</time></td>'
                     r'<td>archived 0 audit entries</td>', page)
    assert last, "the run by hand is the archive's last run, in Auckland time"
    ran_at = datetime.fromisoformat(last.group(1))
    assert ran_at.utcoffset() == timedelta(hours=13)
    assert abs(ran_at - datetime.now(zone_process)) < timedelta(minutes=2)
