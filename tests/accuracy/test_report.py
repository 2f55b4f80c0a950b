"""The "Accuracy and FVA" report on the golden company (tests/accuracy/conftest.py): built as
the report worker builds it, its figures are the service's and the hand-worked ones."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from sop.accuracy.service import closed_cycles, measure_accuracy
from sop.reports.registry import REPORT_TYPES, ReportContext, ReportFilters

approx = pytest.approx


def build(tmp_path: Path, viewer: Any, **filters: str):
    path = tmp_path / "accuracy.xlsx"
    REPORT_TYPES["accuracy_fva"].build(ReportContext(
        ReportFilters(**filters), viewer, path, lambda *args: None,
        datetime(2026, 12, 7, 12, 0)))
    return load_workbook(path)


def rows(workbook, title: str) -> list[dict[str, Any]]:
    """Data and totals rows of a sheet as {header: value}, from the header row on."""
    found = list(workbook[title].iter_rows(values_only=True))
    start = next(i for i, row in enumerate(found) if row and row[0] in ("Lag", "Sales rep",
                                                                         "Customer code",
                                                                         "Item code",
                                                                         "Product group",
                                                                         "Territory"))
    headers = found[start]
    return [dict(zip(headers, row, strict=False)) for row in found[start + 1:] if any(row)]


def data_rows(workbook, title: str) -> list[dict[str, Any]]:
    """`rows` without the totals rows ("Total lag 1", ...)."""
    return [row for row in rows(workbook, title)
            if not str(next(iter(row.values()))).startswith("Total")]


def test_the_report_holds_the_services_figures_for_both_lags(golden, make_user, tmp_path):
    admin = make_user("admin")
    book = build(tmp_path, admin)
    assert book.sheetnames == ["By cycle", "By sales rep", "By customer", "By item",
                               "By product group", "By territory", "About"]
    by_cycle = rows(book, "By cycle")
    lag1 = [row for row in by_cycle if row["Lag"] == 1]
    # Jan 2026 at lag 1 (test_golden): A 190, plan |A-F| 30, WMAPE 30/190, naive 60/190,
    # baseline 10/140 = the plan on those cells: no value added.
    assert (lag1[0]["Cycle"], lag1[0]["Month forecast"], lag1[0]["Bucket"]) == (
        "Jan 2026", datetime(2026, 1, 1), "M1")
    assert (lag1[0]["Actual cases"], lag1[0]["Plan error cases"]) == (190, 30)
    assert lag1[0]["Plan WMAPE"] == approx(30 / 190)
    assert lag1[0]["Naive WMAPE"] == approx(60 / 190)
    assert lag1[0]["Baseline WMAPE"] == approx(10 / 140)
    assert lag1[0]["Plan adds value"] == "No"
    assert lag1[1]["Value added vs baseline"] == approx(30 / 180 - 40 / 180)
    total1 = next(row for row in by_cycle if row["Lag"] == "Lag 1")
    assert total1["Plan WMAPE"] == approx(120 / 520)
    assert total1["Cells without baseline"] == 2
    lag3 = [row for row in by_cycle if row["Lag"] == 3]
    assert lag3[2]["Status"] == "The sales of May 2026 are not imported yet."
    assert lag3[2]["Plan WMAPE"] is None

    service = {lag: measure_accuracy(admin, lag, closed_cycles()) for lag in (1, 3)}
    for row in data_rows(book, "By item"):
        tally = next(r.tally for r in service[row["Lag"]].rows["item"]
                     if r.labels[0] == row["Item code"])
        assert row["Plan WMAPE"] == approx(tally.plan.wmape)
        assert row["Naive WMAPE"] == approx(tally.naive.wmape)
        assert row["Actual cases"] == approx(tally.actual)
    by_rep = {(row["Sales rep"], row["Lag"]): row for row in rows(book, "By sales rep")}
    assert by_rep[("Rep A", 1)]["Plan WMAPE"] == approx(100 / 400)
    assert by_rep[("Rep B", 1)]["Plan bias"] == approx(0)


def test_a_month_range_picks_the_cycles_that_forecast_it_at_each_lag(golden, make_user,
                                                                     tmp_path):
    # March 2026: at lag 1 the Mar 2026 cycle (closed in February), at lag 3 the Jan 2026
    # cycle (closed in December): plan 50/150 and 80/150 (test_golden).
    book = build(tmp_path, make_user("manager"), month_from="2026-03", month_to="2026-03")
    cycles = {row["Lag"]: row for row in rows(book, "By cycle") if isinstance(row["Lag"], int)}
    assert cycles[1]["Cycle"] == "Mar 2026" and cycles[1]["Plan WMAPE"] == approx(50 / 150)
    assert cycles[3]["Cycle"] == "Jan 2026" and cycles[3]["Plan WMAPE"] == approx(80 / 150)


def test_a_reps_report_and_filters_hold_own_customers_only(golden, tmp_path):
    book = build(tmp_path, golden["rep_b"])
    customers = {row["Customer code"] for row in data_rows(book, "By customer")}
    assert customers == {"C2"}
    total = next(row for row in rows(book, "By cycle") if row["Lag"] == "Lag 1")
    assert total["Actual cases"] == 120 and total["Plan error cases"] == 20
    # Rep B asking for Rep A's customer gets nothing of it.
    asked = build(tmp_path, golden["rep_b"], customer=str(golden["customers"]["C1"].pk))
    assert [row["Customer code"] for row in data_rows(asked, "By customer")] == [
        "No data matches these filters."]


def test_item_filter_narrows_every_sheet(golden, make_user, tmp_path):
    # Item P2 only, lag 1: A 90, |A-F| 70 (test_golden).
    book = build(tmp_path, make_user("admin"), item=str(golden["products"]["P2"].pk))
    total = next(row for row in rows(book, "By cycle") if row["Lag"] == "Lag 1")
    assert (total["Actual cases"], total["Plan error cases"]) == (90, 70)
    items = {row["Item code"] for row in data_rows(book, "By item")}
    assert items == {"110002"}


def test_the_report_is_requested_and_built_by_the_worker_in_the_reps_scope(golden,
                                                                          run_jobs):
    # As /reports requests it; the worker builds it in the rep's scope (Rep A: lag 1 A 400,
    # |A-F| 100).
    import io

    from sop.reports.services import open_report_file, request_report

    report = request_report(golden["rep_a"], "accuracy_fva", ReportFilters())
    run_jobs("reports")
    report.reload()
    assert report.status == "done", report.error
    book = load_workbook(io.BytesIO(open_report_file(golden["rep_a"], report).read()))
    total = next(row for row in rows(book, "By cycle") if row["Lag"] == "Lag 1")
    assert (total["Actual cases"], total["Plan error cases"]) == (400, 100)
