"""The report cache: an identical request on unchanged data is served from the stored file at
once; one changed forecast cell or a sales import makes the next request build again; a rep's
and a manager's reports never share a file; expired files are removed."""

from __future__ import annotations

import io
from datetime import timedelta

import gridfs
import pytest
from mongoengine.connection import get_db
from openpyxl import load_workbook

from sop.clock import now
from sop.extensions import redis_queues
from sop.forecasts.cells import save_cell
from sop.imports import services as imports
from sop.models import AuditEntry, Report
from sop.reports.registry import ReportFilters
from sop.reports.services import (
    REPORT_BUCKET,
    ReportRefused,
    remove_expired_reports,
    request_report,
)
from tests.excel.builders import workbook_bytes
from tests.reports.plain_type import plain_type_registered

pytestmark = pytest.mark.usefixtures("app_context")


@pytest.fixture(autouse=True)
def plain_type():
    with plain_type_registered() as registered:
        yield registered


@pytest.fixture
def plan(make_user, make_customer, make_product, make_cycle, make_line):
    """Two reps with one line each in an open cycle: 10+20 and 5 cases."""
    rep, other = make_user("sales_rep"), make_user("sales_rep")
    mine, theirs = make_customer(rep, code="PATITO-000001"), make_customer(other)
    garlic = make_product(item_code="110001")
    cycle = make_cycle("2026-11")
    make_line(cycle, rep, mine, garlic, qty=[10, 20], price=[4, 4])
    make_line(cycle, other, theirs, garlic, qty=[5], price=[4])
    return {"rep": rep, "other": other, "mine": mine, "garlic": garlic, "cycle": cycle,
            "manager": make_user("manager")}


def totals(report: Report) -> dict[str, float]:
    """The labelled totals rows of a finished report's file, read from GridFS."""
    report.reload()
    assert report.status == "done", report.error
    data = gridfs.GridFS(get_db(), collection=REPORT_BUCKET).get(report.file_id).read()
    sheet = load_workbook(io.BytesIO(data), read_only=True)["Lines"]
    return {row[0]: row[1] for row in sheet.iter_rows(values_only=True)
            if len(row) > 1 and row[0] in ("Total", "Sold")}


def queued_jobs() -> int:
    return redis_queues.queue("reports").count


def ask(user, cycle, **filters) -> Report:
    return request_report(user, "plain_lines", ReportFilters(cycle=str(cycle.pk), **filters))


def test_an_identical_request_on_unchanged_data_is_served_at_once_without_a_job(plan,
                                                                                 run_jobs,
                                                                                 make_user):
    first = ask(plan["manager"], plan["cycle"])
    assert first.status == "queued" and queued_jobs() == 1
    run_jobs("reports")
    assert totals(first)["Total"] == 35

    again = ask(plan["manager"], plan["cycle"])
    assert again.status == "done" and again.cached
    assert again.pk != first.pk and again.file_id == first.reload().file_id
    assert queued_jobs() == 0
    assert AuditEntry.objects(action="report_generated", entity_id=str(again.pk),
                              message__contains="served from cache").count() == 1
    # An admin asking the same thing shares the file: the same scope (everything).
    assert ask(make_user("admin"), plan["cycle"]).cached


def test_one_changed_forecast_cell_makes_the_next_request_build_again(plan, run_jobs):
    first = ask(plan["manager"], plan["cycle"])
    run_jobs("reports")
    assert totals(first)["Total"] == 35

    save_cell(plan["rep"], plan["cycle"], plan["mine"], plan["garlic"], "qty", 0, "11", "10")

    second = ask(plan["manager"], plan["cycle"])
    assert second.status == "queued" and not second.cached
    run_jobs("reports")
    assert totals(second)["Total"] == 36
    assert second.reload().file_id != first.reload().file_id


def test_a_sales_import_makes_the_next_request_build_again(plan, run_jobs, make_user):
    first = ask(plan["manager"], plan["cycle"])
    run_jobs("reports")
    assert totals(first)["Sold"] == 0

    admin = make_user("admin")
    record = imports.start_import(admin, "sales", "sales.xlsx", workbook_bytes(("Sales", [
        ["Customer Code", "Item Code", "Year", "Month", "Quantity", "Unit Price", "Sales",
         "COGS", "Gross Profit"],
        ["PATITO-000001", 110001, 2026, 1, 12, 38, 456, 320, 136]])))
    run_jobs("imports")
    imports.confirm_import(admin, record.reload())
    run_jobs("imports")
    assert record.reload().status == "applied"

    second = ask(plan["manager"], plan["cycle"])
    assert not second.cached
    run_jobs("reports")
    assert totals(second)["Sold"] == 12


def test_a_rep_and_a_manager_never_share_a_cached_file(plan, run_jobs):
    managers = ask(plan["manager"], plan["cycle"])
    run_jobs("reports")
    assert totals(managers)["Total"] == 35

    reps = ask(plan["rep"], plan["cycle"])  # same type and filters, narrower scope
    assert reps.status == "queued" and not reps.cached
    run_jobs("reports")
    assert totals(reps)["Total"] == 30
    # A rep naming another rep in the filter is refused (issue 13): nothing is queued.
    with pytest.raises(ReportRefused, match="Sales rep: not one of yours"):
        ask(plan["rep"], plan["cycle"], rep=str(plan["other"].pk))
    assert Report.objects(requested_by=plan["rep"]).count() == 1
    # And the other rep's identical request is not served the first rep's file.
    assert not ask(plan["other"], plan["cycle"]).cached


def test_expired_reports_and_their_files_are_removed_by_the_cleanup(plan, run_jobs):
    first = ask(plan["manager"], plan["cycle"])
    run_jobs("reports")
    copy = ask(plan["manager"], plan["cycle"])
    assert copy.cached
    files = gridfs.GridFS(get_db(), collection=REPORT_BUCKET)
    file_id = first.reload().file_id

    Report.objects(id=first.pk).update_one(set__expires_at=now() - timedelta(minutes=1))
    assert remove_expired_reports() == 1
    assert files.exists(file_id)  # the served copy still points at it

    Report.objects(id=copy.pk).update_one(set__expires_at=now() - timedelta(minutes=1))
    assert remove_expired_reports() == 1
    assert not files.exists(file_id)
    assert Report.objects.count() == 0
    assert not ask(plan["manager"], plan["cycle"]).cached  # nothing left to serve


def test_a_report_whose_worker_died_is_marked_failed_then_removed_in_time(plan):
    stuck = ask(plan["manager"], plan["cycle"])
    Report.objects(id=stuck.pk).update_one(set__status="running",
                                           set__created_at=now() - timedelta(hours=2))
    fresh = ask(plan["manager"], plan["cycle"], rep=str(plan["rep"].pk))
    assert remove_expired_reports() == 0
    assert stuck.reload().status == "failed" and "generate it again" in stuck.error
    assert fresh.reload().status == "queued"  # still waiting for a worker: left alone
    Report.objects(id=stuck.pk).update_one(set__expires_at=now() - timedelta(minutes=1))
    assert remove_expired_reports() == 1
    assert Report.objects.count() == 1


def test_the_daily_cleanup_removes_expired_reports(plan, run_jobs):
    from sop.jobs.maintenance import cleanup

    ask(plan["manager"], plan["cycle"])
    run_jobs("reports")
    [report] = Report.objects
    Report.objects(id=report.pk).update_one(set__expires_at=now() - timedelta(days=1))
    assert "removed 1 expired reports" in cleanup()
    assert not gridfs.GridFS(get_db(), collection=REPORT_BUCKET).exists(report.file_id)
