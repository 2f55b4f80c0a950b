"""Audit log page: filters, entity history, critical view, escaping, export; archive job."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from openpyxl import load_workbook

from sop.admin.services import archive_audit_entries
from sop.clock import now
from sop.models import ArchivedAuditEntry, AuditEntry


def entry(action: str, message: str, at: datetime | None = None, **fields) -> AuditEntry:
    return AuditEntry(action=action, message=message, at=at or now(), **fields).save()


def test_filters_narrow_the_log(client, login_as):
    login_as("admin")
    entry("customer_created", "Customer A created.", actor_email="ann@example.com",
          entity_type="customer", entity_id="c1", at=datetime(2026, 1, 10, 12, tzinfo=UTC))
    entry("customer_updated", "Customer A updated.", actor_email="bob@example.com",
          entity_type="customer", entity_id="c1", at=datetime(2026, 1, 11, 23, 59, tzinfo=UTC))
    entry("job_failed", "Job X failed.", severity="error", entity_type="job", entity_id="j1",
          at=datetime(2026, 1, 12, tzinfo=UTC))

    def messages(query: str) -> list[str]:
        html = client.get(f"/admin/audit?{query}", headers={"HX-Request": "true"}).get_data(
            as_text=True)
        return [m for m in ("Customer A created.", "Customer A updated.", "Job X failed.")
                if m in html]

    assert messages("action=customer_updated") == ["Customer A updated."]
    assert messages("user=ann") == ["Customer A created."]
    assert messages("entity_type=customer&entity_id=c1") == ["Customer A created.",
                                                             "Customer A updated."]
    assert messages("date_from=2026-01-11&date_to=2026-01-11") == ["Customer A updated."]
    assert messages("view=critical") == ["Job X failed."]
    assert messages("severity=error") == ["Job X failed."]
    bad = client.get("/admin/audit?date_from=11/01/2026").get_data(as_text=True)
    assert "Write dates as YYYY-MM-DD" in bad


def test_messages_are_shown_escaped(client, login_as):
    login_as("admin")
    entry("customer_created", "Customer <script>alert(1)</script> created.",
          changes={"name": {"before": None, "after": "<b>x</b>"}})
    html = client.get("/admin/audit").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    assert "&lt;b&gt;x&lt;/b&gt;" in html


def test_export_of_the_filtered_view(client, login_as):
    login_as("admin")
    entry("customer_created", "=HYPERLINK(\"http://evil\")", actor_email="ann@example.com")
    entry("customer_updated", "Other", actor_email="bob@example.com")
    sheet = load_workbook(io.BytesIO(client.get("/admin/audit/export?user=ann").data)).active
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 1 and rows[0][1] == "ann@example.com"
    assert isinstance(rows[0][0], datetime)
    assert sheet["G2"].data_type == "s" and sheet["G2"].value.startswith("=HYPERLINK")


def test_the_archive_moves_old_entries_once_and_loses_none(app_context):
    old = [entry("user_login", f"old {n}", at=now() - timedelta(days=91 + n)) for n in range(3)]
    recent = entry("user_login", "recent", at=now() - timedelta(days=89))

    assert archive_audit_entries() == 3
    assert [e.message for e in AuditEntry.objects] == ["recent"]
    assert sorted(e.message for e in ArchivedAuditEntry.objects) == ["old 0", "old 1", "old 2"]
    assert {e.pk for e in ArchivedAuditEntry.objects} == {e.pk for e in old}

    assert archive_audit_entries() == 0  # a second run has the effect of one
    assert ArchivedAuditEntry.objects.count() == 3
    assert AuditEntry.objects.get().pk == recent.pk
