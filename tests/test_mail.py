"""E-mail leaves only through the mail queue, with retries and backoff when SMTP is down."""

from __future__ import annotations

from rq.registry import ScheduledJobRegistry

from sop.devstack import free_port
from sop.extensions import redis_queues
from sop.mail import RETRY_SECONDS, send_email
from sop.settings import store_value


def queue_reset_mail(app, token: str = "tok123"):
    with app.app_context():
        return send_email("password_reset", to=["rep@example.com"], subject="Reset your password",
                          context={"user_name": "Rep", "token": token})


def test_a_message_is_rendered_with_absolute_links_and_sent_by_the_worker(app, mailbox,
                                                                          run_jobs):
    queue_reset_mail(app)
    assert mailbox.messages() == []
    run_jobs("mail")
    [message] = mailbox.messages()
    assert message["From"] == "S&OP Portal <noreply@sopportal.local>"
    parts = {p.get_content_type(): p.get_payload(decode=True).decode() for p in message.walk()
             if not p.is_multipart()}
    assert "http://portal.test/reset-password/tok123" in parts["text/plain"]
    assert 'href="http://portal.test/reset-password/tok123"' in parts["text/html"]


def test_a_failing_smtp_server_means_a_retry_later_then_one_delivery(app, mailbox, run_jobs):
    saved_port = app.config["MAIL_PORT"]
    app.config["MAIL_PORT"] = free_port()  # nothing listens there
    try:
        job = queue_reset_mail(app)
        run_jobs("mail")
    finally:
        app.config["MAIL_PORT"] = saved_port
    with app.app_context():
        job.refresh()
        assert job.get_status() == "scheduled"
        assert job.retries_left == len(RETRY_SECONDS) - 1
        registry = ScheduledJobRegistry(queue=redis_queues.queue("mail"))
        assert job.id in registry.get_job_ids()
        assert mailbox.messages() == []
        # The backoff has passed: the retry runs against the server, which is back.
        registry.remove(job)
        redis_queues.queue("mail").enqueue_job(job)
    run_jobs("mail")
    assert len(mailbox.messages()) == 1


def test_notifications_obey_their_switches(app, mailbox):
    with app.app_context():
        store_value("notify_cycle_opened", False, "admin@example.com")
        assert send_email("password_reset", to=["rep@example.com"], subject="x",
                          context={"user_name": "R", "token": "t"},
                          notification="notify_cycle_opened") is None
        store_value("notify_cycle_opened", True, "admin@example.com")
        store_value("notification_email_enabled", False, "admin@example.com")
        assert send_email("password_reset", to=["rep@example.com"], subject="x",
                          context={"user_name": "R", "token": "t"},
                          notification="notify_cycle_opened") is None
        # Account e-mail (reset links) is not a notification: it always goes.
        assert send_email("password_reset", to=["rep@example.com"], subject="x",
                          context={"user_name": "R", "token": "t"}) is not None
