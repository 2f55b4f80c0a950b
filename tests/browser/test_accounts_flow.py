"""In a real browser: the admin signs in, creates a rep; the rep signs in and changes the
password; the new password is the one that works."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.conftest import DEFAULT_PASSWORD

pytestmark = pytest.mark.browser


def wait_until_htmx_ready(page, selector: str) -> None:
    """After a boosted navigation htmx wires new content up a moment later; a person never
    types that fast, a test does."""
    page.wait_for_function(
        "s => { const e = document.querySelector(s); "
        "return !!(e && e['htmx-internal-data'] && e['htmx-internal-data'].initHash); }",
        arg=selector)


def sign_in(page, email: str, password: str) -> None:
    page.goto("/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_admin_creates_a_rep_who_signs_in_and_changes_the_password(make_user, new_page):
    make_user("admin", email="avery@example.com", full_name="Avery Admin")
    make_user("sales_rep", email="sam.patel@example.com", full_name="Sam Patel")
    admin = new_page()
    console_errors = []
    admin.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)

    sign_in(admin, "avery@example.com", DEFAULT_PASSWORD)
    expect(admin.get_by_role("heading", name="Welcome, Avery Admin")).to_be_visible()

    admin.get_by_role("link", name="Users").first.click()
    wait_until_htmx_ready(admin, "form[role=search]")
    admin.get_by_label("Search").fill("sam")  # active search swaps only the results
    expect(admin.locator("#user-results")).to_contain_text("Sam Patel")
    expect(admin.locator("#user-results")).not_to_contain_text("Avery Admin")
    assert "q=sam" in admin.url

    admin.get_by_role("link", name="New user").click()
    admin.get_by_label("Full name").fill("Jordan Reyes")
    admin.get_by_label("E-mail (sign-in)").fill("jordan.reyes@example.com")
    admin.get_by_label("Role").select_option("sales_rep")
    admin.get_by_label("Generate a password (shown once)").check()
    admin.get_by_role("button", name="Create user").click()
    expect(admin.get_by_role("heading", name="User created")).to_be_visible()
    generated = admin.locator("#generated-password").inner_text().strip()
    assert len(generated) >= 10

    rep = new_page()
    sign_in(rep, "jordan.reyes@example.com", generated)
    expect(rep.get_by_role("heading", name="Welcome, Jordan Reyes")).to_be_visible()
    expect(rep.get_by_role("link", name="Users")).to_have_count(0)  # not for reps

    rep.get_by_role("link", name=re.compile("Jordan Reyes")).click()
    rep.get_by_label("Current password").fill(generated)
    rep.get_by_label("New password", exact=True).fill("short")
    rep.get_by_label("Repeat the new password").fill("short")
    rep.get_by_role("button", name="Change password").click()
    expect(rep.get_by_text("Use at least 10 characters.")).to_be_visible()

    rep.get_by_label("Current password").fill(generated)
    rep.get_by_label("New password", exact=True).fill("Jordan-plans-2027")
    rep.get_by_label("Repeat the new password").fill("Jordan-plans-2027")
    rep.get_by_role("button", name="Change password").click()
    expect(rep.get_by_text("Your password is changed")).to_be_visible()

    rep.get_by_role("button", name="Sign out").click()
    expect(rep.get_by_text("You are signed out.")).to_be_visible()
    sign_in(rep, "jordan.reyes@example.com", generated)
    expect(rep.get_by_text("Wrong e-mail or password")).to_be_visible()
    sign_in(rep, "jordan.reyes@example.com", "Jordan-plans-2027")
    expect(rep.get_by_role("heading", name="Welcome, Jordan Reyes")).to_be_visible()
    assert console_errors == []  # no CSP violation, no script error
