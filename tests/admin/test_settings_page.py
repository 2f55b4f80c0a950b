"""Settings page: grouped, typed inline edits with bounds, read-only ones refused, audited,
and a change takes effect at once."""

from __future__ import annotations

from sop.models import AuditEntry
from sop.settings import get_setting


def test_settings_are_grouped_by_category(client, login_as):
    login_as("admin")
    html = client.get("/admin/settings").get_data(as_text=True)
    for heading in ("General", "S&amp;OP cycle", "Notifications", "E-mail", "Security",
                    "System", "Reports"):
        assert f"<h2>{heading}</h2>" in html
    assert 'id="value-app_version">0.1.0</span> <span class="badge">read-only' in html
    assert 'name="value" value="480" min="5" max="10080"' in html
    row = html.split('<tr id="setting-reminder_days_before_close">')[1].split("</tr>")[0]
    assert "whole number" in row and "0\u201360" in row
    assert "on/off" in html.split('<tr id="setting-auto_close_cycles">')[1].split("</tr>")[0]


def test_an_inline_edit_returns_the_row_and_is_audited(client, login_as):
    admin = login_as("admin")
    response = client.htmx_post("/admin/settings/reminder_days_before_close", {"value": "5"},
                                token_from="/admin/settings")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and html.lstrip().startswith(
        '<tr id="setting-reminder_days_before_close">')
    assert 'value="5"' in html and admin.email in html
    assert get_setting("reminder_days_before_close") == 5
    entry = AuditEntry.objects.get(action="setting_updated")
    assert entry.changes == {"reminder_days_before_close": {"before": 3, "after": 5}}


def test_values_are_checked_against_type_and_bounds(client, login_as):
    login_as("admin")
    for key, value, message in (
            ("reminder_days_before_close", "many", "Enter a whole number."),
            ("session_timeout_minutes", "1", "at least 5"),
            ("max_upload_mb", "5000", "at most 200"),
            ("auto_close_cycles", "perhaps", "Choose on or off."),
            ("app_name", "   ", "Enter a value.")):
        response = client.htmx_post(f"/admin/settings/{key}", {"value": value},
                                    token_from="/admin/settings")
        html = response.get_data(as_text=True)
        assert response.status_code == 422, key
        assert message in html, key
    assert get_setting("session_timeout_minutes") == 480
    assert AuditEntry.objects(action="setting_updated").count() == 0


def test_read_only_and_unknown_settings_cannot_be_changed(client, login_as):
    login_as("admin")
    refused = client.htmx_post("/admin/settings/app_version", {"value": "9.9"},
                               token_from="/admin/settings")
    assert refused.status_code == 422 and "not editable" in refused.get_data(as_text=True)
    assert get_setting("app_version") == "0.1.0"
    assert client.htmx_post("/admin/settings/no_such_key", {"value": "1"},
                            token_from="/admin/settings").status_code == 404


def test_a_smaller_upload_limit_applies_to_the_next_request(client, login_as):
    login_as("admin")
    client.htmx_post("/admin/settings/max_upload_mb", {"value": "1"},
                     token_from="/admin/settings")
    response = client.post("/profile", data=b"x" * (2 * 1024 * 1024),
                           content_type="application/octet-stream")
    html = response.get_data(as_text=True)
    assert response.status_code == 413
    assert "File too large" in html and "larger than the limit of 1 MB" in html


def test_a_lower_rate_limit_applies_to_the_next_requests(client, login_as):
    login_as("admin")
    response = client.htmx_post("/admin/settings/rate_limit_requests_per_minute",
                                {"value": "10"}, token_from="/admin/settings")
    assert response.status_code == 200
    statuses = [client.get("/").status_code for _ in range(11)]
    assert statuses == [200] * 10 + [429]  # the default of 60 would let all 11 through
    assert "Too many requests" in client.get("/").get_data(as_text=True)


def test_without_javascript_the_form_posts_and_comes_back(client, login_as):
    login_as("admin")
    response = client.post_form("/admin/settings/app_name", {"value": "Garlic S&OP"},
                                token_from="/admin/settings")
    assert response.status_code == 302
    page = client.get("/admin/settings").get_data(as_text=True)
    assert "Setting app_name saved." in page and "Garlic S&amp;OP" in page
