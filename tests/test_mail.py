"""E-mail leaves only through the mail queue: one job per recipient, retries with backoff when
SMTP is down, a job out of retries visible to admins and requeued from the jobs page, and never
two messages for one event and recipient."""

from __future__ import annotations

import gridfs
from mongoengine.connection import get_db
from rq.job import Job
from rq.registry import FailedJobRegistry, ScheduledJobRegistry

from sop.dev.stack import free_port
from sop.extensions import redis_queues
from sop.mail import RETRY_SECONDS, AttachmentRef, send_email
from sop.models import AuditEntry
from sop.settings import store_value


def queue_reset_mail(app, to=("rep@example.com",), token: str = "tok123",
                     event_key: str | None = None):
    with app.app_context():
        return send_email("password_reset", to=list(to), subject="Reset your password",
                          context={"user_name": "Rep", "token": token}, event_key=event_key)


def bodies(message) -> dict[str, str]:
    return {part.get_content_type(): part.get_content() for part in message.walk()
            if not part.is_multipart() and not part.get_filename()}


def smtp_down(app):
    """Point the workers at a port where nothing listens: the real sink stays where it is."""
    saved = app.config["MAIL_PORT"]
    app.config["MAIL_PORT"] = free_port()
    return saved


def retry_now(app, job) -> None:
    """The backoff has passed: move the job from the retry registry back onto its queue."""
    with app.app_context():
        job = Job.fetch(job.id, connection=redis_queues.redis)
        ScheduledJobRegistry(queue=redis_queues.queue("mail")).remove(job)
        redis_queues.queue("mail").enqueue_job(job)


def test_a_message_is_rendered_with_absolute_links_and_sent_by_the_worker(app, mailbox,
                                                                          run_jobs):
    queue_reset_mail(app)
    assert mailbox.messages() == []
    run_jobs("mail")
    [message] = mailbox.messages()
    assert message["From"] == "S&OP Portal <noreply@sopportal.local>"
    parts = bodies(message)
    assert "http://portal.test/reset-password/tok123" in parts["text/plain"]
    assert 'href="http://portal.test/reset-password/tok123"' in parts["text/html"]


def test_one_job_and_one_message_per_recipient(app, mailbox, run_jobs):
    jobs = queue_reset_mail(app, to=["b@example.com", "A@example.com", "b@example.com"])
    assert len(jobs) == 2
    run_jobs("mail")
    assert sorted(m["To"] for m in mailbox.messages()) == ["a@example.com", "b@example.com"]


def test_a_failing_smtp_server_means_a_retry_later_then_one_delivery(app, mailbox, run_jobs):
    saved_port = smtp_down(app)
    try:
        [job] = queue_reset_mail(app, event_key="reset:1")
        run_jobs("mail")
    finally:
        app.config["MAIL_PORT"] = saved_port
    with app.app_context():
        job.refresh()
        assert job.get_status() == "scheduled"
        assert job.retries_left == len(RETRY_SECONDS) - 1
        assert job.id in ScheduledJobRegistry(queue=redis_queues.queue("mail")).get_job_ids()
    assert mailbox.messages() == []
    retry_now(app, job)  # the server is back
    run_jobs("mail")
    assert len(mailbox.messages()) == 1
    with app.app_context():  # run once more by mistake
        redis_queues.queue("mail").enqueue_job(Job.fetch(job.id, connection=redis_queues.redis))
    run_jobs("mail")
    assert len(mailbox.messages()) == 1


def test_out_of_retries_the_job_is_failed_for_admins_who_requeue_it_and_it_goes_once(
        app, client, login_as, mailbox, run_jobs):
    login_as("admin")
    saved_port = smtp_down(app)
    try:
        [job] = queue_reset_mail(app, to=["kim@example.com"], event_key="reset:2")
        run_jobs("mail")
        for _ in RETRY_SECONDS:
            retry_now(app, job)
            run_jobs("mail")
    finally:
        app.config["MAIL_PORT"] = saved_port
    with app.app_context():
        assert job.id in FailedJobRegistry(queue=redis_queues.queue("mail")).get_job_ids()
    assert mailbox.messages() == []
    failure = AuditEntry.objects.get(action="job_failed")
    assert "Reset your password" in failure.message and "kim@example.com" in failure.message
    page = client.get("/admin/jobs").get_data(as_text=True)
    assert "E-mail &#39;Reset your password&#39; to kim@example.com" in page
    assert "Connection refused" in page
    assert "tok123" not in page  # the message (a reset link) is never shown

    response = client.htmx_post(f"/admin/jobs/{job.id}/requeue", token_from="/admin/jobs")
    assert response.status_code == 200
    run_jobs("mail")
    [message] = mailbox.messages()
    assert message["To"] == "kim@example.com"
    assert "No failed jobs." in client.get("/admin/jobs").get_data(as_text=True)


def test_the_same_event_twice_sends_one_message_per_recipient(app, mailbox, run_jobs):
    first = queue_reset_mail(app, to=["a@example.com", "b@example.com"], event_key="evt:7")
    again = queue_reset_mail(app, to=["b@example.com", "c@example.com"], event_key="evt:7")
    assert len(first) == 2 and len(again) == 1  # only c is new to this event
    run_jobs("mail")
    assert queue_reset_mail(app, to=["a@example.com"], event_key="evt:7") == []
    assert len(queue_reset_mail(app, to=["a@example.com"], event_key="evt:8")) == 1
    run_jobs("mail")
    assert sorted(m["To"] for m in mailbox.messages()) == [
        "a@example.com", "a@example.com", "b@example.com", "c@example.com"]


def test_a_delivered_job_run_again_does_not_send_again(app, mailbox, run_jobs):
    [job] = queue_reset_mail(app, event_key="evt:9")
    run_jobs("mail")
    with app.app_context():
        redis_queues.queue("mail").enqueue_job(Job.fetch(job.id, connection=redis_queues.redis))
    run_jobs("mail")
    assert len(mailbox.messages()) == 1
    with app.app_context():
        assert job.latest_result().return_value == "already delivered to rep@example.com"


def test_an_attachment_is_read_from_gridfs_by_the_job(app, mailbox, run_jobs):
    content = b"PK\x03\x04 a small workbook"
    with app.app_context():
        file_id = gridfs.GridFS(get_db(), collection="reports").put(content,
                                                                    filename="report.xlsx")
        send_email("password_reset", to=["rep@example.com"], subject="Your report",
                   context={"user_name": "Rep", "token": "t"}, event_key="report:1:1",
                   attachment=AttachmentRef(str(file_id), "Forecast summary.xlsx"))
    run_jobs("mail")
    [message] = mailbox.messages()
    [attached] = list(message.iter_attachments())
    assert attached.get_filename() == "Forecast summary.xlsx"
    assert attached.get_content_type() == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert attached.get_content() == content


def test_notifications_obey_their_switches(app, mailbox):
    with app.app_context():
        store_value("notify_cycle_opened", False, "admin@example.com")
        assert send_email("password_reset", to=["rep@example.com"], subject="x",
                          context={"user_name": "R", "token": "t"},
                          notification="notify_cycle_opened") == []
        store_value("notify_cycle_opened", True, "admin@example.com")
        store_value("notification_email_enabled", False, "admin@example.com")
        assert send_email("password_reset", to=["rep@example.com"], subject="x",
                          context={"user_name": "R", "token": "t"},
                          notification="notify_cycle_opened") == []
        # Account e-mail (reset links) is not a notification: it always goes.
        assert send_email("password_reset", to=["rep@example.com"], subject="x",
                          context={"user_name": "R", "token": "t"}) != []
