"""E-mailing a report: attached when small enough, else a link to its download; addresses
checked; sent by the mail worker (the real SMTP sink) and audited."""

from __future__ import annotations

import io
import secrets

import pytest
from openpyxl import Workbook, load_workbook

from sop.models import AuditEntry, Report
from sop.reports.registry import REPORT_TYPES, ReportType, register
from sop.settings import store_value
from tests.reports.plain_type import plain_type_registered

HX = {"HX-Request": "true"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def build_big(ctx) -> None:
    """Over 1 MB whatever the compression: random text."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Noise")
    for _ in range(12_000):
        sheet.append([secrets.token_hex(16) for _ in range(4)])
    workbook.save(ctx.path)


@pytest.fixture(autouse=True)
def report_types(app):
    with plain_type_registered():
        register(ReportType(key="big_noise", title="Big noise", description="Large.",
                            filters=(), required=(), collections=(), build=build_big))
        yield
        REPORT_TYPES.pop("big_noise")


@pytest.fixture
def finished(client, login_as, make_customer, make_product, make_cycle, make_line, run_jobs):
    """A manager signed in, with a finished report of `kind`."""
    manager = login_as("manager")

    def build(kind: str = "plain_lines") -> Report:
        form = {"kind": kind}
        if kind == "plain_lines":
            cycle = make_cycle("2026-11")
            make_line(cycle, manager, make_customer(), make_product(), qty=[7, 8])
            form["cycle"] = str(cycle.pk)
        assert client.htmx_post("/reports", form).status_code == 200
        run_jobs("reports")
        report = Report.objects.order_by("-created_at").first()
        assert report.status == "done", report.error
        return report

    return build


def parts(message) -> dict[str, list]:
    found: dict[str, list] = {}
    for part in message.walk():
        if not part.is_multipart():
            found.setdefault(part.get_content_type(), []).append(part)
    return found


def test_a_small_report_is_sent_attached_to_each_address(client, finished, mailbox, run_jobs):
    report = finished()
    response = client.htmx_post(f"/reports/{report.pk}/email",
                                {"addresses": "ann@example.com, Bob@Example.com"})
    assert response.status_code == 200
    assert "Sent to ann@example.com, bob@example.com as an attachment" in response.get_data(
        as_text=True)
    run_jobs("mail")
    messages = mailbox.messages()
    assert sorted(m["To"] for m in messages) == ["ann@example.com", "bob@example.com"]
    message = messages[0]
    assert message["Subject"] == "Report: Plain lines"
    [attachment] = parts(message)[XLSX]
    assert attachment.get_filename() == report.file_name
    sheet = load_workbook(io.BytesIO(attachment.get_payload(decode=True)), read_only=True)
    assert [row[1] for row in sheet["Lines"].iter_rows(values_only=True)
            if len(row) > 1 and row[0] == "Total"] == [15]
    assert "attached to this message" in parts(message)["text/plain"][0].get_payload(
        decode=True).decode()
    assert AuditEntry.objects(action="report_emailed", entity_id=str(report.pk)).count() == 1


def test_a_report_over_the_size_limit_is_sent_as_a_link(client, finished, mailbox, run_jobs,
                                                        app):
    with app.app_context():
        store_value("report_email_max_mb", 1, "admin@example.com")
    report = finished("big_noise")
    assert report.size > 1024 * 1024
    response = client.htmx_post(f"/reports/{report.pk}/email", {"addresses": "ann@example.com"})
    assert "as a link (too large to attach)" in response.get_data(as_text=True)
    run_jobs("mail")
    [message] = mailbox.messages()
    assert XLSX not in parts(message)
    text = parts(message)["text/plain"][0].get_payload(decode=True).decode()
    assert "too large to attach" in text
    assert f"http://portal.test/reports/{report.pk}/download" in text


def test_wrong_addresses_are_explained_and_nothing_is_sent(client, finished, mailbox, run_jobs):
    report = finished()
    response = client.htmx_post(f"/reports/{report.pk}/email",
                                {"addresses": "ann@example.com, not-an-address"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Not an e-mail address: not-an-address." in page and 'aria-invalid="true"' in page
    assert client.htmx_post(f"/reports/{report.pk}/email", {"addresses": " "}
                            ).status_code == 422
    run_jobs("mail")
    assert mailbox.messages() == []
    assert AuditEntry.objects(action="report_emailed").count() == 0


def test_sending_the_same_report_again_sends_again(client, finished, mailbox, run_jobs):
    report = finished()
    for _ in range(2):
        client.htmx_post(f"/reports/{report.pk}/email", {"addresses": "ann@example.com"})
    run_jobs("mail")
    assert len(mailbox.messages()) == 2  # two requests, two events: not taken as a repeat
