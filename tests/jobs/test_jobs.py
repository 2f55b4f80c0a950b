"""Jobs for real: a cron schedule fires through rq-scheduler, failures are visible and can be
requeued, a job that fails for good is audited."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from freezegun import freeze_time
from rq import Retry

from sop.clock import now
from sop.extensions import redis_queues
from sop.jobs.runner import InProcessWorker
from sop.jobs.schedule import SCHEDULE, make_scheduler, register_schedule
from sop.models import ArchivedAuditEntry, AuditEntry
from tests.jobs.conftest import next_run, process_zone


@pytest.fixture
def utc_process():
    """rq-scheduler reads cron strings in local time; pin the zone for the test."""
    with process_zone("UTC"):
        yield


def next_sunday_3am(after: datetime) -> datetime:
    days = (6 - after.weekday()) % 7
    candidate = (after + timedelta(days=days)).replace(hour=3, minute=0, second=0,
                                                       microsecond=0)
    return candidate if candidate > after else candidate + timedelta(days=7)


def test_the_weekly_archive_fires_on_sunday_at_three(app, run_jobs, utc_process):
    with app.app_context():
        scheduler = make_scheduler(redis_queues.redis)
        registered = register_schedule(scheduler)
        assert registered == [entry.job_id for entry in SCHEDULE]
        assert {"schedule-cleanup", "schedule-audit-archive"} <= set(registered)
        assert register_schedule(scheduler) == []  # idempotent: same ids, kept as they are
        when = next_run(scheduler, "schedule-audit-archive")
        expected = next_sunday_3am(datetime.utcnow())
        assert when == expected

        AuditEntry(action="user_login", message="ancient", at=now() - timedelta(days=400)).save()
        default_queue = redis_queues.queue("default")
        with freeze_time(expected - timedelta(minutes=1)):
            scheduler.enqueue_jobs()
        assert "schedule-audit-archive" not in default_queue.job_ids  # not yet
        with freeze_time(expected + timedelta(seconds=30)):
            scheduler.enqueue_jobs()
            following = next_run(scheduler, "schedule-audit-archive")
        assert "schedule-audit-archive" in default_queue.job_ids
        assert following == expected + timedelta(days=7)
    run_jobs("default")
    assert ArchivedAuditEntry.objects.count() == 1 and AuditEntry.objects(
        message="ancient").count() == 0


def test_a_removed_schedule_entry_is_unregistered(app, monkeypatch):
    import sop.jobs.schedule as schedule

    with app.app_context():
        scheduler = make_scheduler(redis_queues.redis)
        register_schedule(scheduler)
        monkeypatch.setattr(schedule, "SCHEDULE", ())
        register_schedule(scheduler)
        assert list(scheduler.get_jobs()) == []
    assert "schedule-audit-archive" in {entry.job_id for entry in SCHEDULE}  # restored


def test_failed_jobs_are_listed_without_arguments_and_can_be_requeued(app, client, login_as,
                                                                     run_jobs):
    login_as("admin")
    with app.app_context():
        job = redis_queues.queue("imports").enqueue("tests.jobs.failing.always_fails",
                                                    "token-abc123", description="Import X")
    run_jobs("imports")
    entry = AuditEntry.objects.get(action="job_failed")
    assert entry.severity == "error" and "supplier file missing" in entry.message

    page = client.get("/admin/jobs").get_data(as_text=True)
    assert "Import X" in page and "RuntimeError: supplier file missing" in page
    assert "token-abc123" not in page  # arguments never shown

    response = client.htmx_post(f"/admin/jobs/{job.id}/requeue", token_from="/admin/jobs")
    assert response.status_code == 200 and "queued again on imports" in response.get_data(
        as_text=True)
    with app.app_context():
        assert redis_queues.queue("imports").job_ids == [job.id]
    assert AuditEntry.objects(action="job_requeued").count() == 1
    bad = client.htmx_post("/admin/jobs/..%2Fetc/requeue", token_from="/admin/jobs")
    assert bad.status_code in (404, 422)
    odd = client.htmx_post("/admin/jobs/a.b/requeue", token_from="/admin/jobs")
    assert odd.status_code == 422 and "not a job id" in odd.get_data(as_text=True)
    gone = client.htmx_post(f"/admin/jobs/{job.id}/requeue", token_from="/admin/jobs")
    assert gone.status_code == 422 and "not among the failed" in gone.get_data(as_text=True)
    assert AuditEntry.objects(action="job_requeued").count() == 1


def test_a_job_without_description_is_shown_by_its_function_not_its_arguments(
        app, client, login_as, run_jobs):
    login_as("admin")
    with app.app_context():
        redis_queues.queue("mail").enqueue("tests.jobs.failing.always_fails",
                                           "https://portal/reset/token-xyz789")
    run_jobs("mail")
    assert "token-xyz789" not in AuditEntry.objects.get(action="job_failed").message
    page = client.get("/admin/jobs").get_data(as_text=True)
    assert "tests.jobs.failing.always_fails" in page and "token-xyz789" not in page


def test_job_failed_is_audited_once_retries_are_used_up(app, run_jobs):
    with app.app_context():
        queue = redis_queues.queue("default")
        job = queue.enqueue("tests.jobs.failing.always_fails", "x", retry=Retry(max=1),
                            description="Flaky")
        worker = InProcessWorker([queue], connection=redis_queues.redis)
        worker.app = app
        worker.work(burst=True, max_jobs=1)  # first attempt fails; one retry left
        assert AuditEntry.objects(action="job_failed").count() == 0
        assert queue.job_ids == [job.id]
    run_jobs("default")  # the retry fails too: now it is final
    failed = AuditEntry.objects.get(action="job_failed")
    assert failed.entity_id == job.id and failed.message.startswith("Job Flaky failed:")


def test_the_jobs_page_shows_the_schedule_and_run_now_queues_it(app, client, login_as,
                                                                run_jobs):
    login_as("admin")
    with app.app_context():
        register_schedule(make_scheduler(redis_queues.redis))
    page = client.get("/admin/jobs").get_data(as_text=True)
    assert "audit-archive" in page and "0 3 * * 0" in page
    assert "not registered" not in page
    client.post_form("/admin/schedule/audit-archive/run", token_from="/admin/jobs")
    run_jobs("default")
    assert AuditEntry.objects(action="job_run_now").count() == 1
