"""API tokens: lifecycle, what a token may do, and how refusals look (problem JSON)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from freezegun import freeze_time

from sop.api.tokens import TokenError, create_token, revoke_token, secret_hash
from sop.clock import now
from sop.models import ApiToken, AuditEntry
from sop.settings import store_value


def test_a_token_authenticates_and_only_its_hash_is_kept(app, make_user, token_for):
    rep = make_user("sales_rep")
    api = token_for(rep)
    response = api.get("/api/v1/me")
    assert response.status_code == 200
    assert response.get_json()["email"] == rep.email
    stored = ApiToken.objects.get(owner=rep)
    assert stored.token_hash == secret_hash(api.secret)
    assert api.secret not in str(stored.to_mongo())
    assert stored.last_used_at is not None
    assert AuditEntry.objects(action="api_token_created", entity_id=str(stored.pk)).count() == 1


def test_revoked_expired_and_deactivated_tokens_are_refused_and_audited(
        app, make_user, token_for):
    rep = make_user("sales_rep")
    api = token_for(rep, days=1)
    token = ApiToken.objects.get(owner=rep)
    with freeze_time(now() + timedelta(days=2)):
        expired = api.get("/api/v1/me")
    assert expired.status_code == 401
    assert "expired" in expired.get_json()["detail"]
    revoke_token(rep, token)
    revoked = api.get("/api/v1/me")
    assert revoked.status_code == 401
    assert revoked.headers["Content-Type"] == "application/problem+json"
    assert "revoked" in revoked.get_json()["detail"]
    assert AuditEntry.objects(action="api_token_revoked").count() == 1
    assert AuditEntry.objects(action="api_token_refused", entity_id=str(token.pk)).count() == 2


def test_an_unknown_token_and_no_token_are_refused(app, client):
    assert client.get("/api/v1/me").status_code == 401
    response = client.get("/api/v1/me", headers={"Authorization": "Bearer sop_made-up"})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert AuditEntry.objects(action="api_token_refused").count() == 1


def test_a_browser_session_is_not_accepted(client, login_as):
    login_as("admin")
    assert client.get("/users").status_code == 200  # signed in for the pages
    assert client.get("/api/v1/me").status_code == 401


def test_scopes_never_exceed_the_role(app, make_user):
    rep = make_user("sales_rep")
    with pytest.raises(TokenError, match="admin scope"):
        create_token(rep, rep, "too much", ["read", "admin"])
    with pytest.raises(TokenError, match="Unknown scope"):
        create_token(rep, rep, "typo", ["reed"])
    other = make_user("sales_rep")
    with pytest.raises(TokenError, match="Only admins"):
        create_token(rep, other, "not mine", ["read"])


def test_an_admin_creates_a_token_for_a_service_account(app, make_user, token_for):
    admin = make_user("admin")
    service = make_user("manager", email="erp@example.com")
    created = create_token(admin, service, "ERP nightly", ["read", "write"], None)
    assert created.token.owner.pk == service.pk
    assert created.token.expires_at is None
    entry = AuditEntry.objects.get(action="api_token_created")
    assert entry.actor_email == admin.email


def test_a_read_token_cannot_write_and_the_refusal_is_audited(app, make_user, token_for,
                                                              make_cycle):
    make_cycle("2026-11")
    api = token_for(make_user("sales_rep"), ["read"])
    response = api.put("/api/v1/cycles/2026-11/cells", json={
        "customer": "X", "item": "110001", "field": "qty", "bucket": 1, "value": 1,
        "loaded": None})
    assert response.status_code == 403
    assert "write scope" in response.get_json()["detail"]
    assert AuditEntry.objects(action="api_token_refused").count() == 1


def test_a_demoted_owners_admin_token_loses_admin(app, make_user, token_for):
    from sop.users.services import update_user

    admin, other_admin = make_user("admin"), make_user("admin")
    api = token_for(admin)
    assert api.get("/api/v1/users").status_code == 200
    update_user(other_admin, admin, admin.email, admin.full_name, "manager")
    assert api.get("/api/v1/users").status_code == 403


def test_errors_are_problem_json_naming_the_field(app, api_as, make_cycle):
    make_cycle("2026-11")
    api = api_as("sales_rep")
    unknown = api.put("/api/v1/cycles/2026-11/cells", json={
        "customer": "X", "item": "110001", "field": "qty", "bucket": 1, "value": 1,
        "loaded": None, "colour": "red"})
    assert unknown.status_code == 422
    body = unknown.get_json()
    assert unknown.headers["Content-Type"] == "application/problem+json"
    assert {"type", "title", "status", "detail", "errors"} <= set(body)
    assert {"field": "colour", "message": "Unknown field."} in body["errors"]
    broken = api.client.put("/api/v1/cycles/2026-11/cells", data="{not json",
                            headers={"Authorization": f"Bearer {api.secret}",
                                     "Content-Type": "application/json"})
    assert broken.status_code in (400, 422)
    assert "Traceback" not in broken.get_data(as_text=True)
    assert api.get("/api/v1/cycles/2026-11/lines?limit=abc").status_code == 422
    assert api.get("/api/v1/cycles/2026-11/lines?surprise=1").status_code == 422
    missing = api.get("/api/v1/cycles/1999-01")
    assert missing.status_code == 404
    assert missing.get_json()["status"] == 404


def test_rate_limit_per_token_answers_429_with_retry_after(app, api_as):
    store_value("api_rate_limit_per_minute", 10, "test")
    from sop.settings import invalidate_cache

    invalidate_cache()
    first, second = api_as("sales_rep"), api_as("sales_rep")
    codes = [first.get("/api/v1/me").status_code for _ in range(11)]
    assert codes[:10] == [200] * 10
    assert codes[10] == 429
    limited = first.get("/api/v1/me")
    assert limited.headers["Content-Type"] == "application/problem+json"
    assert int(limited.headers["Retry-After"]) > 0
    assert second.get("/api/v1/me").status_code == 200  # another token: its own budget


def test_made_up_tokens_share_their_senders_allowance(app, api_as):
    """Each invented token would otherwise get a fresh allowance and write an audit entry."""
    import secrets

    store_value("api_rate_limit_per_minute", 10, "test")
    from sop.settings import invalidate_cache

    invalidate_cache()
    known = api_as("sales_rep")
    client = app.test_client(use_cookies=False)
    codes = [client.get("/api/v1/me", headers={
        "Authorization": f"Bearer {secrets.token_urlsafe(32)}"}).status_code for _ in range(15)]
    assert codes[:10] == [401] * 10 and codes[10:] == [429] * 5
    assert AuditEntry.objects(action="api_token_refused").count() == 10
    assert known.get("/api/v1/me").status_code == 200  # a real token keeps its own budget


def test_a_body_over_the_request_limit_is_refused(app, api_as, make_cycle):
    make_cycle("2026-11")
    store_value("api_max_request_mb", 1, "test")
    from sop.settings import invalidate_cache

    invalidate_cache()
    api = api_as("sales_rep")
    response = api.client.put("/api/v1/cycles/2026-11/cells", data=b"x" * (1024 * 1024 + 10),
                              headers={"Authorization": f"Bearer {api.secret}",
                                       "Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.get_json()["status"] == 413
