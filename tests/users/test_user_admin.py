"""Admins manage accounts: search, create, edit, deactivate, the last-admin rule; scoping."""

from __future__ import annotations

import re

import pytest

from sop.models import AuditEntry, User
from sop.security import scoped
from sop.users.services import UserError, set_user_active
from tests.conftest import DEFAULT_PASSWORD


def rows(html: str) -> list[str]:
    return re.findall(r'<tr id="user-[0-9a-f]+"', html)


def test_active_search_returns_only_the_results_fragment(client, make_user, login_as):
    login_as("admin")
    make_user("sales_rep", email="jordan.reyes@example.com", full_name="Jordan Reyes")
    make_user("sales_rep", email="sam.patel@example.com", full_name="Sam Patel")
    make_user("manager", email="morgan@example.com", full_name="Morgan Manager")

    fragment = client.get("/users?q=jor", headers={"HX-Request": "true"})
    html = fragment.get_data(as_text=True)
    assert fragment.status_code == 200
    assert "<html" not in html and "Jordan Reyes" in html and "Sam Patel" not in html
    assert len(rows(html)) == 1

    by_role = client.get("/users?role=sales_rep", headers={"HX-Request": "true"})
    assert len(rows(by_role.get_data(as_text=True))) == 2
    # Regex characters are searched literally, never as patterns.
    assert rows(client.get("/users?q=.*").get_data(as_text=True)) == []
    full_page = client.get("/users?q=sam")
    assert "<html" in full_page.get_data(as_text=True)


def test_the_list_is_paginated_and_keeps_filters(client, make_user, login_as):
    login_as("admin")
    for number in range(30):
        make_user("sales_rep", email=f"rep{number:02d}@example.com", full_name=f"Rep {number:02d}")
    first = client.get("/users?role=sales_rep").get_data(as_text=True)
    assert len(rows(first)) == 25 and "30 results · page 1 of 2" in first
    assert 'href="/users?q=&amp;role=sales_rep&amp;active=&amp;page=2"' in first
    second = client.get("/users?role=sales_rep&page=2").get_data(as_text=True)
    assert len(rows(second)) == 5


def test_creating_a_user_with_a_generated_password_shows_it_once(client, login_as, login):
    login_as("admin")
    response = client.post_form("/users/new", {
        "full_name": "Lee Chen", "email": "Lee.Chen@Example.com", "role": "sales_rep",
        "password_mode": "generate"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "User created" in html
    password = re.search(r'id="generated-password">([^<]+)<', html).group(1)
    user = User.objects.get(email="lee.chen@example.com")
    assert user.role == "sales_rep"
    assert password not in client.get(f"/users/{user.pk}").get_data(as_text=True)
    assert AuditEntry.objects(action="user_created", entity_id=str(user.pk)).count() == 1

    client.post_form("/logout")
    assert login(user, password).status_code == 302


def test_creating_a_user_explains_what_is_wrong(client, make_user, login_as):
    login_as("admin")
    make_user(email="taken@example.com")
    duplicate = client.post_form("/users/new", {
        "full_name": "Someone", "email": "TAKEN@example.com", "role": "manager",
        "password_mode": "typed", "password": "Good-password-1"})
    assert duplicate.status_code == 422
    assert "already uses this e-mail" in duplicate.get_data(as_text=True)
    weak = client.post_form("/users/new", {
        "full_name": "Someone", "email": "new@example.com", "role": "manager",
        "password_mode": "typed", "password": "weak"})
    assert weak.status_code == 422 and "at least 10 characters" in weak.get_data(as_text=True)
    assert User.objects(email="new@example.com").count() == 0


def test_editing_name_email_and_role_is_audited_with_before_and_after(client, make_user,
                                                                       login_as):
    login_as("admin")
    rep = make_user("sales_rep", full_name="Sam Patel")
    response = client.post_form(f"/users/{rep.pk}", {
        "full_name": "Sam Patel", "email": rep.email, "role": "manager", "submit": "Save"})
    assert response.status_code == 302
    assert User.objects.get(id=rep.pk).role == "manager"
    entry = AuditEntry.objects.get(action="user_role_changed")
    assert entry.changes == {"role": {"before": "sales_rep", "after": "manager"}}


def test_the_last_active_admin_cannot_be_demoted_or_deactivated(app, client, make_user,
                                                                 login_as):
    admin = login_as("admin")
    demote = client.post_form(f"/users/{admin.pk}", {
        "full_name": admin.full_name, "email": admin.email, "role": "manager", "submit": "Save"})
    assert demote.status_code == 422 and "last active admin" in demote.get_data(as_text=True)
    assert User.objects.get(id=admin.pk).role == "admin"

    other_admin = make_user("admin")
    assert client.htmx_post(f"/users/{other_admin.pk}/deactivate").status_code == 200
    manager = make_user("manager")
    with app.app_context(), pytest.raises(UserError, match="last active admin"):
        set_user_active(manager, User.objects.get(id=admin.pk), False)
    assert User.objects.get(id=admin.pk).active


def test_deactivating_swaps_the_row_and_ends_the_users_sessions(app, client, make_user,
                                                               login_as):
    rep = make_user(full_name="Lee Chen")
    rep_client = app.test_client()
    rep_client.post_form("/login", {"email": rep.email, "password": DEFAULT_PASSWORD},
                         token_from="/login")
    assert rep_client.get("/").status_code == 200

    login_as("admin")
    response = client.htmx_post(f"/users/{rep.pk}/deactivate")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith(f'<tr id="user-{rep.pk}"') and "Inactive" in html
    assert rep_client.get("/").status_code == 302
    assert AuditEntry.objects(action="user_deactivated").count() == 1

    back = client.htmx_post(f"/users/{rep.pk}/reactivate")
    assert "Active" in back.get_data(as_text=True)
    assert User.objects.get(id=rep.pk).active


def test_an_admin_cannot_deactivate_themselves(client, login_as):
    admin = login_as("admin")
    response = client.htmx_post(f"/users/{admin.pk}/deactivate")
    assert response.status_code == 422
    assert "cannot deactivate your own account" in response.get_data(as_text=True)
    assert User.objects.get(id=admin.pk).active


def test_an_admin_sets_a_new_password_for_someone(client, make_user, login_as, login):
    login_as("admin")
    rep = make_user()
    response = client.post_form(f"/users/{rep.pk}/password", {
        "pw-password_mode": "typed", "pw-password": "Set-by-admin-42"},
        token_from=f"/users/{rep.pk}")
    assert response.status_code == 200 and "Password set" in response.get_data(as_text=True)
    client.post_form("/logout")
    assert login(rep, "Set-by-admin-42").status_code == 302


def test_unknown_user_ids_are_not_found(client, login_as):
    login_as("admin")
    assert client.get("/users/000000000000000000000000").status_code == 404
    assert client.get("/users/not-an-id").status_code == 404


def test_a_rep_only_ever_sees_their_own_account(app, make_user):
    rep = make_user("sales_rep")
    make_user("sales_rep")
    manager = make_user("manager")
    with app.app_context():
        assert [u.pk for u in scoped(User, rep)] == [rep.pk]
        assert scoped(User, manager).count() == 3


def test_profile_shows_my_details_and_recent_activity(client, login_as):
    me = login_as("sales_rep")
    html = client.get("/profile").get_data(as_text=True)
    assert me.email in html and "Sales rep" in html
    assert f"{me.email} signed in." in html


def test_the_user_list_exports_with_its_filters_and_no_secrets(client, make_user, login_as):
    import io

    from openpyxl import load_workbook

    login_as("admin")
    make_user("sales_rep", email="rep.one@example.com", full_name="Rep One")
    make_user("manager", email="boss@example.com", full_name="Boss")
    response = client.get("/users/export?role=sales_rep")
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert [c.value for c in sheet[1]][:3] == ["E-mail", "Full name", "Role"]
    assert [r[0] for r in sheet.iter_rows(min_row=2, values_only=True)] == [
        "rep.one@example.com"]
    values = [str(v) for row in sheet.iter_rows(values_only=True) for v in row if v]
    assert not any(v.startswith("$2b$") for v in values)  # no password hash in any cell
