"""Audit log page: filters, entity history, critical view, escaping, export; archive job."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from openpyxl import load_workbook

from sop.admin.services import archive_audit_entries
from sop.clock import now
from sop.db import raw_collection
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
    assert messages("user=.%2A") == [] and messages("user=%28") == []  # text, not a pattern
    assert messages("entity_type=customer&entity_id=c1") == ["Customer A created.",
                                                             "Customer A updated."]
    assert messages("date_from=2026-01-11&date_to=2026-01-11") == ["Customer A updated."]
    assert messages("view=critical") == ["Job X failed."]
    assert messages("severity=error") == ["Job X failed."]
    bad = client.get("/admin/audit?date_from=11/01/2026").get_data(as_text=True)
    assert "Write dates as YYYY-MM-DD" in bad
    page = client.get("/admin/audit").get_data(as_text=True)
    for action in ("customer_created", "customer_updated", "job_failed"):
        assert f'<option value="{action}"' in page  # the actions the log holds


def test_pages_and_the_export_link_follow_the_filters(client, login_as):
    login_as("admin")
    AuditEntry.objects.insert([
        AuditEntry(action="price_updated", message=f"Price {n} updated.",
                   actor_email="ann@example.com", at=now() - timedelta(minutes=n))
        for n in range(51)])
    response = client.get("/admin/audit?user=ann&page=2", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert "<html" not in html and "Price 50 updated." in html and "Price 49 " not in html
    assert "51 results · page 2 of 2" in html
    assert 'href="/admin/audit/export?action=&amp;severity=&amp;user=ann' in html
    assert "at most 50,000 entries" in html


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
    entry("customer_updated", "Renamed", actor_email="ann@example.com",
          changes={"name": {"before": "Old", "after": "@SUM(A1)"}})
    response = client.get("/admin/audit/export?user=ann")
    assert response.mimetype == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [row[1] for row in rows] == ["ann@example.com", "ann@example.com"]
    assert isinstance(rows[0][0], datetime) and rows[0][0].tzinfo is None
    assert sheet["A2"].number_format == "yyyy-mm-dd hh:mm"
    assert sheet["A1"].value == "When (UTC)" and sheet["A1"].font.b
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:J3"
    hostile = sheet["G3"]  # the oldest entry comes last
    assert hostile.value == "=HYPERLINK(\"http://evil\")" and hostile.data_type != "f"
    assert sheet["H2"].value == "name: 'Old' → '@SUM(A1)'"


def test_the_archive_moves_old_entries_once_and_loses_none(app_context):
    old = [entry("user_login", f"old {n}", at=now() - timedelta(days=91 + n)) for n in range(3)]
    recent = entry("user_login", "recent", at=now() - timedelta(days=89))

    before = {doc["_id"]: doc for doc in raw_collection(AuditEntry).find()}

    assert archive_audit_entries() == 3
    for doc in raw_collection(ArchivedAuditEntry).find():  # same id, same fields
        assert doc == before[doc["_id"]]
    assert [e.message for e in AuditEntry.objects] == ["recent"]
    assert sorted(e.message for e in ArchivedAuditEntry.objects) == ["old 0", "old 1", "old 2"]
    assert {e.pk for e in ArchivedAuditEntry.objects} == {e.pk for e in old}

    assert archive_audit_entries() == 0  # a second run has the effect of one
    assert ArchivedAuditEntry.objects.count() == 3
    assert AuditEntry.objects.get().pk == recent.pk


def test_an_archive_run_cut_short_after_the_copy_is_finished_by_the_next(app_context):
    old = entry("user_login", "old", at=now() - timedelta(days=120))
    raw_collection(ArchivedAuditEntry).insert_one(  # copied, then the run stopped
        raw_collection(AuditEntry).find_one({"_id": old.pk}))

    assert archive_audit_entries() == 1
    assert AuditEntry.objects.count() == 0 and ArchivedAuditEntry.objects.get().pk == old.pk


def test_the_retention_setting_decides_what_is_old(app_context):
    from sop.settings import store_value

    entry("user_login", "ten days", at=now() - timedelta(days=10))
    store_value("audit_retention_days", 7, "test")
    assert archive_audit_entries() == 1
