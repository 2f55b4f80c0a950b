"""In a real browser: a rep downloads their workbook, uploads it back with a renamed sheet,
maps the sheet to their customer inline, confirms, and the plan holds the file's numbers."""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import expect

from sop.excel.rep_workbook import write_rep_workbook
from sop.workbooks.download import workbook_plan
from tests.browser.test_accounts_flow import sign_in
from tests.conftest import DEFAULT_PASSWORD
from tests.workbooks.conftest import company  # noqa: F401 - the fixture

pytestmark = pytest.mark.browser
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_rep_downloads_uploads_maps_a_sheet_and_confirms(app, company, new_page,  # noqa: F811
                                                         worker_process):
    page = new_page()
    sign_in(page, "jane@example.com", DEFAULT_PASSWORD)
    page.get_by_role("link", name="Workbook").click()
    expect(page.get_by_role("heading", name="Rep workbook")).to_be_visible()
    if os.environ.get("SOP_SCREENSHOTS"):
        page.screenshot(path=os.path.join(os.environ["SOP_SCREENSHOTS"], "index.png"),
                        full_page=True)
    with page.expect_download() as download:
        page.get_by_role("link", name="Consolidated Master File SOP_Nov26 - JR.xlsx").click()
    assert download.value.suggested_filename == "Consolidated Master File SOP_Nov26 - JR.xlsx"

    with app.app_context():
        plan = workbook_plan(company.cycle, company.rep)
    bayou = next(s for s in plan.customers if s.name == "BAYOU FOODS")
    bayou.name = "Bayou Foods Co"
    bayou.lines[0].qty[0] = 55.0
    page.get_by_label("Workbook (.xlsx, .xlsb, .xls or .ods").set_input_files(files=[{
        "name": "Consolidated Master File SOP_Nov26 - JR.xlsx", "mimeType": XLSX,
        "buffer": write_rep_workbook(plan)}])
    page.get_by_role("button", name="Upload and preview").click()

    expect(page.get_by_text("no customer", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Confirm: import")).to_have_count(0)
    page.get_by_label("Customer for sheet Bayou Foods Co").select_option(
        label=f"BAYOU FOODS ({company.bayou.code})")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_text("the sheet name becomes an alias")).to_be_visible()
    if os.environ.get("SOP_SCREENSHOTS"):
        page.screenshot(path=os.path.join(os.environ["SOP_SCREENSHOTS"], "preview.png"),
                        full_page=True)
    page.get_by_role("button", name="Confirm: import 2 customer sheets").click()
    expect(page.get_by_text("imported into Jane Roe's plan")).to_be_visible()
    assert company.lines()[("BAYOU FOODS", "110001")]["qty"][0] == 55.0


def test_an_admin_uploads_a_real_workbook_reads_the_notes_and_confirms(app, new_page,
                                                                       make_user, make_cycle,
                                                                       worker_process):
    """The company's own DB workbook, as the rep sent it, into a plan whose customers and
    items exist: read by the worker while the page waits, previewed with its notes,
    confirmed, 79 lines."""
    from sop.models import ForecastLine
    from sop.workbooks.uploads import import_workbook
    from tests.workbooks.test_real_workbooks import DB, real

    rep = make_user("sales_rep", email="db@example.com", full_name="Dana Brooks")
    admin = make_user("admin", email="boss@example.com")
    cycle = make_cycle("2025-11")
    with app.app_context():  # customers and items, as a master-data import makes them
        import_workbook(None, cycle, rep, DB.name, real(DB), create_missing=True)
        ForecastLine.objects(rep=rep).delete()
    page = new_page()
    sign_in(page, admin.email, DEFAULT_PASSWORD)
    page.get_by_role("link", name="Workbook").click()
    page.get_by_label("Workbook (.xlsx, .xlsb, .xls or .ods").set_input_files(files=[{
        "name": DB.name, "mimeType": XLSX, "buffer": real(DB)}])
    page.get_by_label("Into the plan of").select_option(label="Dana Brooks (DB)")
    page.get_by_role("button", name="Upload and preview").click()
    expect(page.get_by_text("The file is valid")).to_be_visible()
    expect(page.get_by_role("heading", name="Notes")).to_be_visible()
    expect(page.get_by_text("a separate table 'Monthly Quantity Split 2022', not read").first
           ).to_be_visible()
    page.get_by_role("button", name="Confirm: import 27 customer sheets").click()
    expect(page.get_by_text("imported into Dana Brooks's plan")).to_be_visible()
    with app.app_context():
        assert ForecastLine.objects(rep=rep).count() == 79
