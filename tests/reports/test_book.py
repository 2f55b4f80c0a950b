"""The report workbook writer: title block, frozen header, autofilter, number formats by kind,
totals rows, About sheet; numbers and dates stay numbers and dates, user text stays text."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from sop.reports.book import ReportBook, ReportColumn
from sop.reports.registry import ReportContext, ReportFilters

COLUMNS = [ReportColumn("Customer"), ReportColumn("Month", "month"),
           ReportColumn("Cases", "cases"), ReportColumn("Sales $", "money"),
           ReportColumn("Share", "percent"), ReportColumn("Submitted at", "datetime"),
           ReportColumn("Lines", "int", width=7)]


def context(viewer, tmp_path: Path, **filters: str) -> ReportContext:
    return ReportContext(filters=ReportFilters(**filters), viewer=viewer,
                         path=tmp_path / "report.xlsx", progress=lambda *args: None,
                         generated_at=datetime(2026, 11, 24, 16, 5))


def test_sheet_layout_formats_and_totals(app_context, make_user, make_cycle, tmp_path):
    admin = make_user("admin", full_name="Ada Admin")
    rep = make_user("sales_rep", full_name="Rita Rep")
    cycle = make_cycle("2026-11", status="closed")
    ctx = context(admin, tmp_path, cycle=str(cycle.pk), month_from="2025-11",
                  month_to="2026-02", rep=str(rep.pk), group="Garlic")
    book = ReportBook(ctx, "Forecast summary", ["Cases are cases."])
    sheet = book.sheet("By customer", COLUMNS)
    sheet.row(["=HYPERLINK(\"http://x\")", date(2025, 11, 1), 1234.5, 99.125, 0.1234,
               datetime(2026, 11, 20, 9, 30, tzinfo=UTC), 3])
    sheet.row(["+Acme", date(2026, 2, 1), None, float("nan"), None, None, 0])
    sheet.total_row("Total", [None, 1234.5, 99.125, None, None, 3])
    book.save()

    workbook = load_workbook(ctx.path)
    assert workbook.sheetnames == ["By customer", "About"]
    ws = workbook["By customer"]
    assert ws["A1"].value == "Forecast summary" and ws["A1"].font.bold
    assert ws["A2"].value == ("Filters: cycle Nov 2026 (2026-11); months Nov 2025 to Feb 2026; "
                              "rep Rita Rep; group Garlic")
    assert ws["A3"].value == "Scope: all reps"
    assert ws["A4"].value == "Generated 2026-11-24 16:05 UTC"
    assert [c.value for c in ws[6]] == [c.header for c in COLUMNS]
    assert ws["A6"].font.bold
    assert ws.freeze_panes == "B7"
    assert ws.page_setup.orientation == "landscape" and ws.print_title_rows == "$6:$6"
    assert ws.auto_filter.ref == "A6:G8"  # header and data rows; the total stays last
    assert int(ws.column_dimensions["G"].width) == 7  # as Excel stores 7 characters: 7.71
    assert ws.column_dimensions["A"].width >= 20

    first = ws[7]
    assert first[0].value == '=HYPERLINK("http://x")' and first[0].data_type == "s"
    assert first[1].value == datetime(2025, 11, 1) and first[1].number_format == "mmm-yy"
    assert first[2].value == 1234.5 and first[2].number_format == "#,##0"
    assert first[3].value == 99.125 and first[3].number_format == '"$"#,##0.00'
    assert first[4].value == 0.1234 and first[4].number_format == "0.0%"
    assert first[5].value == datetime(2026, 11, 20, 9, 30)
    assert first[5].number_format == "yyyy-mm-dd hh:mm"
    assert first[6].value == 3 and first[6].number_format == "#,##0"
    second = ws[8]
    assert second[0].value == "+Acme" and second[0].data_type == "s"
    assert second[2].value is None and second[3].value is None  # NaN left empty

    total = ws[9]
    assert total[0].value == "Total" and total[0].font.bold
    assert total[2].value == 1234.5 and total[2].font.bold
    assert total[2].number_format == "#,##0" and total[3].number_format == '"$"#,##0.00'

    about = workbook["About"]
    texts = [row[0].value for row in about.iter_rows() if row[0].value]
    assert texts[0] == "Forecast summary"
    assert "Cases are cases." in texts
    assert "By customer: 2 rows" in texts


def test_rep_scope_empty_sheet_and_sheet_names(app_context, make_user, tmp_path):
    rep = make_user("sales_rep", full_name="Rita Rep")
    ctx = context(rep, tmp_path)
    book = ReportBook(ctx, "Submission status", [])
    book.sheet("By rep/month: [all]", [ReportColumn("Rep")])
    book.sheet("By rep/month: [all]", [ReportColumn("Rep")])
    book.sheet("About", [ReportColumn("Rep")])
    book.save()
    workbook = load_workbook(ctx.path)
    assert workbook.sheetnames == ["By rep month   all", "By rep month   all (2)",
                                   "About (2)", "About"]
    ws = workbook["By rep month   all"]
    assert ws.freeze_panes == "B7"
    assert ws["A2"].value == "Filters: none"
    assert ws["A3"].value == "Scope: Rita Rep (own customers only)"
    assert ws["A7"].value == "No data matches these filters."


def test_unknown_column_kind_is_refused():
    with pytest.raises(ValueError, match="Unknown column kind"):
        ReportColumn("Cases", "kases")


def test_data_rows_reuse_column_cells_without_mixing_values_or_formats(tmp_path):
    """Data rows written through one format per column (sop.excel.sheets.Columns), read
    back: each row keeps its own values, text stays text (formula-looking, error-looking,
    markup, edge spaces; control characters dropped), formulas stay formulas, NaN and
    infinity are empty, a date in a money column shows as a date and the rows after it keep
    the money format, and rows appended the usual way land in order."""
    from sop.excel.sheets import Book, Formula, Sheet, Styles

    path = tmp_path / "rows.xlsx"
    book = Book(path)
    styles = Styles(book)
    styles.style("money", number_format='"$"#,##0.00')
    sheet = Sheet(book, styles, "Rows")
    sheet.append(["usual first"])
    columns = sheet.columns([None, "money", "money", None])
    sheet.add([" <b>&amp; \"x\" ", 1.5, Formula("=B2*2"), "a\x01b"], columns)
    sheet.add(["=1+1", "#N/A", float("nan"), float("inf")], columns)
    sheet.add(["@sum", datetime(2026, 1, 31, 12, 0, tzinfo=UTC), 2.25, True], columns)
    sheet.append(["usual after"])
    for number in range(3):
        sheet.add([number, number * 10.0], columns)
    book.close()

    ws = load_workbook(path)["Rows"]
    assert ws["A1"].value == "usual first"
    first, second, third = ws[2], ws[3], ws[4]
    assert first[0].value == " <b>&amp; \"x\" "
    assert first[1].value == 1.5 and first[1].number_format == '"$"#,##0.00'
    assert first[2].value == "=B2*2" and first[2].data_type == "f"
    assert first[2].number_format == '"$"#,##0.00'
    assert first[3].value == "ab"
    assert second[0].value == "=1+1" and second[0].data_type == "s" and second[0].quotePrefix
    assert second[1].value == "#N/A" and second[1].data_type == "s"
    assert second[1].number_format == '"$"#,##0.00'
    assert second[2].value is None and second[3].value is None
    assert third[0].value == "@sum" and third[0].data_type == "s"
    assert third[1].value == datetime(2026, 1, 31, 12, 0) and third[1].is_date
    assert third[2].value == 2.25 and third[2].number_format == '"$"#,##0.00'
    assert third[3].value is True
    assert ws["A5"].value == "usual after"
    assert [(ws.cell(6 + n, 1).value, ws.cell(6 + n, 2).value) for n in range(3)] == [
        (0, 0), (1, 10), (2, 20)]
    assert all(ws.cell(6 + n, 2).number_format == '"$"#,##0.00' for n in range(3))
    assert ws.max_row == 8
