"""Every route and every role: who gets in, who is refused, who is sent to sign in.

A new route fails `test_every_route_is_in_the_access_table` until it is listed here, so no
route ships without a decision about who may use it.
"""

from __future__ import annotations

from datetime import date

import pytest

from sop.api.tokens import create_token
from sop.models import (
    AuditEntry,
    Cycle,
    ImportLog,
    ImportProblem,
    PriceEntry,
    Product,
    Report,
    Submission,
    WorkbookUpload,
)

ROLES = ("admin", "manager", "sales_rep")
EVERYONE = frozenset(ROLES)
ADMIN = frozenset({"admin"})
SEES_ALL = frozenset({"admin", "manager"})
PUBLIC = None  # no sign-in needed

# endpoint: (method, path template, roles allowed or PUBLIC). {user} is another user's id,
# {customer} a customer of another rep: a rep is told it does not exist (404), not refused.
# {upload} is a workbook upload into another rep's plan: a rep gets 404 there too (managers,
# when not allowed, are refused: 403).
NOT_VISIBLE = {"customers.detail", "prices.matrix", "prices.export_matrix",
               "submissions.detail", "forecasts.line_history", "forecasts.price_rows",
               "workbooks.download",
               "workbooks.preview", "workbooks.resolve", "workbooks.confirm", "workbooks.discard",
               "reports.detail", "reports.download", "reports.email"}
# Answered 422 when allowed: an empty form is refused at its fields.
EMPTY_FORM_REFUSED = {"users.create_api_token"}
# {token} is another user's API token: anyone but an admin is told it does not exist.
OWNER_OR_ADMIN = {"users.revoke_api_token"}
ACCESS: dict[str, tuple[str, str, frozenset[str] | None]] = {
    "static": ("GET", "/static/css/app.css", PUBLIC),
    "health.health": ("GET", "/health", PUBLIC),
    "api_docs.docs": ("GET", "/api/docs", PUBLIC),
    "auth.login": ("GET", "/login", PUBLIC),
    "auth.forgot_password": ("GET", "/forgot-password", PUBLIC),
    "auth.reset_password": ("GET", "/reset-password/not-a-token", PUBLIC),
    "auth.logout": ("POST", "/logout", EVERYONE),
    "dashboard.index": ("GET", "/", EVERYONE),
    "dashboard.figures": ("GET", "/dashboard/figures", EVERYONE),
    "dashboard.accuracy": ("GET", "/dashboard/accuracy", EVERYONE),
    "users.profile": ("GET", "/profile", EVERYONE),
    "users.create_api_token": ("POST", "/profile/tokens", EVERYONE),
    "users.revoke_api_token": ("POST", "/profile/tokens/{token}/revoke", ADMIN),
    "users.list_users": ("GET", "/users", ADMIN),
    "users.new_user": ("GET", "/users/new", ADMIN),
    "users.export_users": ("GET", "/users/export", ADMIN),
    "users.edit_user": ("GET", "/users/{user}", ADMIN),
    "users.set_user_password": ("POST", "/users/{user}/password", ADMIN),
    "users.change_user_state": ("POST", "/users/{user}/unlock", ADMIN),
    "admin.settings": ("GET", "/admin/settings", ADMIN),
    "admin.audit_log": ("GET", "/admin/audit", ADMIN),
    "admin.jobs": ("GET", "/admin/jobs", ADMIN),
    "admin.update_setting": ("POST", "/admin/settings/reminder_days_before_close", ADMIN),
    "admin.export_audit": ("GET", "/admin/audit/export", ADMIN),
    "admin.requeue_job": ("POST", "/admin/jobs/no-such-job/requeue", ADMIN),
    "admin.run_scheduled_job": ("POST", "/admin/schedule/audit-archive/run", ADMIN),
    "customers.list_customers": ("GET", "/customers", EVERYONE),
    "customers.export_customers": ("GET", "/customers/export", EVERYONE),
    "customers.check_code": ("GET", "/customers/check-code?code=X", ADMIN),
    "customers.new_customer": ("GET", "/customers/new", ADMIN),
    "customers.detail": ("GET", "/customers/{customer}", SEES_ALL),
    "customers.edit_customer": ("GET", "/customers/{customer}/edit", ADMIN),
    "customers.change_active": ("POST", "/customers/{customer}/reactivate", ADMIN),
    "customers.reassign": ("POST", "/customers/reassign", ADMIN),
    "prices.matrix": ("GET", "/customers/{customer}/prices", SEES_ALL),
    "prices.export_matrix": ("GET", "/customers/{customer}/prices/export", SEES_ALL),
    "prices.update_entry": ("POST", "/customers/{customer}/prices/{price}", ADMIN),
    "prices.bulk_active": ("POST", "/customers/{customer}/prices/bulk", ADMIN),
    "prices.suggest": ("GET", "/customers/{customer}/prices/suggest?item_code=11", ADMIN),
    "prices.add_item": ("POST", "/customers/{customer}/prices/add", ADMIN),
    "sales.history": ("GET", "/sales", EVERYONE),
    "budget.overview": ("GET", "/budget", EVERYONE),
    "budget.export_budget": ("GET", "/budget/export", EVERYONE),
    "sales.export_history": ("GET", "/sales/export", EVERYONE),
    "imports.index": ("GET", "/imports", ADMIN),
    "imports.upload": ("POST", "/imports", ADMIN),
    "imports.template": ("GET", "/imports/templates/customers.xlsx", ADMIN),
    "imports.detail": ("GET", "/imports/{import_log}", ADMIN),
    "imports.confirm": ("POST", "/imports/{import_log}/confirm", ADMIN),
    "imports.problems": ("GET", "/imports/{import_log}/problems.xlsx", ADMIN),
    "products.list_products": ("GET", "/items", EVERYONE),
    "products.export_products": ("GET", "/items/export", EVERYONE),
    "products.new_product": ("GET", "/items/new", ADMIN),
    "products.detail": ("GET", "/items/{product}", EVERYONE),
    "products.edit_product": ("GET", "/items/{product}/edit", ADMIN),
    "products.change_active": ("POST", "/items/{product}/reactivate", ADMIN),
    "cycles.list_cycles": ("GET", "/cycles", SEES_ALL),
    "cycles.new_cycle": ("GET", "/cycles/new", ADMIN),
    "cycles.detail": ("GET", "/cycles/{cycle}", SEES_ALL),
    "cycles.edit_cycle": ("GET", "/cycles/{cycle}/edit", ADMIN),
    "cycles.change_status": ("POST", "/cycles/{cycle}/close", ADMIN),
    "submissions.board": ("GET", "/submissions", SEES_ALL),
    "submissions.changes": ("GET", "/submissions/changes?cycle={cycle}&rep={user}", SEES_ALL),
    "submissions.detail": ("GET", "/submissions/{submission}", SEES_ALL),
    "submissions.approve": ("POST", "/submissions/{submission}/approve", SEES_ALL),
    "submissions.reject": ("POST", "/submissions/{submission}/reject", SEES_ALL),
    "submissions.submit": ("POST", "/submissions/submit", frozenset({"sales_rep"})),
    "forecasts.grid": ("GET", "/forecast", EVERYONE),
    "forecasts.customer_search": ("GET", "/forecast/customers?q=a", EVERYONE),
    "forecasts.next_missing": ("GET", "/forecast/next-missing", EVERYONE),
    "forecasts.line_history": ("GET", "/forecast/history?cycle={cycle}&customer={customer}"
                               "&product={product}&rep={user}", SEES_ALL),
    "forecasts.price_rows": ("GET", "/forecast/prices?cycle={cycle}&customer={customer}",
                             SEES_ALL),
    "forecasts.save_cell": ("POST", "/forecast/cell", frozenset({"sales_rep"})),
    "forecasts.save_probability": ("POST", "/forecast/probability", frozenset({"sales_rep"})),
    "forecasts.suggest_items": ("GET", "/forecast/items/suggest?item_code=11",
                                frozenset({"sales_rep"})),
    "forecasts.add_item": ("POST", "/forecast/items", frozenset({"sales_rep"})),
    "forecasts.remove_line": ("POST", "/forecast/remove", frozenset({"sales_rep"})),
    "forecasts.copy_last_cycle": ("POST", "/forecast/copy", frozenset({"sales_rep"})),
    "forecasts.fill_row": ("POST", "/forecast/fill", frozenset({"sales_rep"})),
    "forecasts.fill_from_baseline": ("POST", "/forecast/baseline-fill", frozenset({"sales_rep"})),
    "workbooks.index": ("GET", "/workbooks", EVERYONE),
    "workbooks.download": ("GET", "/workbooks/download?cycle={cycle}&rep={user}", SEES_ALL),
    "workbooks.upload": ("POST", "/workbooks/upload", frozenset({"admin", "sales_rep"})),
    "workbooks.preview": ("GET", "/workbooks/uploads/{upload}", SEES_ALL),
    "workbooks.resolve": ("POST", "/workbooks/uploads/{upload}/sheets", ADMIN),
    "workbooks.confirm": ("POST", "/workbooks/uploads/{upload}/confirm", ADMIN),
    "workbooks.discard": ("POST", "/workbooks/uploads/{upload}/discard", ADMIN),
    # {report} is another rep's report that failed (no file): a rep gets 404.
    "reports.index": ("GET", "/reports", EVERYONE),
    "reports.filter_fields": ("GET", "/reports/filters", EVERYONE),
    "reports.generate": ("POST", "/reports", EVERYONE),
    "reports.detail": ("GET", "/reports/{report}", SEES_ALL),
    "reports.download": ("GET", "/reports/{report}/download", SEES_ALL),
    "reports.email": ("POST", "/reports/{report}/email", SEES_ALL),
    "accuracy.index": ("GET", "/accuracy", EVERYONE),
}


def test_every_route_is_in_the_access_table(app):
    # The token API (/api/v1) has its own table: tests/api/test_api_access.py.
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()
                 if not rule.rule.startswith("/api/v1/")}
    assert endpoints - set(ACCESS) == set(), "add the new routes to ACCESS"
    assert set(ACCESS) - endpoints == set(), "remove routes that no longer exist"


def request_as(client, method: str, path: str):
    if method == "GET":
        return client.get(path)
    return client.post_form(path)


@pytest.mark.parametrize("endpoint", sorted(ACCESS))
@pytest.mark.parametrize("role", [*ROLES, "anonymous"])
def test_route_access_by_role(client, make_user, make_customer, login_as, endpoint, role):
    method, template, allowed = ACCESS[endpoint]
    other = make_user("sales_rep")
    customer = make_customer(other)
    product = Product(item_code="110001", description="Peeled Garlic").save()
    price = PriceEntry(customer=customer, product=product, price=10.0).save()
    import_log = ImportLog(kind="customers", file_name="c.xlsx", uploaded_by=other,
                           problems=[ImportProblem(message="x")]).save()
    cycle = Cycle(year=2026, month=11, name="Nov 2026", planning_start=date(2026, 11, 1),
                  status="open").save()
    submission = Submission(cycle=cycle, rep=other, status="submitted").save()
    upload = WorkbookUpload(cycle=cycle, rep=other, uploaded_by=other, file_name="w.xlsx").save()
    report = Report(kind="consolidated", scope=str(other.pk), cache_key="k", requested_by=other,
                    status="failed", error="x").save()
    token = create_token(None, other, "theirs", ["read"]).token
    if role != "anonymous":
        login_as(role)
    path = template.format(token=token.pk, user=other.pk, customer=customer.pk, product=product.pk,
                           price=price.pk, import_log=import_log.pk, cycle=cycle.pk,
                           submission=submission.pk, upload=upload.pk, report=report.pk)
    response = request_as(client, method, path) if role != "anonymous" else (
        client.get(path) if method == "GET" else client.post(path))

    if allowed is PUBLIC:  # answered, never refused nor sent to sign in
        assert response.status_code not in (401, 403), response.status_code
        assert not (response.location or "").startswith("/login")
    elif role == "anonymous":
        if method == "GET":
            assert response.status_code == 302
            assert response.location.startswith("/login")
        else:
            assert response.status_code in (302, 400)  # no session, no CSRF token
    elif role in allowed:
        expected = (200, 302, 422) if endpoint in EMPTY_FORM_REFUSED else (200, 302)
        assert response.status_code in expected, response.status_code
    elif endpoint in OWNER_OR_ADMIN or (endpoint in NOT_VISIBLE and role == "sales_rep"):
        assert response.status_code == 404
    else:
        assert response.status_code == 403
        assert AuditEntry.objects(action="access_denied").count() == 1
