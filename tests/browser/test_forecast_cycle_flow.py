"""In a real browser, the forecast cycle end to end: a rep fills the last blank month in the
grid and submits; a manager rejects the plan inline with a comment; the rep reads the comment,
fixes a month and submits again; the manager approves. Every review swaps the board row in
place, without a page load."""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import expect

from sop.models import ForecastLine, Submission
from tests.browser.test_accounts_flow import sign_in, wait_until_htmx_ready
from tests.conftest import DEFAULT_PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def cycle_with_a_plan(make_user, make_customer, make_product, make_price, make_cycle,
                      make_line):
    """Nov 2026 is open; Rita's only line (ACME, garlic) has M1-M11 at 10 cases, M12 blank."""
    rep = make_user("sales_rep", email="rita@example.com", full_name="Rita Rep")
    make_user("manager", email="mona@example.com", full_name="Mona Manager")
    acme = make_customer(rep, sop_name="ACME FOODS")
    garlic = make_product("110001", "Peeled Garlic", list_price=4.0)
    make_price(acme, garlic, 5.0)
    cycle = make_cycle("2026-11", close_date=date(2099, 11, 20))
    line = make_line(cycle, rep, acme, garlic, qty=[10.0] * 11)
    return {"rep": rep, "cycle": cycle, "line": line}


def type_cell(page, label: str, value: str) -> None:
    """Type a quantity and leave the cell, as a person does: the grid saves on change."""
    cell = page.get_by_label(label)
    cell.fill(value)
    cell.press("Tab")


def submit_from_dashboard(page) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()
    wait_until_htmx_ready(page, "#plan-panel form")
    page.get_by_role("button", name="Submit my plan").click()


def board_row(page, rep):
    return page.locator(f"#board-rep-{rep.pk}")


def test_rep_submits_manager_rejects_rep_fixes_and_resubmits_manager_approves(
        cycle_with_a_plan, new_page):
    rep = cycle_with_a_plan["rep"]
    errors: list[str] = []

    # The rep: the dashboard names the blank month; submitting is refused until it is filled.
    rita = new_page()
    rita.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    sign_in(rita, "rita@example.com", DEFAULT_PASSWORD)
    panel = rita.locator("#plan-panel")
    expect(panel).to_contain_text("Customers with missing months")
    expect(panel).to_contain_text("110001 Peeled Garlic: Oct 2027")
    wait_until_htmx_ready(rita, "#plan-panel form")
    rita.get_by_role("button", name="Submit my plan").click()
    expect(rita.get_by_role("alert")).to_contain_text("1 line still misses mandatory months")

    panel.get_by_role("link", name="ACME FOODS").click()
    wait_until_htmx_ready(rita, "#grid input.cell")
    type_cell(rita, "110001 M12 cases", "12")
    expect(rita.locator("#grid-summary")).to_contain_text("122 cases")
    submit_from_dashboard(rita)
    expect(panel.locator(".badge")).to_have_text("Submitted")
    expect(panel.get_by_role("link", name="See your submission")).to_be_visible()

    # The manager rejects inline: a comment is required, the row changes in place.
    mona = new_page()
    mona.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    sign_in(mona, "mona@example.com", DEFAULT_PASSWORD)
    mona.get_by_role("navigation", name="Main").get_by_role("link", name="Submissions").click()
    row = board_row(mona, rep)
    expect(row.locator(".badge")).to_have_text("Submitted")
    expect(row).to_contain_text("122")
    wait_until_htmx_ready(mona, f"#board-rep-{rep.pk} button.danger")
    mona.evaluate("window.stillTheSamePage = true")
    row.get_by_role("button", name="Reject").click()
    expect(board_row(mona, rep).get_by_role("alert")).to_have_text(
        "Write a comment: the rep needs to know what to fix.")
    row = board_row(mona, rep)
    wait_until_htmx_ready(mona, f"#board-rep-{rep.pk} button.danger")
    row.get_by_label("Comment for Rita Rep").fill("May is too low for ACME: add the promo")
    row.get_by_role("button", name="Reject").click()
    expect(board_row(mona, rep).locator(".badge")).to_have_text("Rejected")
    expect(board_row(mona, rep)).to_contain_text("Rejected by Mona Manager")
    expect(mona.locator('#board-summary dd[data-status="rejected"]')).to_have_text("1")
    assert mona.evaluate("window.stillTheSamePage") is True  # no page load

    # The rep reads the comment, fixes May in the grid and submits again.
    rita.reload()
    expect(panel.locator(".badge")).to_have_text("Rejected")
    expect(panel).to_contain_text("Rejected by Mona Manager")
    expect(panel).to_contain_text("May is too low for ACME: add the promo")
    panel.get_by_role("link", name="Open your plan").click()
    wait_until_htmx_ready(rita, "#grid input.cell")
    type_cell(rita, "110001 M7 cases", "25")
    expect(rita.locator("#grid-summary")).to_contain_text("137 cases")
    submit_from_dashboard(rita)
    expect(panel.locator(".badge")).to_have_text("Submitted")

    # The manager approves; the row swaps in place again.
    mona.reload()
    row = board_row(mona, rep)
    expect(row.locator(".badge")).to_have_text("Submitted")
    expect(row).to_contain_text("137")
    wait_until_htmx_ready(mona, f"#board-rep-{rep.pk} button.primary")
    mona.evaluate("window.stillTheSamePage = true")
    row.get_by_role("button", name="Approve").click()
    expect(board_row(mona, rep).locator(".badge")).to_have_text("Approved")
    assert mona.evaluate("window.stillTheSamePage") is True

    # The timeline on the submission tells the whole story.
    board_row(mona, rep).get_by_role("link", name="Rita Rep").click()
    timeline = mona.locator("ol.timeline li")
    expect(timeline).to_have_count(4)
    expect(timeline.nth(0)).to_contain_text("Approved")
    expect(timeline.nth(1)).to_contain_text("Submitted")
    expect(timeline.nth(2)).to_contain_text("May is too low for ACME: add the promo")
    expect(timeline.nth(2)).to_contain_text("Mona Manager")

    line = ForecastLine.objects.get(id=cycle_with_a_plan["line"].pk)
    assert line.qty[:12] == [10.0] * 6 + [25.0] + [10.0] * 4 + [12.0]
    submission = Submission.objects.get(rep=rep.pk)
    assert [event.status for event in submission.history] == [
        "submitted", "rejected", "submitted", "approved"]
    assert submission.totals["cases"] == 137.0
    # The two refusals (submit with a blank month, reject without a comment) answered 422;
    # nothing else went wrong in either page.
    assert [e for e in errors if "status of 422" not in e] == []
    assert len(errors) == 2
