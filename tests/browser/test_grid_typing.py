"""The grid in a real browser: type, Tab and keep typing while the previous cell saves; arrow
keys and Enter move across cells; totals follow; a cell changed elsewhere shows who changed
it; a line created by typing gets its History link at once; the price row opens and saves
like the quantities."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from sop.models import ForecastLine
from tests.browser.test_accounts_flow import sign_in, wait_until_htmx_ready
from tests.conftest import DEFAULT_PASSWORD

pytestmark = pytest.mark.browser


def test_typing_through_the_grid(make_user, make_customer, make_product, make_price,
                                 make_cycle, make_line, new_page):
    rep = make_user("sales_rep", email="rita@example.com", full_name="Rita Rep")
    other = make_user("sales_rep", email="olga@example.com", full_name="Olga Other")
    customer = make_customer(rep, sop_name="ACME FOODS")
    garlic = make_product("110001", "Peeled Garlic", list_price=4.0)
    shallot = make_product("110002", "Diced Shallots", list_price=3.0)
    make_price(customer, garlic, 5.0)
    make_price(customer, shallot, 2.0)
    cycle = make_cycle("2026-11")
    line = make_line(cycle, rep, customer, garlic, qty=[10.0, 10.0, 10.0])

    page = new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    sign_in(page, "rita@example.com", DEFAULT_PASSWORD)
    page.goto(f"/forecast?customer={customer.pk}")
    wait_until_htmx_ready(page, "#grid input.cell")

    # Type, Tab, and type on at once: the first save must not wipe the second cell.
    first = page.get_by_label("110001 M1 cases")
    first.evaluate("input => { input.dataset.before = 'save'; }")  # gone if it were replaced
    first.fill("11")
    first.press("Tab")
    expect(page.get_by_label("110001 M2 cases")).to_be_focused()
    page.keyboard.type("12")
    page.keyboard.press("Enter")  # saves M2, moves down to the shallot's M2
    expect(page.get_by_label("110002 M2 cases")).to_be_focused()
    page.keyboard.type("4")
    page.keyboard.press("ArrowUp")  # back into M2, maybe before its save has returned
    expect(page.get_by_label("110001 M2 cases")).to_be_focused()
    page.keyboard.type("15")  # the answer to the first save must not wipe this
    page.keyboard.press("Tab")
    expect(page.get_by_label("110001 M3 cases")).to_be_focused()
    expect(page.locator("#grid-summary")).to_contain_text("40 cases")  # 11 + 15 + 10 + 4
    expect(page.locator(f"#tq-{garlic.pk}")).to_have_text("36")
    expect(page.locator("#ft-cases")).to_contain_text("19")  # M2: 15 + 4
    assert ForecastLine.objects.get(id=line.pk).qty[:3] == [11, 15, 10]
    # A saved cell is updated in place (same input, one cell per month), not replaced.
    expect(first).to_have_attribute("data-before", "save")
    expect(first).to_have_attribute("hx-vals", '{"field":"qty","bucket":0,"was":"11"}')
    assert page.locator("table.grid .cv .cv").count() == 0
    assert ForecastLine.objects.get(customer=customer, product=shallot).qty[1] == 4
    # That save created the shallot's line: its History link is there without a reload.
    page.locator(f"#ll-{shallot.pk}").get_by_role("link", name="History").click()
    expect(page.locator("#line-history")).to_contain_text("from blank to 4")

    # Someone else changed M3 meanwhile (another session of the rep, say): no overwrite.
    ForecastLine.objects(id=line.pk).update(set__qty__2=30.0, set__updated_by=other,
                                            inc__version=1)
    third = page.get_by_label("110001 M3 cases")
    third.fill("13")
    third.press("Tab")
    expect(page.get_by_role("alert").filter(has_text="Changed by Olga Other")).to_be_visible()
    expect(third).to_have_value("30")
    assert ForecastLine.objects.get(id=line.pk).qty[2] == 30

    # Invalid input stays in the cell with its message; nothing is saved.
    fourth = page.get_by_label("110001 M4 cases")
    fourth.fill("-2")
    fourth.press("Tab")
    expect(page.get_by_role("alert").filter(has_text="cannot be negative")).to_be_visible()
    assert ForecastLine.objects.get(id=line.pk).qty[3] is None

    # The price row opens on demand and saves like a quantity.
    page.locator(f"#r-{garlic.pk}").get_by_role("button", name="$/case").click()
    price = page.get_by_label("110001 M1 price")
    expect(price).to_have_attribute("placeholder", "5.00")
    price.fill("6")
    price.press("Tab")
    # (11 + 15 + 30) cases, every month at 6: the later months carry the last price entered
    expect(page.locator(f"#td-{garlic.pk}")).to_have_text("$336")
    assert ForecastLine.objects.get(id=line.pk).price[0] == 6
    # the browser logs the refused saves (409, 422) as failed loads: they are the answers
    assert [e for e in errors if not e.startswith("Failed to load resource")] == []
