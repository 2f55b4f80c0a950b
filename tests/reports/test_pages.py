"""The reports pages: type and filters, generate, live progress, download (scoped, audited),
failures shown in words."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from rq.job import Job

from sop.clock import now
from sop.extensions import redis_queues
from sop.models import AuditEntry, Report
from sop.reports.registry import REPORT_TYPES, ReportType, register
from tests.reports.plain_type import HOOKS, plain_type_registered

HX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def plain_type(app):
    with plain_type_registered() as registered:
        yield registered


@pytest.fixture
def plan(make_user, make_customer, make_product, make_cycle, make_line):
    rep, other = make_user("sales_rep"), make_user("sales_rep")
    mine = make_customer(rep, code="PATITO-000001", name="Bayou Foods")
    theirs = make_customer(other, code="PATITO-000002", name="Gulf Traders")
    garlic = make_product(item_code="110001")
    cycle = make_cycle("2026-11")
    make_line(cycle, rep, mine, garlic, qty=[10, 20])
    make_line(cycle, other, theirs, garlic, qty=[5])
    return {"rep": rep, "other": other, "cycle": cycle}


def generate(client, cycle, **fields):
    return client.htmx_post("/reports", {"kind": "plain_lines", "cycle": str(cycle.pk),
                                         **fields})


def test_a_rep_is_offered_only_themselves_and_their_own_customers(client, login, plan):
    login(plan["rep"])
    page = client.get("/reports?kind=plain_lines").get_data(as_text=True)
    assert "Plain lines" in page and 'hx-get="/reports/filters"' in page
    assert "Bayou Foods" in page and "Gulf Traders" not in page
    assert plan["rep"].full_name in page and plan["other"].full_name not in page


def test_the_filter_fields_follow_the_chosen_type(client, login_as, plan, app):
    login_as("manager")
    register(ReportType(key="months_only", title="Months only", description="By month.",
                        filters=("month_from", "month_to"),
                        required=("month_from", "month_to"), collections=(),
                        build=lambda ctx: None))
    try:
        fields = client.get("/reports/filters?kind=months_only&month_from=2025-11&rep=x",
                            headers=HX).get_data(as_text=True)
    finally:
        REPORT_TYPES.pop("months_only")
    assert 'type="month"' in fields and 'name="month_from"' in fields
    assert 'value="2025-11"' in fields  # what was chosen for the previous type stays
    assert 'name="cycle"' not in fields and "<html" not in fields
    plain = client.get("/reports/filters?kind=plain_lines", headers=HX).get_data(as_text=True)
    assert 'name="cycle"' in plain and "Gulf Traders" in plain  # a manager sees everyone's


def test_missing_filters_are_explained_without_queueing_anything(client, login_as, plan):
    login_as("manager")
    response = client.htmx_post("/reports", {"kind": "plain_lines"})
    assert response.status_code == 422
    assert "Choose cycle." in response.get_data(as_text=True)
    assert Report.objects.count() == 0


def test_generate_shows_live_progress_then_the_download(client, login_as, plan, run_jobs):
    login_as("manager")
    seen_while_running: list[str] = []

    def look(ctx):
        ctx.progress("Counting lines", 3, 10)
        [report] = Report.objects
        seen_while_running.append(client.get(f"/reports/{report.pk}", headers=HX)
                                  .get_data(as_text=True))

    HOOKS.append(look)
    response = generate(client, plan["cycle"])
    assert response.status_code == 200
    queued = response.get_data(as_text=True)
    assert 'hx-trigger="every 1s"' in queued and "Waiting for a worker" in queued
    assert response.headers["HX-Trigger"] == "reports-changed"

    run_jobs("reports")
    [during] = seen_while_running
    assert "Counting lines: 3 of 10" in during and 'hx-trigger="every 1s"' in during
    assert '<progress value="3" max="10"' in during

    [report] = Report.objects
    done = client.get(f"/reports/{report.pk}", headers=HX)
    finished = done.get_data(as_text=True)
    assert "every 1s" not in finished  # the polling stops
    assert f"/reports/{report.pk}/download" in finished and "E-mail it to" in finished
    assert done.headers["HX-Trigger"] == "reports-changed"
    for recent in (client.get("/reports"), client.get("/reports", headers=HX)):
        assert recent.status_code == 200
        listed = recent.get_data(as_text=True)
        assert f"/reports/{report.pk}/download" in listed and "Nov 2026" in listed
    assert "<html" not in listed  # the refresh after "reports-changed" swaps the list only


def test_download_is_audited_and_a_rep_only_gets_their_own(client, login, plan, run_jobs,
                                                            make_user):
    login(plan["rep"])
    generate(client, plan["cycle"])
    run_jobs("reports")
    [report] = Report.objects
    response = client.get(f"/reports/{report.pk}/download")
    assert response.status_code == 200
    assert re.match(r'attachment; filename=plain-lines-\d{8}-\d{4}\.xlsx',
                    response.headers["Content-Disposition"])
    sheet = load_workbook(io.BytesIO(response.data), read_only=True)["Lines"]
    assert [row[1] for row in sheet.iter_rows(values_only=True)
            if len(row) > 1 and row[0] == "Total"] == [30]
    assert report.reload().downloads == 1
    assert AuditEntry.objects(action="report_downloaded", entity_id=str(report.pk),
                              actor_id=plan["rep"].pk).count() == 1

    client.post_form("/logout")
    login(plan["other"])
    assert client.get(f"/reports/{report.pk}/download").status_code == 404
    assert client.get(f"/reports/{report.pk}").status_code == 404
    assert f"/reports/{report.pk}" not in client.get("/reports").get_data(as_text=True)

    client.post_form("/logout")
    login(make_user("manager"))
    assert client.get(f"/reports/{report.pk}/download").status_code == 200

    # Expired, not yet removed by the nightly cleanup: no file to hand out.
    Report.objects(id=report.pk).update_one(set__expires_at=now() - timedelta(hours=1))
    refused = client.get(f"/reports/{report.pk}/download")
    assert refused.status_code == 302 and refused.location == f"/reports/{report.pk}"
    page = client.get(refused.location).get_data(as_text=True)
    assert "This report has no file to download" in page and "expired on" in page
    assert f"/reports/{report.pk}/download" not in page


def test_a_failing_build_is_shown_in_words_and_audited(client, login_as, plan, run_jobs):
    login_as("manager")

    def explode(ctx):
        raise ValueError("The cycle has no snapshot yet: close it first.")

    HOOKS.append(explode)
    generate(client, plan["cycle"])
    run_jobs("reports")
    [report] = Report.objects
    assert report.status == "failed"
    page = client.get(f"/reports/{report.pk}").get_data(as_text=True)
    assert "The cycle has no snapshot yet: close it first." in page
    assert "/download" not in page
    assert AuditEntry.objects(action="job_failed").count() == 1
    # Once the cause is gone, an admin requeueing the failed job gets the report built.
    HOOKS.clear()
    Job.fetch(report.job_id, connection=redis_queues.redis).requeue()
    run_jobs("reports")
    assert report.reload().status == "done" and report.error is None
    HOOKS.append(explode)

    def crash(ctx):
        raise KeyError("qty")

    HOOKS[:] = [crash]
    generate(client, plan["cycle"], rep=str(plan["rep"].pk))
    run_jobs("reports")
    failed = Report.objects(status="failed").order_by("-created_at").first()
    assert "could not be built (KeyError)" in failed.error
    assert "Traceback" not in client.get(f"/reports/{failed.pk}").get_data(as_text=True)


def test_a_long_build_can_be_polled_every_second_past_the_site_wide_limit(client, login_as,
                                                                           plan):
    login_as("manager")
    generate(client, plan["cycle"])
    [report] = Report.objects
    answers = {client.get(f"/reports/{report.pk}", headers=HX).status_code for _ in range(75)}
    assert answers == {200}  # 75 polls in a minute: more than the 60 requests per address
