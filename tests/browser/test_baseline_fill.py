"""Fill from baseline in a real browser: the rep types a month of a line, then fills the rest
of that line from its baseline (the version the page compares with follows the typing, so
this is no conflict), confirms, and the grid is swapped in place, typed month kept; then the
customer's other blank line."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from sop.models import AuditEntry, BaselineLine, ForecastLine
from tests.browser.test_accounts_flow import sign_in, wait_until_htmx_ready
from tests.conftest import DEFAULT_PASSWORD

pytestmark = pytest.mark.browser


def test_fill_a_line_then_the_customer_from_the_baseline(make_user, make_customer,
                                                         make_product, make_price, make_cycle,
                                                         make_line, new_page):
    rep = make_user("sales_rep", email="rita@example.com", full_name="Rita Rep")
    customer = make_customer(rep, sop_name="ACME FOODS")
    garlic = make_product("110001", "Peeled Garlic", list_price=4.0)
    shallot = make_product("110002", "Diced Shallots", list_price=3.0)
    make_price(customer, garlic, 5.0)
    make_price(customer, shallot, 2.0)
    cycle = make_cycle("2026-11")
    line = make_line(cycle, rep, customer, garlic, qty=[10.0])
    BaselineLine(cycle=cycle, customer=customer, product=garlic, qty=[8.0] * 16,
                 method="ets", error=9.0).save()
    BaselineLine(cycle=cycle, customer=customer, product=shallot, qty=[2.5] * 16,
                 method="croston", error=40.0).save()

    page = new_page()
    dialogs: list[str] = []

    def accept(dialog) -> None:
        dialogs.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    sign_in(page, "rita@example.com", DEFAULT_PASSWORD)
    page.goto(f"/forecast?customer={customer.pk}")
    wait_until_htmx_ready(page, "#grid input.cell")
    page.evaluate("() => { window.notReloaded = true; }")
    expect(page.locator(f"#b-{garlic.pk}")).to_contain_text("ets · error 9 %")

    cell = page.get_by_label("110001 M2 cases")
    cell.fill("12")
    cell.press("Tab")
    expect(page.locator(f"#tq-{garlic.pk}")).to_have_text("22")
    baseline_row = page.locator(f"#b-{garlic.pk}")
    baseline_row.get_by_role("button", name="Fill 110001 from its baseline").click()

    expect(page.get_by_role("status").filter(has_text="filled from the baseline")).to_have_text(
        "14 month(s) of 1 line(s) filled from the baseline.")
    assert "Fill the blank months of this line" in dialogs[0]
    expect(page.get_by_label("110001 M2 cases")).to_have_value("12")  # typed: kept
    expect(page.get_by_label("110001 M3 cases")).to_have_value("8")
    assert page.evaluate("() => window.notReloaded") is True
    assert ForecastLine.objects.get(id=line.pk).qty == [10, 12] + [8.0] * 14

    page.get_by_role("button", name="Fill this customer's blank months from the baseline") \
        .click()
    expect(page.get_by_label("110002 M1 cases")).to_have_value("2.5")
    assert page.evaluate("() => window.notReloaded") is True
    assert ForecastLine.objects.get(customer=customer, product=shallot).qty == [2.5] * 16
    assert AuditEntry.objects(action="forecast_line_updated",
                              message__contains="filled from the baseline").count() == 2
