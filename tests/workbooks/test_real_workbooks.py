"""The company's own rep workbooks (shared/workbooks, read in place, never copied here) import
as they are: through the command line with --create-missing into an empty portal, and
through the upload page; their README's figures come back exactly, and a workbook generated
from the imported plan imports again without a change."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from sop.models import Customer, ForecastLine, Product, WorkbookUpload
from sop.workbooks.download import generate_rep_workbook
from sop.workbooks.uploads import import_workbook
from tests.conftest import DEFAULT_PASSWORD, work_queues

REAL = Path(__file__).resolve().parents[3] / "shared" / "workbooks"
JR = REAL / "Consolidated Master File SOP_Nov25 - JR.xlsx"
DB = REAL / "Consolidated_Master File SOP_Nov25 - DB.xlsx"

# shared/workbooks/README.md: lines with volume, of which new items, cases M1-M12 and M1-M16,
# revenue M1-M12 at the sheet's own prices, customer sheets
FIGURES = {
    JR: {"lines": 43, "new": 3, "cases12": 72_276, "cases16": 93_777, "revenue": 3_552_597.00,
         "sheets": 30},
    DB: {"lines": 79, "new": 6, "cases12": 518_730, "cases16": 664_540,
         "revenue": 16_362_058.00, "sheets": 27},
}
CUSTOMERS = {  # sheet: (lines, cases M1-M12, revenue M1-M12)
    JR: {"Regal Marketing": (6, 8_248, 394_760.00), "Riviera": (6, 9_036, 444_648.00),
         "Better Butter": (1, 1_152, 132_480.00), "Full Harvest": (0, 0, 0.0)},
    DB: {"Cheney Brothers": (12, 56_624, 3_025_085.00),
         "Leasa Industries": (2, 267_360, 3_181_830.00)},
}


def real(path: Path) -> bytes:
    assert path.exists(), f"the company's workbooks are expected in {REAL}"
    return path.read_bytes()


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()

    def run(*args: str) -> dict:
        result = runner.invoke(args=[str(a) for a in args])
        assert result.exit_code == 0, result.output
        return json.loads(result.output)
    return run


@pytest.fixture
def portal(make_user, make_cycle):
    """An empty portal: one rep, the Nov-25 cycle open, no customers or items yet."""
    rep = make_user("sales_rep", email="rep@example.com", full_name="Jo Rivera")
    cycle = make_cycle("2025-11")
    return rep, cycle


@pytest.mark.parametrize("path", [JR, DB], ids=["JR", "DB"])
def test_the_command_line_imports_a_real_workbook_with_its_own_figures(cli, portal, path, app):
    rep, _ = portal
    dry = cli("import-workbook", path, "--rep", rep.email, "--cycle", "2025-11",
              "--create-missing", "--dry-run", "--json")
    summary = cli("import-workbook", path, "--rep", rep.email, "--cycle", "2025-11",
                  "--create-missing", "--json")
    expected = FIGURES[path]
    for result in (dry, summary):
        assert result["errors"] == 0, [p for p in result["problems"] if p["severity"] == "error"]
        total = result["total"]
        assert len(result["sheets"]) == expected["sheets"]
        assert total["lines_kept"] == expected["lines"]
        assert total["new_item_lines"] == expected["new"]
        assert total["cases_m1_m12"] == expected["cases12"]
        assert total["cases_m1_m16"] == expected["cases16"]
        assert total["revenue_m1_m12_entered"] == pytest.approx(expected["revenue"], abs=0.005)
        by_sheet = {s["sheet"].strip(): s for s in result["sheets"]}
        for sheet, (lines, cases, revenue) in CUSTOMERS[path].items():
            figures = by_sheet[sheet]
            assert (figures["lines_kept"], figures["cases_m1_m12"]) == (lines, cases), sheet
            assert figures["revenue_m1_m12_entered"] == pytest.approx(revenue, abs=0.005)
    assert summary["applied"] and not dry["applied"]
    with app.app_context():
        assert ForecastLine.objects(rep=rep).count() == expected["lines"]
        assert ForecastLine.objects(rep=rep, new_item=True).count() == expected["new"]
        assert Customer.objects(sales_rep=rep).count() == expected["sheets"]


def test_a_new_item_line_keeps_its_description_and_flag(cli, portal, app):
    rep, _ = portal
    cli("import-workbook", JR, "--rep", rep.email, "--cycle", "2025-11", "--create-missing",
        "--json")
    with app.app_context():
        butter = Customer.objects.get(sop_name="Better Butter")
        (line,) = ForecastLine.objects(customer=butter)
        assert line.new_item and line.product.item_code == "130042"
        assert line.product.description == "Fresh Chopped Garlic 34LB Pail"
        assert line.qty[:12] == [96.0] * 12 and line.price[0] == 115.0


def test_the_preview_says_what_was_not_read_and_why(portal, app):
    rep, cycle = portal
    with app.app_context():
        result = import_workbook(None, cycle, rep, DB.name, real(DB), create_missing=True,
                                 dry_run=True)
    notes = [p for p in result["problems"] if p["severity"] == "note"]
    cheney = next(p["message"] for p in notes if p["sheet"] == "Cheney Brothers")
    assert "a separate table 'Monthly Quantity Split 2022', not read" in cheney
    assert "a price but no quantity" in cheney  # row 40: a price, no volume
    assert result["notes"] == len(notes) and result["errors"] == 0


def test_round_trip_generate_from_the_imported_plan_and_import_again(cli, portal, app):
    rep, cycle = portal
    cli("import-workbook", JR, "--rep", rep.email, "--cycle", "2025-11", "--create-missing",
        "--json")

    def plan() -> dict:
        return {(line.customer.sop_name, line.product.item_code):
                (line.qty, line.price, line.probability, line.new_item)
                for line in ForecastLine.objects(rep=rep)}

    with app.app_context():
        before = plan()
        data = generate_rep_workbook(None, cycle, rep)
        again = import_workbook(None, cycle, rep, "again.xlsx", data)
        assert again["errors"] == 0
        total = again["total"]
        assert total["lines_kept"] == 43 and total["unchanged"] == 43
        assert (total["added"], total["changed"], total["removed"]) == (0, 0, 0)
        assert plan() == before
        assert len(before) == 43


def test_the_upload_page_previews_and_imports_a_real_workbook(client, login, portal, app,
                                                               make_user):
    rep, cycle = portal
    admin = make_user("admin")
    with app.app_context():  # the customers and items exist, as after a master-data import
        seeded = import_workbook(None, cycle, rep, DB.name, real(DB), create_missing=True)
        assert seeded["applied"]
        ForecastLine.objects(rep=rep).delete()  # an empty plan again; customers, items stay
        items = Product.objects.count()
    assert login(admin, DEFAULT_PASSWORD).status_code == 302
    form = {"csrf_token": client.csrf_token("/workbooks"), "cycle": str(cycle.pk),
            "rep": str(rep.pk), "file": (io.BytesIO(real(DB)), DB.name)}
    response = client.post("/workbooks/upload", data=form, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    waiting = client.get(response.location).get_data(as_text=True)
    assert "Reading the workbook" in waiting and 'hx-trigger="every 1s"' in waiting
    work_queues(app, "imports")  # the imports worker reads it
    page = client.get(response.location).get_data(as_text=True)
    assert "The file is valid" in page and "Nothing can be imported" not in page
    assert "<h2>Errors" not in page
    assert "Monthly Quantity Split 2022" in page  # the note on what was not read
    record = WorkbookUpload.objects(status="previewed").get()
    assert record.counts["kept"] == 79 and record.counts["errors"] == 0
    assert record.counts["cases_after"] == 518_730
    client.post_form(f"/workbooks/uploads/{record.pk}/confirm", token_from="/workbooks")
    assert record.reload().status == "applied"
    with app.app_context():
        assert ForecastLine.objects(rep=rep).count() == 79
        assert Product.objects.count() == items


def test_both_reps_imported_then_the_consolidated_plan_holds_every_line(app, make_user,
                                                                        make_cycle, tmp_path):
    """As the company checks a cycle: each rep's file imported from the command line, then
    `flask export-consolidated`: one Consol row per line, each rep's cases and revenue."""
    from openpyxl import load_workbook

    make_cycle("2025-11")
    reps = {JR: make_user("sales_rep", email="jr@example.com", full_name="Jo Rivera"),
            DB: make_user("sales_rep", email="db@example.com", full_name="Dana Brooks")}
    runner = app.test_cli_runner()
    for path, rep in reps.items():
        result = runner.invoke(args=["import-workbook", str(path), "--rep", rep.email,
                                     "--cycle", "2025-11", "--create-missing"])
        assert result.exit_code == 0, result.output
        assert "0 errors" in result.output
    out = tmp_path / "consol.xlsx"
    result = runner.invoke(args=["export-consolidated", "--cycle", "2025-11", str(out)])
    assert result.exit_code == 0, result.output
    sheet = load_workbook(out, read_only=True)["Consol"]
    rows = [r for r in sheet.iter_rows(min_row=2, values_only=True) if r[0]]
    for path, rep in reps.items():
        mine = [r for r in rows if r[0] == rep.full_name]
        assert len(mine) == FIGURES[path]["lines"]
        assert sum(sum(v or 0 for v in r[5:17]) for r in mine) == FIGURES[path]["cases12"]
        revenue = sum((q or 0) * (p or 0) for r in mine
                      for q, p in zip(r[5:17], r[18:30], strict=True))
        assert revenue == pytest.approx(FIGURES[path]["revenue"], abs=0.01)
