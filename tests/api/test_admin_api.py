"""Users, settings and the audit log over the API: the pages' rules."""

from __future__ import annotations

from sop.models import AuditEntry, User
from sop.settings import get_setting


def test_users_follow_the_page_rules_and_the_last_admin_stays(app, make_user, token_for):
    admin = make_user("admin")
    api = token_for(admin)
    created = api.post("/api/v1/users", json={"email": "Pat@Example.com", "full_name": "Pat",
                                              "role": "sales_rep"})
    assert created.status_code == 201
    body = created.get_json()
    assert body["email"] == "pat@example.com" and len(body["password"]) >= 10
    demote = api.patch(f"/api/v1/users/{admin.pk}", json={"role": "manager"})
    assert demote.status_code == 422 and demote.get_json()["errors"][0]["field"] == "role"
    assert api.patch(f"/api/v1/users/{admin.pk}", json={"active": False}).status_code == 422
    assert User.objects.get(id=admin.pk).role == "admin"
    pat = User.objects.get(email="pat@example.com")
    off = api.patch(f"/api/v1/users/{pat.pk}", json={"active": False})
    assert off.get_json()["active"] is False
    listed = api.get("/api/v1/users?active=no").get_json()["users"]
    assert [u["email"] for u in listed] == ["pat@example.com"]
    assert "password" not in listed[0]


def test_settings_are_validated_and_audited(app, api_as):
    api = api_as("admin")
    saved = api.put("/api/v1/settings/reminder_days_before_close", json={"value": 5})
    assert saved.get_json()["value"] == 5 and get_setting("reminder_days_before_close") == 5
    wrong = api.put("/api/v1/settings/reminder_days_before_close", json={"value": 999})
    assert wrong.status_code == 422
    assert api.put("/api/v1/settings/app_version", json={"value": "9"}).status_code == 422
    assert AuditEntry.objects(action="setting_updated").count() == 1
    public = api.client.get("/api/v1/settings/public").get_json()
    assert set(public) == {"max_forecast_months", "min_forecast_months_required", "app_name",
                           "app_version"}


def test_audit_log_for_admins_and_own_activity_for_everyone(app, make_user, token_for):
    from sop.api.tokens import create_token

    admin, rep = make_user("admin"), make_user("sales_rep")
    create_token(rep, rep, "own", ["read"])
    create_token(admin, admin, "admin's", ["read"])
    rep_api = token_for(rep)
    mine = rep_api.get("/api/v1/audit/mine").get_json()["entries"]
    assert [e["action"] for e in mine] == ["api_token_created"]
    assert mine[0]["actor"] == rep.email
    assert rep_api.get("/api/v1/audit").status_code == 403
    history = token_for(admin).get(f"/api/v1/audit?entity_type=user&entity_id={rep.pk}")
    assert [e["action"] for e in history.get_json()["entries"]] == ["user_created"]
