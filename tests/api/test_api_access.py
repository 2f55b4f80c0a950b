"""Every API operation and every role: who may, who is refused (403, audited), and what a
rep's token is told about another rep's data (404: it does not exist for them). A new
operation fails `test_every_operation_is_in_the_table` until it is listed here."""

from __future__ import annotations

from typing import Any

import pytest

from sop.models import AuditEntry, BudgetEntry, PriceEntry, Report, Submission, name_key
from sop.settings import public_settings  # noqa: F401  (the public operation's service)

ROLES = ("admin", "manager", "sales_rep")
EVERYONE = frozenset(ROLES)
ADMIN = frozenset({"admin"})
SEES_ALL = frozenset({"admin", "manager"})
REP = frozenset({"sales_rep"})
PUBLIC = None
OK = (200, 201, 202)
NOT_READY = (409,)  # the other rep's report is still queued: nothing to download or send

# endpoint: (method, path, body, roles allowed or PUBLIC, hidden from a rep?, allowed codes).
# {c} is another rep's customer code, {rep} their e-mail, {sub} their submitted plan,
# {report} their report, {user} their account id, {line} their forecast line, {budget} a
# month of their budget; {rep2} a rep whose plan is not handed in.
TABLE: dict[str, tuple[str, str, Any, frozenset[str] | None, bool, tuple[int, ...]]] = {
    "api_account.me": ("GET", "/api/v1/me", None, EVERYONE, False, OK),
    "api_account.settings_public": ("GET", "/api/v1/settings/public", None, PUBLIC, False, OK),
    "api_account.health": ("GET", "/api/v1/health", None, EVERYONE, False, OK),
    "api_account.openapi": ("GET", "/api/v1/openapi.json", None, PUBLIC, False, OK),
    "api_plans.list_cycles": ("GET", "/api/v1/cycles", None, EVERYONE, False, OK),
    "api_plans.get_cycle": ("GET", "/api/v1/cycles/2026-11", None, EVERYONE, False, OK),
    "api_plans.list_lines": ("GET", "/api/v1/cycles/2026-11/lines?customer={c}", None,
                             EVERYONE, True, OK),
    "api_plans.save_plan_cell": ("PUT", "/api/v1/cycles/2026-11/cells", {
        "customer": "{c}", "item": "110001", "field": "qty", "bucket": 1, "value": 2,
        "loaded": 4}, REP, True, OK),
    "api_plans.update_line": ("PATCH", "/api/v1/cycles/2026-11/lines/{line}", {
        "version": 1, "qty": [5]}, REP, True, OK),
    "api_plans.list_submissions": ("GET", "/api/v1/cycles/2026-11/submissions", None,
                                   EVERYONE, False, OK),
    "api_plans.submit": ("POST", "/api/v1/cycles/2026-11/submissions", {"rep": "{rep2}"},
                         REP | ADMIN, True, OK),
    "api_plans.review": ("POST", "/api/v1/submissions/{sub}/review", {"decision": "approve"},
                         SEES_ALL, False, OK),
    "api_plans.board": ("GET", "/api/v1/cycles/2026-11/board", None, SEES_ALL, False, OK),
    "api_cycles.create_cycle": ("POST", "/api/v1/cycles", {"month": "2027-01"}, ADMIN, False,
                                OK),
    "api_cycles.update_cycle": ("PATCH", "/api/v1/cycles/2026-11",
                                {"close_date": "2026-11-28"}, ADMIN, False, OK),
    "api_cycles.transition": ("POST", "/api/v1/cycles/2026-11/transitions",
                              {"action": "close"}, ADMIN, False, OK),
    "api_masterdata.list_customers": ("GET", "/api/v1/customers?rep={rep}", None, EVERYONE,
                                      True, OK),
    "api_masterdata.get_customer": ("GET", "/api/v1/customers/{c}", None, EVERYONE, True, OK),
    "api_masterdata.create_customer": ("POST", "/api/v1/customers", {
        "code": "PATITO-000777", "name": "New"}, ADMIN, False, OK),
    "api_masterdata.update_customer": ("PATCH", "/api/v1/customers/{c}", {"city": "Austin"},
                                       ADMIN, False, OK),
    "api_masterdata.list_items": ("GET", "/api/v1/items", None, EVERYONE, False, OK),
    "api_masterdata.get_item": ("GET", "/api/v1/items/110001", None, EVERYONE, False, OK),
    "api_masterdata.create_item": ("POST", "/api/v1/items", {
        "item_code": "110777", "description": "New"}, ADMIN, False, OK),
    "api_masterdata.update_item": ("PATCH", "/api/v1/items/110001", {"pack_size": "4x5"},
                                   ADMIN, False, OK),
    "api_matrix.list_prices": ("GET", "/api/v1/prices?customer={c}", None, EVERYONE, True, OK),
    "api_matrix.get_price": ("GET", "/api/v1/prices/{c}/110001", None, EVERYONE, True, OK),
    "api_matrix.create_price": ("POST", "/api/v1/prices", {
        "customer_code": "{c}", "item_code": "110002", "price": 3}, ADMIN, False, OK),
    "api_matrix.update_price": ("PATCH", "/api/v1/prices/{c}/110001", {"price": 5}, ADMIN,
                                False, OK),
    "api_matrix.list_budget": ("GET", "/api/v1/budget?rep={rep}", None, EVERYONE, True, OK),
    "api_matrix.get_budget": ("GET", "/api/v1/budget/{budget}", None, EVERYONE, True, OK),
    "api_matrix.put_budget": ("PUT", "/api/v1/budget", {
        "rep_email": "{rep}", "sop_name": "CUSTOMER 42", "year": 2027, "month": 1,
        "cases": 10}, ADMIN, False, OK),
    "api_sales.list_sales": ("GET", "/api/v1/sales?customer={c}&month_from=2026-01", None,
                             EVERYONE, True, OK),
    "api_masterdata.bulk_customers": ("POST", "/api/v1/customers/bulk", {"rows": [
        {"code": "{c}", "name": "Renamed"}]}, ADMIN, False, OK),
    "api_masterdata.bulk_items": ("POST", "/api/v1/items/bulk", {"rows": [
        {"item_code": "110001", "description": "Garlic", "uom": "CS"}]}, ADMIN, False, OK),
    "api_masterdata.bulk_prices": ("POST", "/api/v1/prices/bulk", {"rows": [
        {"customer_code": "{c}", "item_code": "110001", "price": 3}]}, ADMIN, False, OK),
    "api_masterdata.bulk_sales": ("POST", "/api/v1/sales/bulk", {"rows": [
        {"customer_code": "{c}", "item_code": "110001", "year": 2026, "month": 1,
         "quantity": 1, "sales": 4}]}, ADMIN, False, OK),
    "api_reports.request_report": ("POST", "/api/v1/reports", {
        "kind": "consolidated", "cycle": "2026-11", "customer": "{c}"}, EVERYONE, True, OK),
    "api_reports.get_report": ("GET", "/api/v1/reports/{report}", None, EVERYONE, True, OK),
    "api_reports.download_report": ("GET", "/api/v1/reports/{report}/file", None, EVERYONE,
                                    True, NOT_READY),
    "api_reports.email_report": ("POST", "/api/v1/reports/{report}/email", {
        "addresses": ["x@example.com"]}, EVERYONE, True, NOT_READY),
    "api_admin.list_users": ("GET", "/api/v1/users", None, ADMIN, False, OK),
    "api_admin.create_user": ("POST", "/api/v1/users", {
        "email": "new@example.com", "full_name": "New Person", "role": "manager"}, ADMIN,
        False, OK),
    "api_admin.update_user": ("PATCH", "/api/v1/users/{user}", {"full_name": "Renamed"},
                              ADMIN, False, OK),
    "api_admin.list_settings": ("GET", "/api/v1/settings", None, ADMIN, False, OK),
    "api_admin.update_setting": ("PUT", "/api/v1/settings/reminder_days_before_close",
                                 {"value": 4}, ADMIN, False, OK),
    "api_admin.audit_log": ("GET", "/api/v1/audit?view=critical", None, ADMIN, False, OK),
    "api_admin.own_activity": ("GET", "/api/v1/audit/mine", None, EVERYONE, False, OK),
    "api_admin.job_queues": ("GET", "/api/v1/jobs", None, ADMIN, False, OK),
}


def test_every_operation_is_in_the_table(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()
                 if rule.rule.startswith("/api/v1/")}
    assert endpoints - set(TABLE) == set(), "add the new operations to TABLE"
    assert set(TABLE) - endpoints == set(), "remove operations that no longer exist"


def _fill(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, str):
        return value.format(**names)
    if isinstance(value, list):
        return [_fill(v, names) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, names) for k, v in value.items()}
    return value


@pytest.mark.parametrize("endpoint", sorted(TABLE))
@pytest.mark.parametrize("role", [*ROLES, "anonymous"])
def test_operation_access_by_role(app, make_user, make_customer, make_product, make_cycle,
                                  make_line, token_for, endpoint, role):
    method, template, body, allowed, hidden, codes = TABLE[endpoint]
    other = make_user("sales_rep")
    customer = make_customer(other, code="PATITO-000042")
    product = make_product(item_code="110001")
    make_product(item_code="110002")
    PriceEntry(customer=customer, product=product, price=4.0).save()
    budget = BudgetEntry(rep=other, sop_name=customer.sop_name,
                         sop_name_key=name_key(customer.sop_name), customer=customer,
                         year=2026, month=12, cases=5).save()
    current = make_cycle("2026-11")
    line = make_line(current, other, customer, product, qty=[4] * 12)
    third = make_user("sales_rep")  # a plan not handed in yet, for the submit
    make_line(current, third, make_customer(third), product, qty=[1] * 12)
    submitted = Submission(cycle=current, rep=other, status="submitted",
                           submitted_by=other).save()
    report = Report(kind="consolidated", scope=str(other.pk), cache_key="k",
                    requested_by=other).save()
    names = {"c": customer.code, "rep": other.email, "rep2": third.email, "sub": str(submitted.pk),
             "report": str(report.pk), "user": str(other.pk), "line": str(line.pk),
             "budget": str(budget.pk)}
    client = app.test_client(use_cookies=False)
    headers = {} if role == "anonymous" else {
        "Authorization": f"Bearer {token_for(make_user(role)).secret}"}
    response = client.open(_fill(template, names), method=method, headers=headers,
                           json=_fill(body, names))
    status = response.status_code
    detail = response.get_data(as_text=True)[:300]
    if allowed is PUBLIC:
        assert status in codes, detail
    elif role == "anonymous":
        assert status == 401, detail
    elif role not in allowed:
        assert status == 403, detail
        assert AuditEntry.objects(action="api_token_refused").count() == 1
    elif hidden and role == "sales_rep":
        assert status == 404, detail
    else:
        assert status in codes, detail
