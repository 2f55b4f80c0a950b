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


def test_bulk_entries_carry_the_requests_ip_and_user_agent_and_none_outside(app, make_user):
    from sop.audit import record_audits

    actor = make_user(full_name="Bulk Writer")
    entries = [(f"line-{n}", f"Line {n} changed.", {"M1 qty": {"before": None, "after": n}})
               for n in range(3)]
    with app.test_request_context("/forecast", headers={"User-Agent": "Grid/2.0"},
                                  environ_base={"REMOTE_ADDR": "10.1.2.3"}):
        assert record_audits("forecast_line_updated", entries, actor=actor,
                             entity_type="forecast_line") == 3
    with app.app_context():
        assert record_audits("forecast_line_updated", entries[:1], actor=actor,
                             entity_type="forecast_line") == 1
        written = list(AuditEntry.objects(action="forecast_line_updated").order_by("entity_id"))
        store_value("enable_audit_logging", False, "admin@example.com")
        assert record_audits("forecast_line_updated", entries, actor=actor) == 0
    assert [(e.entity_id, e.ip, e.user_agent) for e in written] == [
        ("line-0", None, None), ("line-0", "10.1.2.3", "Grid/2.0"),
        ("line-1", "10.1.2.3", "Grid/2.0"), ("line-2", "10.1.2.3", "Grid/2.0")]
    assert {e.actor_email for e in written} == {actor.email}
    assert len({e.at for e in written[1:]}) == 1  # one bulk write, one time
    assert written[2].changes == {"M1 qty": {"before": None, "after": 1}}
