"""In a real browser: an admin creates a cycle, opens it and closes it from its page; the
status panel changes in place (htmx) and a refused transition explains itself."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_accounts_flow import sign_in, wait_until_htmx_ready
from tests.conftest import DEFAULT_PASSWORD

pytestmark = pytest.mark.browser


def test_admin_creates_opens_and_closes_a_cycle(make_user, make_customer, new_page):
    make_user("admin", email="avery@example.com", full_name="Avery Admin")
    make_customer(make_user("sales_rep"))
    page = new_page()
    console_errors = []
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    page.on("dialog", lambda dialog: dialog.accept())  # the hx-confirm questions
    sign_in(page, "avery@example.com", DEFAULT_PASSWORD)

    page.get_by_role("link", name="Cycles").click()
    page.get_by_role("link", name="New cycle").click()
    page.get_by_label("Cycle month").fill("2025-11")
    page.get_by_label("Close date (deadline)").fill("2025-11-20")
    page.get_by_role("button", name="Create cycle").click()
    expect(page.get_by_role("heading", name="Nov 2025 2025-11")).to_be_visible()
    status = page.locator("#cycle-status")
    expect(status).to_contain_text("Draft")
    expect(page.locator("#cycle-progress")).to_contain_text("1 rep with customers")

    wait_until_htmx_ready(page, "#cycle-status form")
    url = page.url
    status.get_by_role("button", name="Open").click()
    expect(status.locator(".badge")).to_have_text("Open")
    assert page.url == url  # swapped in place, no navigation

    wait_until_htmx_ready(page, "#cycle-status form")
    status.get_by_role("button", name="Close").click()
    expect(status.locator(".badge")).to_have_text("Closed")
    expect(page.locator("#cycle-progress")).to_contain_text(re.compile(r"Missed\s*1"))

    page.get_by_role("link", name="← Cycles").click()
    expect(page.locator("tbody tr")).to_have_count(1)
    expect(page.locator("tbody tr .badge")).to_have_text("Closed")
    assert console_errors == []


def test_a_refused_open_shows_the_reason_in_the_row(make_user, make_cycle, new_page):
    make_user("admin", email="avery@example.com", full_name="Avery Admin")
    make_cycle("2025-10", status="open")
    make_cycle("2025-11", status="draft")
    page = new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    sign_in(page, "avery@example.com", DEFAULT_PASSWORD)
    page.goto("/cycles")
    row = page.locator("tr", has_text="Nov 2025")
    wait_until_htmx_ready(page, "tbody form")
    row.get_by_role("button", name="Open").click()
    expect(page.locator("tr", has_text="Nov 2025").get_by_role("alert")).to_have_text(
        "Cycle Oct 2025 is open: close it before opening another.")
    expect(page.locator("tr", has_text="Nov 2025").locator(".badge")).to_have_text("Draft")
