"""Each notification's recipients and content as the SMTP sink receives them, and its event key:
repeating an event sends nothing more, a new event (a new opening, a new hand-in) mails again."""

from __future__ import annotations

from datetime import UTC, date, datetime

import gridfs
from mongoengine.connection import get_db

from sop.auth.services import request_password_reset
from sop.cycles.services import create_cycle
from sop.cycles.states import back_to_draft, notify_cycle_opened, open_cycle
from sop.mail import AttachmentRef, absolute_url, send_email
from sop.models import Cycle
from sop.submissions.services import reject_submission, submit_plan


def bodies(message) -> dict[str, str]:
    return {part.get_content_type(): part.get_content() for part in message.walk()
            if not part.is_multipart() and not part.get_filename()}


def report_mail(app, attachment: AttachmentRef | None = None) -> None:
    with app.test_request_context(base_url="http://10.0.0.5:8000"):  # an internal host
        link = absolute_url("dashboard.index")
        send_email("report_delivery", to=["ops@example.com", "cfo@example.com"],
                   subject="Report: Forecast summary", event_key="report:r1:1",
                   context={"title": "Forecast summary", "sent_by": "Ada Admin",
                            "filters_text": "Cycle Nov 2026, rep Rita Rep",
                            "generated_at": datetime(2026, 11, 24, 15, 30, tzinfo=UTC),
                            "size": 1_536_000, "download_url": link,
                            "expires_at": datetime(2026, 12, 24, tzinfo=UTC),
                            "attached": attachment is not None},
                   attachment=attachment)


def test_report_delivery_says_what_the_report_is_with_a_link_from_the_base_url(
        app, mailbox, run_jobs):
    report_mail(app)
    run_jobs("mail")
    assert sorted(m["To"] for m in mailbox.messages()) == ["cfo@example.com", "ops@example.com"]
    message = mailbox.messages()[0]
    assert message["Subject"] == "Report: Forecast summary"
    assert list(message.iter_attachments()) == []
    text, html = bodies(message)["text/plain"], bodies(message)["text/html"]
    assert "Ada Admin sent you the Forecast summary report." in text
    assert "Filters: Cycle Nov 2026, rep Rita Rep" in text
    assert "Generated: 24 Nov 2026 15:30 UTC" in text and "Size: 1.5 MB" in text
    assert "too large to attach" in text and "until 24 Dec 2026" in text
    assert "http://portal.test/\n" in text.replace("\r\n", "\n")  # BASE_URL, not 10.0.0.5
    assert 'href="http://portal.test/"' in html and "10.0.0.5" not in html
    report_mail(app)  # the same event again: nothing more
    run_jobs("mail")
    assert len(mailbox.messages()) == 2


def test_report_delivery_with_the_file_attached(app, mailbox, run_jobs):
    with app.app_context():
        file_id = gridfs.GridFS(get_db(), collection="reports").put(b"xlsx bytes")
    report_mail(app, AttachmentRef(str(file_id), "Forecast summary.xlsx"))
    run_jobs("mail")
    message = mailbox.messages()[0]
    assert [(a.get_filename(), a.get_content()) for a in message.iter_attachments()] == [
        ("Forecast summary.xlsx", b"xlsx bytes")]
    text = bodies(message)["text/plain"]
    assert "report, attached to this message." in text and "too large" not in text


def test_cycle_opened_once_per_opening(app, make_user, make_customer, mailbox, run_jobs):
    admin = make_user("admin")
    make_customer(make_user("sales_rep", email="ana@example.com"))
    with app.app_context():
        cycle = open_cycle(admin, create_cycle(admin, date(2026, 12, 1),
                                               close_date=date(2026, 12, 18)))
        assert notify_cycle_opened(cycle) == 0  # the same opening again: already mailed
    run_jobs("mail")
    assert [m["To"] for m in mailbox.messages()] == ["ana@example.com"]
    with app.app_context():  # back to draft and opened again: a new opening, a new e-mail
        cycle = back_to_draft(admin, cycle)
        open_cycle(admin, Cycle.objects.get(id=cycle.pk))
    run_jobs("mail")
    assert [m["To"] for m in mailbox.messages()] == ["ana@example.com"] * 2


def test_each_hand_in_and_review_mails_once(app, make_user, make_customer, make_product,
                                           make_cycle, make_line, mailbox, run_jobs):
    rep = make_user("sales_rep", email="rita@example.com", full_name="Rita Rep")
    manager = make_user("manager", email="mona@example.com")
    cycle = make_cycle("2026-11", close_date=date(2099, 11, 20), mandatory_months=1)
    make_line(cycle, rep, make_customer(rep), make_product(list_price=2.0), qty=[1])
    with app.app_context():
        submission = submit_plan(cycle, rep, rep)
        reject_submission(submission, manager, "More volume for ACME")
        submit_plan(cycle, rep, rep)
    run_jobs("mail")
    sent = [(m["To"], m["Subject"]) for m in mailbox.messages()]
    assert sorted(sent) == sorted([
        ("rita@example.com", "Your Nov 2026 plan is submitted"),
        ("mona@example.com", "Rita Rep submitted the Nov 2026 plan"),
        ("rita@example.com", "Your Nov 2026 plan is rejected"),
        ("rita@example.com", "Your Nov 2026 plan is submitted"),
        ("mona@example.com", "Rita Rep submitted the Nov 2026 plan"),
    ])


def test_each_reset_request_mails_its_own_link(app, make_user, mailbox, run_jobs):
    make_user("sales_rep", email="kim@example.com")
    with app.app_context():
        request_password_reset("kim@example.com")
        request_password_reset("KIM@example.com ")
        request_password_reset("nobody@example.com")
    run_jobs("mail")
    links = {line for m in mailbox.messages() for line in bodies(m)["text/plain"].splitlines()
             if line.startswith("http://portal.test/reset-password/")}
    assert [m["To"] for m in mailbox.messages()] == ["kim@example.com"] * 2 and len(links) == 2
