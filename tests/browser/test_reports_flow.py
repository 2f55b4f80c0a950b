"""In a real browser, with a real worker process: a manager picks the forecast summary and a
cycle, generates it, watches it wait for and go through the worker, downloads it and finds the
plan's total in the file."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.browser.test_accounts_flow import sign_in, wait_until_htmx_ready
from tests.conftest import DEFAULT_PASSWORD

pytestmark = pytest.mark.browser


def shot(page, name: str) -> None:
    if os.environ.get("SOP_SCREENSHOTS"):
        page.screenshot(path=os.path.join(os.environ["SOP_SCREENSHOTS"], f"reports-{name}.png"),
                        full_page=True)


def test_manager_generates_watches_and_downloads_a_report(request, make_user, make_customer,
                                                          make_product, make_cycle, make_line,
                                                          new_page):
    make_user("manager", email="morgan@example.com", full_name="Morgan Manager")
    rep = make_user("sales_rep", full_name="Jane Roe")
    cycle = make_cycle("2026-11")
    garlic, shallot = make_product(), make_product()
    make_line(cycle, rep, make_customer(rep), garlic, qty=[10, 20, 30], price=[4, 4, 4])
    make_line(cycle, rep, make_customer(rep), shallot, qty=[5], price=[2.5])

    page = new_page()
    sign_in(page, "morgan@example.com", DEFAULT_PASSWORD)
    page.get_by_role("link", name="Reports").click()
    wait_until_htmx_ready(page, "select#kind")
    page.get_by_label("Report").select_option(label="Forecast summary")
    expect(page.get_by_text("A cycle's plan by rep, customer, group")).to_be_visible()
    page.get_by_label("Cycle").select_option(label="Nov 2026 (open)")
    shot(page, "form")
    page.get_by_role("button", name="Generate").click()

    status = page.locator(".report-status")
    expect(status).to_contain_text("Waiting for a worker")  # no worker yet: it waits
    expect(status.locator("progress")).to_be_visible()
    shot(page, "waiting")
    request.getfixturevalue("worker_process")  # a worker starts: the poll shows it finish
    download_link = page.get_by_role("link", name="Download forecast-summary")
    expect(download_link).to_be_visible(timeout=90_000)  # the worker starts on a busy machine
    expect(status.locator("progress")).to_have_count(0)
    expect(page.locator("#recent-reports")).to_contain_text("Forecast summary")
    shot(page, "done")

    with page.expect_download() as download:
        download_link.click()
    data = Path(download.value.path()).read_bytes()
    sheet = load_workbook(io.BytesIO(data), read_only=True)["By month"]
    totals = {row[0]: row for row in sheet.iter_rows(values_only=True)
              if row and row[0] in ("M1-M12", "M1")}
    assert totals["M1"][2:4] == (15, 52.5)  # 10 cases at $4 + 5 at $2.50
    assert totals["M1-M12"][2:4] == (65, 252.5)  # (10 + 20 + 30) x $4 + 5 x $2.50
