"""What the audit trail records: who, from where, before/after; the audit switch."""

from __future__ import annotations

from sop.models import AuditEntry
from sop.settings import store_value


def test_entries_carry_ip_user_agent_and_field_changes(client, make_user, login_as):
    admin = login_as("admin")
    rep = make_user(full_name="Sam Patel")
    client.post_form(f"/users/{rep.pk}", {"full_name": "Samuel Patel", "email": rep.email,
                                          "role": "sales_rep", "submit": "Save"},
                     headers={"User-Agent": "PlanningBrowser/1.0"})
    entry = AuditEntry.objects.get(action="user_updated")
    assert entry.actor_email == admin.email
    assert entry.ip == "127.0.0.1" and entry.user_agent == "PlanningBrowser/1.0"
    assert entry.entity_type == "user" and entry.entity_id == str(rep.pk)
    assert entry.changes == {"full_name": {"before": "Sam Patel", "after": "Samuel Patel"}}
    assert entry.message == f"Account {rep.email} updated (full_name)."


def test_turning_audit_off_keeps_security_events_only(app, client, make_user, login_as):
    login_as("admin")
    rep = make_user(full_name="Lee Chen")
    with app.app_context():
        store_value("enable_audit_logging", False, "admin@example.com")
    client.post_form(f"/users/{rep.pk}", {"full_name": "Lee Chen Jr", "email": rep.email,
                                          "role": "sales_rep", "submit": "Save"})
    assert AuditEntry.objects(action="user_updated").count() == 0
    client.post_form(f"/users/{rep.pk}", {"full_name": "Lee Chen Jr", "email": rep.email,
                                          "role": "manager", "submit": "Save"})
    assert AuditEntry.objects(action="user_role_changed").count() == 1  # role changes: always
    client.post_form("/logout")
    assert AuditEntry.objects(action="user_logout").count() == 1
