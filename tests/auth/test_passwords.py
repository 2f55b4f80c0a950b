"""Password policy, changing a password, reset links by e-mail, the sliding session timeout."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest

from sop.auth.services import password_problems
from sop.clock import now
from sop.models import AuditEntry, PasswordResetToken
from sop.settings import store_value
from tests.conftest import DEFAULT_PASSWORD


@pytest.mark.parametrize(("password", "problem"), [
    ("Short-1", "at least 10 characters"),
    ("alllowercaseletters", "two kinds"),
    ("12345678901234", "two kinds"),
    ("Rep@Example.com", "e-mail address"),
])
def test_weak_passwords_are_explained(password, problem):
    problems = " ".join(password_problems(password, "rep@example.com"))
    assert problem in problems


def test_a_good_password_passes_the_policy():
    assert password_problems("Forecast-2026", "rep@example.com") == []


def change(client, current: str, new: str, confirm: str | None = None):
    return client.post_form("/profile", {"current_password": current, "password": new,
                                         "confirm": confirm or new})


def test_changing_the_password_signs_out_other_devices(app, client, make_user, login):
    user = make_user()
    login(user)
    other_device = app.test_client()
    other_device.post_form("/login", {"email": user.email, "password": DEFAULT_PASSWORD},
                           token_from="/login")
    assert other_device.get("/").status_code == 200

    response = change(client, DEFAULT_PASSWORD, "Brand-new-plan-7")
    assert response.status_code == 302
    assert "Your password is changed" in client.get("/profile").get_data(as_text=True)
    assert other_device.get("/").status_code == 302
    assert AuditEntry.objects(action="user_password_changed").count() == 1

    client.post_form("/logout")
    refused = client.post_form("/login", {"email": user.email, "password": DEFAULT_PASSWORD},
                               token_from="/login")
    assert refused.status_code == 422
    accepted = client.post_form("/login", {"email": user.email, "password": "Brand-new-plan-7"},
                                token_from="/login")
    assert accepted.status_code == 302


def test_password_change_mistakes_are_shown_next_to_the_field(client, make_user, login):
    user = make_user()
    login(user)
    wrong_current = change(client, "Not-my-password-1", "Brand-new-plan-7")
    assert wrong_current.status_code == 422
    assert "current password is not right" in wrong_current.get_data(as_text=True)
    weak = change(client, DEFAULT_PASSWORD, "short")
    assert weak.status_code == 422 and "at least 10 characters" in weak.get_data(as_text=True)
    mismatch = change(client, DEFAULT_PASSWORD, "Brand-new-plan-7", "Brand-new-plan-8")
    assert mismatch.status_code == 422 and "The two passwords differ" in mismatch.get_data(
        as_text=True)


def reset_link_from(mailbox) -> str:
    [message] = mailbox.messages()
    text = next(part.get_payload(decode=True).decode() for part in message.walk()
                if part.get_content_type() == "text/plain")
    match = re.search(r"http://portal\.test(/reset-password/\S+)", text)
    assert match, text
    return match.group(1)


def test_a_reset_link_arrives_by_mail_and_works_once(client, make_user, mailbox, run_jobs):
    user = make_user(full_name="Jordan Reyes")
    response = client.post_form("/forgot-password", {"email": user.email},
                                token_from="/forgot-password")
    assert response.status_code == 302
    assert mailbox.messages() == []  # sent by the worker, not by the request
    run_jobs("mail")
    [message] = mailbox.messages()
    assert message["To"] == user.email
    assert message["Subject"] == "Reset your password"
    path = reset_link_from(mailbox)
    token = path.rsplit("/", 1)[1]
    assert PasswordResetToken.objects(token_hash=token).count() == 0  # only the hash is kept

    assert client.get(path).status_code == 200
    done = client.post_form(path, {"password": "Fresh-start-99", "confirm": "Fresh-start-99"},
                            token_from=path)
    assert done.status_code == 302
    signed_in = client.post_form("/login", {"email": user.email, "password": "Fresh-start-99"},
                                 token_from="/login")
    assert signed_in.status_code == 302
    client.post_form("/logout")

    reused = client.get(path)
    assert reused.status_code == 302 and reused.location == "/forgot-password"


def test_reset_links_expire_after_an_hour(client, make_user, mailbox, run_jobs):
    user = make_user()
    client.post_form("/forgot-password", {"email": user.email}, token_from="/forgot-password")
    run_jobs("mail")
    path = reset_link_from(mailbox)
    PasswordResetToken.objects.update(set__expires_at=now() - timedelta(seconds=1))
    assert client.get(path).location == "/forgot-password"


def test_unknown_addresses_get_the_same_answer_and_no_mail(client, mailbox, run_jobs):
    response = client.post_form("/forgot-password", {"email": "nobody@example.com"},
                                token_from="/forgot-password")
    assert response.status_code == 302
    assert "If that address has an account" in client.get("/login").get_data(as_text=True)
    run_jobs("mail")
    assert mailbox.messages() == []


def test_the_session_times_out_after_the_configured_inactivity(app, client, make_user, login):
    user = make_user()
    login(user)
    with app.app_context():
        store_value("session_timeout_minutes", 5, "test")
    with client.session_transaction() as session:
        session["last_seen"] = time.time() - 4 * 60  # active four minutes ago: still fine
    assert client.get("/").status_code == 200  # ...and the timeout slides from now

    with client.session_transaction() as session:
        session["last_seen"] = time.time() - 6 * 60
    response = client.get("/")
    assert response.status_code == 302 and response.location.startswith("/login")
    assert "Your session timed out" in client.get("/login").get_data(as_text=True)
    assert client.get("/").status_code == 302
