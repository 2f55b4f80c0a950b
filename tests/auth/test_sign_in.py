"""Signing in and out: one message for every refusal, lockout, throttling, CSRF, cookies."""

from __future__ import annotations

from datetime import timedelta

from sop.auth.services import SIGN_IN_REFUSED
from sop.clock import now
from sop.models import AuditEntry, User
from tests.conftest import DEFAULT_PASSWORD


def attempt(client, email: str, password: str):
    return client.post_form("/login", {"email": email, "password": password}, token_from="/login")


def test_sign_in_lands_on_dashboard_with_a_safe_cookie(client, make_user):
    user = make_user("manager", full_name="Morgan Manager")
    client.get("/login")
    cookie_before = client.get_cookie("session").value

    response = attempt(client, user.email.upper(), DEFAULT_PASSWORD)

    assert response.status_code == 302 and response.location == "/"
    set_cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in set_cookie and "SameSite=Lax" in set_cookie
    assert client.get_cookie("session").value != cookie_before  # renewed on sign-in
    page = client.get("/").get_data(as_text=True)
    assert "Welcome, Morgan Manager" in page
    assert AuditEntry.objects(action="user_login", actor_email=user.email).count() == 1


def test_unknown_email_and_wrong_password_get_the_same_message(client, make_user):
    user = make_user()
    unknown = attempt(client, "nobody@example.com", DEFAULT_PASSWORD)
    wrong = attempt(client, user.email, "Wrong-password-1")
    for response in (unknown, wrong):
        assert response.status_code == 422
        assert SIGN_IN_REFUSED in response.get_data(as_text=True)
    assert AuditEntry.objects(action="user_login_failed").count() == 2


def test_five_failures_lock_the_account_for_fifteen_minutes(client, make_user):
    user = make_user()
    for _ in range(5):
        attempt(client, user.email, "Wrong-password-1")
    locked = User.objects.get(id=user.pk)
    assert locked.is_locked
    remaining = locked.locked_until - now()
    assert timedelta(minutes=14) < remaining <= timedelta(minutes=15)
    assert AuditEntry.objects(action="user_locked", severity="critical").count() == 1

    refused = attempt(client, user.email, DEFAULT_PASSWORD)  # even the right password
    assert refused.status_code == 422 and SIGN_IN_REFUSED in refused.get_data(as_text=True)

    User.objects(id=user.pk).update_one(set__locked_until=now() - timedelta(seconds=1))
    assert attempt(client, user.email, DEFAULT_PASSWORD).status_code == 302


def test_an_admin_unlocks_a_locked_account(client, make_user, login):
    rep = make_user()
    for _ in range(5):
        attempt(client, rep.email, "Wrong-password-1")
    admin = make_user("admin")
    login(admin)
    response = client.htmx_post(f"/users/{rep.pk}/unlock")
    assert response.status_code == 200
    assert "Locked" not in response.get_data(as_text=True)
    assert not User.objects.get(id=rep.pk).is_locked
    assert AuditEntry.objects(action="user_unlocked").count() == 1


def test_inactive_accounts_cannot_sign_in(client, make_user):
    user = make_user()
    User.objects(id=user.pk).update_one(set__active=False)
    response = attempt(client, user.email, DEFAULT_PASSWORD)
    assert response.status_code == 422 and SIGN_IN_REFUSED in response.get_data(as_text=True)


def test_sign_in_is_throttled_per_address(client):
    token = client.csrf_token("/login")
    statuses = [
        client.post("/login", data={"csrf_token": token, "email": f"user{i}@example.com",
                                    "password": "Wrong-password-1"}).status_code
        for i in range(21)
    ]
    assert statuses[:20] == [422] * 20
    assert statuses[20] == 429
    page = client.post("/login", data={"csrf_token": token, "email": "x@example.com",
                                       "password": "x"}).get_data(as_text=True)
    assert "Too many requests" in page and "Traceback" not in page


def test_sign_in_is_throttled_per_account(client, make_user):
    user = make_user()
    token = client.csrf_token("/login")
    statuses = []
    for i in range(11):
        # Each attempt from a different address: only the per-account limit applies.
        statuses.append(client.post(
            "/login", data={"csrf_token": token, "email": user.email, "password": "Wrong-1-pass"},
            environ_overrides={"REMOTE_ADDR": f"10.0.0.{i + 1}"}).status_code)
    assert statuses[:10] == [422] * 10
    assert statuses[10] == 429


def test_forms_without_the_csrf_token_are_refused(client, make_user, login):
    user = make_user()
    response = client.post("/login", data={"email": user.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 400
    assert "did not come from this site" in response.get_data(as_text=True)

    login(user)
    htmx_without_token = client.post("/logout", headers={"HX-Request": "true"})
    assert htmx_without_token.status_code == 400
    assert client.get("/").status_code == 200  # still signed in


def test_sign_out_ends_the_session_even_for_a_copied_cookie(client, make_user, login):
    user = make_user()
    login(user)
    stolen = client.get_cookie("session").value
    response = client.post_form("/logout")
    assert response.status_code == 302
    assert client.get("/").status_code == 302

    client.set_cookie("session", stolen)
    replay = client.get("/")
    assert replay.status_code == 302 and replay.location.startswith("/login")


def test_after_sign_in_only_same_site_paths_are_followed(client, make_user):
    user = make_user()
    token = client.csrf_token("/login")
    outside = client.post("/login", data={"csrf_token": token, "email": user.email,
                                          "password": DEFAULT_PASSWORD,
                                          "next": "//evil.example/steal"})
    assert outside.location == "/"
    client.post_form("/logout")
    inside = client.post("/login", data={"csrf_token": client.csrf_token("/login"),
                                         "email": user.email, "password": DEFAULT_PASSWORD,
                                         "next": "/profile"})
    assert inside.location == "/profile"


def test_pages_ask_anonymous_visitors_to_sign_in(client):
    response = client.get("/profile")
    assert response.status_code == 302
    assert response.location.startswith("/login?next=/profile")
    htmx = client.get("/users?q=a", headers={"HX-Request": "true"})
    assert htmx.status_code == 401 and htmx.headers["HX-Redirect"].startswith("/login")
