"""In a real browser, with a real worker process: the admin uploads a customer file, sees the
preview with one error, fixes the file, confirms, and finds the new customers."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_accounts_flow import sign_in
from tests.conftest import DEFAULT_PASSWORD
from tests.excel.builders import workbook_bytes

pytestmark = pytest.mark.browser
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def customer_file(rep_email: str) -> bytes:
    return workbook_bytes(("Customers", [
        ["Customer Code*", "Customer Name*", "S&OP Name", "Sales Rep Email", "Territory"],
        ["PATITO-000101", "Gulf Coast Produce LLC", "GULF COAST PRODUCE", "sam.patel@example.com",
         "South"],
        ["PATITO-000102", "Prairie Grocers Inc.", "PRAIRIE GROCERS", rep_email, "North"],
    ]))


def upload(page, data: bytes) -> None:
    page.goto("/imports")
    page.get_by_label("The file contains").select_option("customers")
    page.get_by_label("Workbook").set_input_files(
        files=[{"name": "customers.xlsx", "mimeType": XLSX, "buffer": data}])
    page.get_by_role("button", name="Upload and check").click()


def test_admin_imports_customers_after_fixing_one_error(make_user, new_page, worker_process):
    make_user("admin", email="avery@example.com", full_name="Avery Admin")
    make_user("sales_rep", email="sam.patel@example.com", full_name="Sam Patel")
    page = new_page()
    sign_in(page, "avery@example.com", DEFAULT_PASSWORD)

    upload(page, customer_file("nobody@example.com"))
    expect(page.get_by_text("Has errors")).to_be_visible(timeout=20_000)
    expect(page.get_by_text("No active sales rep has this e-mail")).to_be_visible()
    expect(page.get_by_role("cell", name="nobody@example.com")).to_be_visible()
    expect(page.get_by_role("button", name="Apply the changes")).to_have_count(0)

    upload(page, customer_file("sam.patel@example.com"))
    expect(page.get_by_text("Ready to apply")).to_be_visible(timeout=20_000)
    expect(page.locator("dl.counts")).to_contain_text("To add2")
    page.get_by_role("button", name="Apply the changes").click()
    expect(page.get_by_text("Applied by Avery Admin")).to_be_visible(timeout=20_000)

    page.get_by_role("link", name="Customers").first.click()
    expect(page.locator("#customer-results")).to_contain_text("GULF COAST PRODUCE")
    expect(page.locator("#customer-results")).to_contain_text("PRAIRIE GROCERS")
