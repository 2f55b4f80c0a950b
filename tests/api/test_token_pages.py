"""Tokens on the profile page (htmx, CSRF, secret shown once) and from the command line."""

from __future__ import annotations

import re

from sop.models import ApiToken, AuditEntry

SECRET = re.compile(r'data-testid="token-secret">(sop_[^<]+)<')


def test_a_rep_creates_uses_and_revokes_a_token_on_the_profile_page(app, client, login_as):
    rep = login_as("sales_rep")
    response = client.htmx_post("/profile/tokens", {"name": "My BI", "scopes": ["read"],
                                                    "days": "30"})
    assert response.status_code == 200
    secret = SECRET.search(response.get_data(as_text=True)).group(1)
    api = app.test_client(use_cookies=False)
    assert api.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}
                   ).get_json()["email"] == rep.email
    page = client.get("/profile").get_data(as_text=True)
    assert "My BI" in page and secret not in page  # listed, the secret never again
    token = ApiToken.objects.get(owner=rep)
    revoked = client.htmx_post(f"/profile/tokens/{token.pk}/revoke")
    assert revoked.status_code == 200 and "revoked" in revoked.get_data(as_text=True)
    assert api.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}
                   ).status_code == 401


def test_a_rep_cannot_give_a_token_admin_or_another_owner(app, client, login_as, make_user):
    login_as("sales_rep")
    other = make_user("sales_rep")
    too_much = client.htmx_post("/profile/tokens", {"name": "x", "scopes": ["admin"]})
    assert too_much.status_code == 422
    assert "cannot have the admin scope" in too_much.get_data(as_text=True)
    not_mine = client.htmx_post("/profile/tokens", {"name": "x", "scopes": ["read"],
                                                    "owner_email": other.email})
    assert not_mine.status_code == 422
    assert ApiToken.objects.count() == 0


def test_creating_a_token_needs_the_csrf_token(client, login_as):
    login_as("sales_rep")
    response = client.post("/profile/tokens", data={"name": "x", "scopes": ["read"]})
    assert response.status_code == 400
    assert ApiToken.objects.count() == 0


def test_an_admin_creates_a_service_accounts_token(app, client, login_as, make_user):
    login_as("admin")
    service = make_user("manager", email="erp@example.com")
    response = client.htmx_post("/profile/tokens", {"name": "ERP", "scopes": ["read", "write"],
                                                    "days": "", "owner_email": service.email})
    assert response.status_code == 200
    token = ApiToken.objects.get()
    assert token.owner.pk == service.pk and token.expires_at is None


def test_create_token_from_the_command_line_prints_the_secret_last(app, make_user):
    make_user("sales_rep", email="jordan@example.com")
    result = app.test_cli_runner().invoke(args=[
        "create-token", "--email", "jordan@example.com", "--name", "nightly", "--scopes",
        "read,write", "--days", "7"])
    assert result.exit_code == 0, result.output
    secret = result.output.strip().splitlines()[-1]
    assert secret.startswith("sop_") and " " not in secret
    api = app.test_client(use_cookies=False)
    assert api.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}
                   ).status_code == 200
    refused = app.test_cli_runner().invoke(args=[
        "create-token", "--email", "jordan@example.com", "--name", "x", "--scopes", "admin"])
    assert refused.exit_code != 0 and "admin scope" in refused.output
    assert AuditEntry.objects(action="api_token_created").count() == 1
