"""flask import-workbook / export-workbook / export-consolidated: the service path from the
command line, with figures checked by hand."""

from __future__ import annotations

import json

import pytest
from mongoengine.connection import get_db
from openpyxl import load_workbook

from sop.excel.rep_workbook import SheetLine, write_rep_workbook
from sop.models import AuditEntry, Customer, ForecastLine, Product, WorkbookUpload
from sop.workbooks.download import workbook_plan


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()

    def run(*args: str):
        return runner.invoke(args=[str(a) for a in args])
    return run


@pytest.fixture
def exported(company, cli, tmp_path):
    path = tmp_path / "Consolidated Master File SOP_Nov26 - JR.xlsx"
    result = cli("export-workbook", "--rep", "jane@example.com", "--cycle", "2026-11", path)
    assert result.exit_code == 0, result.output
    return path


def test_export_then_import_with_hand_checked_figures(company, cli, exported, app):
    result = cli("import-workbook", exported, "--rep", "jane@example.com", "--cycle", "2026-11",
                 "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    total = summary["total"]
    ginger_dollars = sum((2.5 + 0.25 * i) * (20 + 0.5 * i) for i in range(12))  # 1,075.75
    assert ginger_dollars == 1075.75
    assert total["lines_kept"] == 4 and total["new_item_lines"] == 1
    # garlic 10..21, ginger 2.5..5.25, shallot 100 x 12, resale jar 1..12
    assert total["cases_m1_m12"] == 186 + 46.5 + 1200 + 78
    assert total["cases_m1_m16"] == 280 + 70 + 1600 + 136
    # entered: garlic 10 x 10.00 + 11 x 10.50 (later months blank), ginger, jar 1 x 5.00
    assert total["revenue_m1_m12_entered"] == 100 + 115.5 + 1075.75 + 5
    # effective: garlic's later months at 10.50, shallot at Acme's price 30, jar at 5.00
    assert total["revenue_m1_m12_effective"] == 100 + 176 * 10.5 + 1075.75 + 1200 * 30 + 78 * 5
    acme = next(s for s in summary["sheets"] if s["sheet"] == "ACME & SONS")
    assert (acme["lines_kept"], acme["new_item_lines"], acme["cases_m1_m12"]) == (2, 1, 1278)
    assert acme["revenue_m1_m12_effective"] == 36000 + 390
    assert total["unchanged"] == 4 and summary["applied"]
    with app.app_context():
        assert AuditEntry.objects(action="workbook_imported").count() == 1
        assert AuditEntry.objects(action="workbook_imported").first().actor_email is None


def write_edited(company, app, path, edit):
    with app.app_context():
        plan = workbook_plan(company.cycle, company.rep)
        edit(plan)
        path.write_bytes(write_rep_workbook(plan))


def test_dry_run_writes_nothing(company, cli, app, tmp_path):
    path = tmp_path / "edited.xlsx"

    def edit(plan):
        plan.customers[1].name = "SOMEONE NEW"
        for line in plan.customers[0].lines:
            line.qty = [q * 3 for q in line.qty]

    write_edited(company, app, path, edit)
    with app.app_context():
        before = company.lines()
        audits = AuditEntry.objects.count()
    result = cli("import-workbook", path, "--rep", "jane@example.com", "--cycle", "2026-11",
                 "--dry-run", "--create-missing")
    assert result.exit_code == 0, result.output
    assert "Checked (dry run, nothing written)" in result.output
    assert "would be created" in result.output
    # Bayou has no sheet any more: its lines stay as they are (a new customer gets them)
    assert "Lines added 2, changed 2, removed 0, unchanged 0" in result.output
    with app.app_context():
        assert company.lines() == before
        assert not Customer.objects(sop_name="SOMEONE NEW")
        assert WorkbookUpload.objects.count() == 0 and AuditEntry.objects.count() == audits
        assert get_db()["workbook_files.files"].count_documents({}) == 0


def test_unknown_sheets_and_items_refused_or_created(company, cli, app, tmp_path):
    path = tmp_path / "new.xlsx"

    def edit(plan):
        plan.customers[0].name = "BRAND NEW MARKET"
        plan.customers[0].lines.append(SheetLine("170001", "Garlic Chips", 2, [4.0] * 16,
                                                 [8.0] * 16, new_item=True))

    write_edited(company, app, path, edit)
    refused = cli("import-workbook", path, "--rep", "jane@example.com", "--cycle", "2026-11")
    assert refused.exit_code == 1
    assert "Refused" in refused.output and "Unknown item code" in refused.output
    assert "No customer of Jane Roe is named \"BRAND NEW MARKET\"" in refused.output

    created = cli("import-workbook", path, "--rep", "jane@example.com", "--cycle", "2026-11",
                  "--create-missing", "--json")
    assert created.exit_code == 0, created.output
    summary = json.loads(created.output)
    assert summary["created_items"] == ["170001"] and summary["created_customers"]
    with app.app_context():
        customer = Customer.objects.get(sop_name="BRAND NEW MARKET")
        assert customer.sales_rep == company.rep
        chips = Product.objects.get(item_code="170001")
        assert chips.description == "Garlic Chips"
        line = ForecastLine.objects.get(customer=customer, product=chips)
        assert line.new_item and line.qty == [4.0] * 16 and line.source == "excel"


def test_export_consolidated(company, cli, app, tmp_path, make_line):
    make_line(company.cycle, company.other, company.elsewhere, company.ginger, qty=[7] * 16)
    path = tmp_path / "consolidated.xlsx"
    result = cli("export-consolidated", "--cycle", "2026-11", path)
    assert result.exit_code == 0, result.output
    rows = list(load_workbook(path, read_only=True)["Consol"].iter_rows(min_row=2,
                                                                        values_only=True))
    keys = [(r[0], r[1], str(r[2])) for r in rows if r[0]]
    assert keys == [("Jane Roe", "ACME & SONS", "110003"), ("Jane Roe", "BAYOU FOODS", "110001"),
                    ("Jane Roe", "BAYOU FOODS", "110002"), ("Jane Roe", "ACME & SONS", "150001"),
                    ("Omar Diaz", "OTHER CO", "110002")]  # new items last in a rep's block


def test_bad_arguments_are_explained(company, cli, tmp_path):
    path = tmp_path / "x.xlsx"
    path.write_bytes(b"not a workbook")
    assert "not a sales rep" in cli("import-workbook", path, "--rep", "nobody@example.com",
                                    "--cycle", "2026-11").output
    assert "There is no cycle 2030-01" in cli("import-workbook", path, "--rep",
                                              "jane@example.com", "--cycle", "2030-01").output
    result = cli("import-workbook", path, "--rep", "jane@example.com", "--cycle", "2026-11")
    assert result.exit_code == 1 and "not an Excel workbook" in result.output
