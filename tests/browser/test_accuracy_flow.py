"""In a real browser: a manager opens the Accuracy page from the menu, switches the lag and
the grouping, and the figures change in place (htmx fragment, address updated). The company
and its figures are tests/accuracy's golden ones (worked out in tests/accuracy/test_golden.py)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.accuracy.conftest import golden  # noqa: F401  (the fixture)
from tests.browser.test_accounts_flow import sign_in, wait_until_htmx_ready
from tests.conftest import DEFAULT_PASSWORD

pytestmark = pytest.mark.browser


def test_manager_switches_lag_and_grouping_on_the_accuracy_page(golden, make_user,  # noqa: F811
                                                                 new_page):
    make_user("manager", email="morgan@example.com", full_name="Morgan Manager")
    page = new_page()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    sign_in(page, "morgan@example.com", DEFAULT_PASSWORD)
    page.get_by_role("link", name="Accuracy").click()
    expect(page.get_by_role("heading", name="Forecast accuracy and value added")).to_be_visible()
    # lag 1: plan 120/520 = 23.1 %; three cycles in the trend table
    expect(page.locator("#plan-wmape")).to_have_text("23.1%")
    expect(page.locator("#trend-table tbody tr")).to_have_count(3)
    expect(page.locator("svg.line-chart")).to_be_visible()

    wait_until_htmx_ready(page, "form.filters")
    page.get_by_label("Lag", exact=True).select_option("3")
    # lag 3: Mar 2026 and Apr 2026 measured, plan (80 + 70) / (150 + 140) = 51.7 %
    expect(page.locator("#plan-wmape")).to_have_text("51.7%")
    expect(page.locator("#trend-table")).to_contain_text("not imported yet")
    assert "lag=3" in page.url

    page.get_by_label("Group by", exact=True).select_option("item")
    expect(page.locator("#fva-table thead")).to_contain_text("Item code")
    # lag 3, item 110001: |A-F| 100 of A 240 = 41.7 %, the largest error: first
    expect(page.locator("#fva-table tbody tr").first).to_contain_text("41.7%")
    expect(page.locator("#fva-table tbody tr").first).to_contain_text("110001")
    assert errors == []
