"""The worker is killed (SIGKILL, no clean-up of any kind) in the middle of a job, then a
worker starts again: every job ends finished or clearly failed and requeueable, the data is
whole (all or nothing), no e-mail is sent twice or lost.

Each test runs `python worker.py QUEUE` as production does, waits (by polling the progress the
job writes to the database) until the job is half-way, and SIGKILLs the forked work horse, or
the worker itself for e-mail (sent in the worker's own process). The rep workbook confirm is
left out while that module is being rewritten."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from sop.dev.stack import MaildirHandler
from sop.extensions import redis_queues
from sop.imports import services as imports
from sop.models import AuditEntry, Customer, ImportLog
from tests.excel.builders import workbook_bytes
from tests.faults.data import big_plan
from tests.faults.processes import WorkerProcess, kill_pid, service_env, wait_for

pytestmark = pytest.mark.faults

CUSTOMER_HEADER = ["Customer Code*", "Customer Name*", "S&OP Name", "Sales Rep Email",
                   "Territory", "Active"]


@pytest.fixture
def start_worker(services, tmp_path):
    started: list[WorkerProcess] = []

    def start(*queues: str) -> WorkerProcess:
        worker = WorkerProcess(service_env(services), tmp_path / "worker.log", *queues)
        started.append(worker.start())
        return worker

    yield start
    for worker in started:
        worker.stop()


def failed_job_ids(queue: str) -> list[str]:
    from rq.registry import FailedJobRegistry

    return FailedJobRegistry(queue=redis_queues.queue(queue)).get_job_ids()


def test_an_import_killed_while_applying_is_undone_and_can_be_applied_again(
        app_context, make_user, make_customer, run_jobs, start_worker):
    admin = make_user("admin")
    rep = make_user()
    make_customer(rep, code="PATITO-000001", name="Before", sop_name="BEFORE")
    rows = [CUSTOMER_HEADER, ["PATITO-000001", "After", "AFTER", rep.email, "South", "Yes"]] + [
        [f"PATITO-{n:06d}", f"New {n}", f"N{n}", rep.email, "South", "Yes"]
        for n in range(2, 1501)]
    record = imports.start_import(admin, "customers", "customers.xlsx",
                                  workbook_bytes(("Customers", rows)))
    run_jobs("imports")
    assert record.reload().status == "validated"
    imports.confirm_import(admin, record)

    worker = start_worker("imports")
    wait_for(lambda: (ImportLog.objects.get(id=record.pk).rows_written or 0) >= 500, 60,
             "the first chunk to be written")
    kill_pid(worker.horse_pid())

    # The worker saw its horse die: the import is undone and failed at once, not at the
    # next worker start or the nightly cleanup.
    failed = wait_for(lambda: ImportLog.objects(id=record.pk, status="failed").first(), 30,
                      "the import to show as failed:\n" + worker.output()[-3000:])
    assert "interrupted" in failed.error_message and "nothing was changed" in \
        failed.error_message
    assert Customer.objects.count() == 1
    assert Customer.objects.get(code="PATITO-000001").name == "Before"
    wait_for(lambda: failed_job_ids("imports") == [failed.job_id], 10,
             "the job to be listed as failed on /admin/jobs, to requeue")
    assert AuditEntry.objects(action="import_failed").count() == 1

    # Apply it again: it lands whole.
    imports.confirm_import(admin, failed)
    applied = wait_for(lambda: ImportLog.objects(id=record.pk, status="applied").first(), 90,
                       "the second apply", interval=0.25)
    assert applied.rows_written == 1500 and Customer.objects.count() == 1500
    assert Customer.objects.get(code="PATITO-000001").name == "After"


def test_a_report_killed_while_building_is_failed_in_words_and_builds_when_requeued(
        app_context, make_user, make_customer, make_cycle, start_worker):
    from sop.admin.services import requeue_failed_job
    from sop.models import Report
    from sop.reports.registry import ReportFilters
    from sop.reports.services import request_report

    plan = big_plan(make_user, make_customer, make_cycle, customers=10, items=100)
    manager = make_user("manager")
    report = request_report(manager, "consolidated", ReportFilters(cycle=str(plan.cycle.pk)))
    worker = start_worker("reports")

    wait_for(lambda: Report.objects(id=report.pk, status="running").first(), 60,
             "the build to start")
    kill_pid(worker.horse_pid())

    failed = wait_for(lambda: Report.objects(id=report.pk, status="failed").first(), 30,
                      "the report to show as failed")
    assert "worker stopped" in failed.error and failed.file_id is None
    wait_for(lambda: failed_job_ids("reports") == [report.job_id], 10, "the failed job")

    admin = make_user("admin")
    requeue_failed_job(admin, report.job_id)
    done = wait_for(lambda: Report.objects(id=report.pk, status="done").first(), 90,
                    "the requeued build", interval=0.25)
    assert done.file_id is not None and done.error is None


def test_a_cycle_close_killed_while_freezing_is_finished_by_the_next_hourly_run(
        app_context, make_user, make_customer, make_cycle, start_worker):
    """The hourly job closes the cycle and is killed while it freezes the snapshot. The next
    run (an hour later: here `closed_at` is moved back past the 15-minute grace a close still
    running gets) finishes it: every line frozen once, the plan not handed in marked missed."""
    from datetime import date, timedelta

    from sop.clock import now
    from sop.models import ForecastSnapshot, Submission
    from sop.settings import store_value

    store_value("auto_close_cycles", True, "test")
    plan = big_plan(make_user, make_customer, make_cycle, customers=25, items=100,
                    close_date=date.today() - timedelta(days=2))
    default = redis_queues.queue("default")
    first = default.enqueue("sop.jobs.cycles.auto_close_cycles")
    worker = start_worker("default")
    wait_for(lambda: ForecastSnapshot.objects(cycle=plan.cycle).count() >= 1000, 60,
             "the first snapshot batch")
    kill_pid(worker.horse_pid())
    wait_for(lambda: failed_job_ids("default") == [first.id], 10, "the failed job")

    cycle = plan.cycle.reload()
    frozen = ForecastSnapshot.objects(cycle=cycle).count()
    assert cycle.status == "closed" and cycle.snapshot_at is None and frozen < plan.lines
    type(cycle).objects(id=cycle.pk).update_one(set__closed_at=now() - timedelta(minutes=16))

    second = default.enqueue("sop.jobs.cycles.auto_close_cycles")
    wait_for(lambda: second.get_status(refresh=True) == "finished", 60, "the next run",
             interval=0.25)
    assert "finished closing" in second.return_value()
    cycle.reload()
    assert cycle.snapshot_at is not None
    assert ForecastSnapshot.objects(cycle=cycle).count() == plan.lines  # each line once
    assert [s.status for s in Submission.objects(cycle=cycle)] == ["missed"]
    assert AuditEntry.objects(action="cycle_close_finished").count() == 1


class GatedSink(MaildirHandler):
    """The SMTP sink of the tests, holding message number `hold_at` before answering: the
    worker is then killed while the server has not yet taken that message."""

    def __init__(self, directory, hold_at: int) -> None:
        super().__init__(directory)
        self.hold_at, self.seen = hold_at, 0
        self.holding, self.release = threading.Event(), threading.Event()

    async def handle_DATA(self, server, session, envelope) -> str:
        self.seen += 1
        if self.seen == self.hold_at:
            self.holding.set()
            while not self.release.is_set():
                await asyncio.sleep(0.02)
            return "451 Try again later"  # never stored: the client died waiting
        return await super().handle_DATA(server, session, envelope)


def test_a_batch_of_emails_cut_by_a_killed_worker_is_sent_once_each(
        app_context, services, tmp_path, make_user):
    from aiosmtpd.controller import Controller

    from sop.dev.stack import SmtpSink, free_port
    from sop.mail import send_email

    gate = GatedSink(tmp_path / "mail", hold_at=5)
    port = free_port()
    controller = Controller(gate, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        recipients = [f"rep{n:02d}@example.com" for n in range(12)]
        jobs = send_email("password_reset", to=recipients, subject="Your plan",
                          context={"user_name": "Rep", "token": "t"}, event_key="fault:batch")
        assert len(jobs) == 12
        env = service_env(services, MAIL_PORT=str(port))
        first = WorkerProcess(env, tmp_path / "worker1.log", "mail").start()
        try:
            assert gate.holding.wait(60), first.output()[-2000:]
            first.kill()  # in the middle of the SMTP conversation of the 5th message
        finally:
            gate.release.set()
            first.stop()
        second = WorkerProcess(env, tmp_path / "worker2.log", "mail").start()
        try:
            mailbox = SmtpSink(tmp_path / "mail", port)  # reads the gate's folder
            wait_for(lambda: len(mailbox.messages()) >= 12, 60,
                     "every message (the cut one is retried after 10 s)", interval=0.25,
                     explain=lambda: f"{len(mailbox.messages())} received\n"
                                     + second.output()[:3000])
            time.sleep(1)  # a duplicate would arrive now
            sent = sorted(m["To"] for m in mailbox.messages())
        finally:
            second.stop()
    finally:
        controller.stop()
    assert sent == recipients  # each once: none lost, none twice
    assert all(job.get_status(refresh=True) == "finished" for job in jobs)
