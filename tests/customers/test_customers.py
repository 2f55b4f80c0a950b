"""Customers: search and filters, scoping for reps, create/edit with checks, reassign, export."""

from __future__ import annotations

import io
import re

from openpyxl import load_workbook

from sop.models import AuditEntry, Customer, PriceEntry, Product, SalesHistory, SalesMonth


def codes(html: str) -> list[str]:
    return re.findall(r'<tr id="customer-[0-9a-f]+".*?>(PATITO-\d+)</a>', html, re.S)


def test_search_matches_code_name_sop_name_and_aliases(client, make_user, make_customer,
                                                       login_as):
    login_as("manager")
    rep = make_user()
    make_customer(rep, code="PATITO-000001", name="Averit Foods LLC", sop_name="AVERIT",
                  aliases=["AVERRIT"])
    make_customer(rep, code="PATITO-000002", name="Bayou Produce", sop_name="BAYOU PRODUCE")
    def search(text: str) -> list[str]:
        return codes(client.get(f"/customers?q={text}",
                                headers={"HX-Request": "true"}).get_data(as_text=True))

    assert search("patito-000002") == ["PATITO-000002"]
    assert search("aver") == ["PATITO-000001"]
    assert search("averrit") == ["PATITO-000001"]  # an alias finds it too
    assert search("bayou%20p") == ["PATITO-000002"]
    assert search("(") == []  # searched literally


def test_filters_and_sort(client, make_user, make_customer, login_as):
    login_as("admin")
    north, south = make_user(full_name="Lee Chen"), make_user(full_name="Jordan Reyes")
    make_customer(north, code="PATITO-000003", sop_name="ZEBRA", territory="North")
    make_customer(south, code="PATITO-000001", sop_name="MANGO", territory="South")
    make_customer(south, code="PATITO-000002", sop_name="APPLE", territory="South", active=False)

    default = client.get("/customers").get_data(as_text=True)
    assert codes(default) == ["PATITO-000001", "PATITO-000003"]  # active only, by S&OP name
    assert codes(client.get("/customers?active=any").get_data(as_text=True)) == [
        "PATITO-000002", "PATITO-000001", "PATITO-000003"]
    assert codes(client.get(f"/customers?rep={south.pk}&active=any").get_data(
        as_text=True)) == ["PATITO-000002", "PATITO-000001"]
    assert codes(client.get("/customers?territory=North").get_data(as_text=True)) == [
        "PATITO-000003"]
    assert codes(client.get("/customers?sort=code&active=any").get_data(as_text=True)) == [
        "PATITO-000001", "PATITO-000002", "PATITO-000003"]


def test_a_rep_sees_only_own_customers_everywhere(client, make_user, make_customer, login,
                                                  app):
    me, other = make_user(), make_user()
    mine = make_customer(me, code="PATITO-000001")
    theirs = make_customer(other, code="PATITO-000002", name="Secret Account")
    login(me)
    page = client.get("/customers?active=any").get_data(as_text=True)
    assert codes(page) == ["PATITO-000001"] and "1 result" in page
    assert client.get("/customers?q=PATITO-000002").get_data(as_text=True).count(
        "Secret Account") == 0
    assert client.get(f"/customers/{theirs.pk}").status_code == 404
    assert client.get(f"/customers/{mine.pk}").status_code == 200
    exported = load_workbook(io.BytesIO(client.get("/customers/export?active=any").data)).active
    assert [row[0] for row in exported.iter_rows(min_row=2, values_only=True)] == [
        "PATITO-000001"]
    assert client.get(f"/customers/{mine.pk}/edit").status_code == 403


def test_admin_creates_a_customer_with_checks(client, make_user, make_customer, login_as):
    login_as("admin")
    rep = make_user(full_name="Sam Patel")
    inactive_rep = make_user()
    inactive_rep.update(set__active=False)
    make_customer(rep, code="PATITO-000001", name="Taken LLC")

    check = client.get("/customers/check-code?code=patito-000001").get_data(as_text=True)
    assert "already used by Taken LLC" in check
    assert "Code is free" in client.get("/customers/check-code?code=PATITO-000009").get_data(
        as_text=True)

    duplicate = client.post_form("/customers/new", {"code": "PATITO-000001", "name": "X",
                                                    "sales_rep": str(rep.pk)})
    assert duplicate.status_code == 422 and "already used" in duplicate.get_data(as_text=True)
    bad_rep = client.post_form("/customers/new", {"code": "PATITO-000009", "name": "X",
                                                  "sales_rep": str(inactive_rep.pk)})
    assert bad_rep.status_code == 422
    assert "Choose an active sales rep" in bad_rep.get_data(as_text=True)

    created = client.post_form("/customers/new", {
        "code": "PATITO-000009", "name": "<script>alert(1)</script> Foods",
        "sop_name": "NEW FOODS", "sales_rep": str(rep.pk), "territory": "West",
        "credit_limit": "5000", "aliases": "NEWFOODS\nNew  Foods Inc"})
    assert created.status_code == 302
    customer = Customer.objects.get(code="PATITO-000009")
    assert customer.sales_rep.pk == rep.pk and customer.aliases == ["new foods inc", "newfoods"]
    page = client.get(created.location).get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Foods" in page and "<script>alert" not in page
    assert AuditEntry.objects(action="customer_created").count() == 1


def test_editing_and_deactivating_are_audited(client, make_user, make_customer, login_as):
    login_as("admin")
    rep = make_user()
    customer = make_customer(rep, code="PATITO-000001", territory="North")
    response = client.post_form(f"/customers/{customer.pk}/edit", {
        "code": "PATITO-000001", "name": customer.name, "sop_name": customer.sop_name,
        "sales_rep": str(rep.pk), "territory": "South"},
        token_from=f"/customers/{customer.pk}/edit")
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action="customer_updated")
    assert entry.changes == {"territory": {"before": "North", "after": "South"}}

    row = client.htmx_post(f"/customers/{customer.pk}/deactivate")
    assert row.status_code == 200 and "Inactive" in row.get_data(as_text=True)
    assert not Customer.objects.get(id=customer.pk).active
    assert AuditEntry.objects(action="customer_deactivated").count() == 1


def test_reassigning_a_set_of_customers_in_one_action(client, make_user, make_customer,
                                                      login_as):
    login_as("admin")
    old, new = make_user(), make_user(full_name="Maria Gomez")
    moving = [make_customer(old), make_customer(old)]
    staying = make_customer(old)
    response = client.post_form("/customers/reassign", {
        "sales_rep": str(new.pk), "customer": [str(c.pk) for c in moving]},
        token_from="/customers")
    assert response.status_code == 302
    assert "2 customers reassigned" in client.get("/customers").get_data(as_text=True)
    assert {c.sales_rep.pk for c in Customer.objects(id__in=[c.pk for c in moving])} == {new.pk}
    assert Customer.objects.get(id=staying.pk).sales_rep.pk == old.pk
    assert AuditEntry.objects(action="customer_updated").count() == 2


def test_detail_shows_items_prices_and_24_months_of_sales(client, make_user, make_customer,
                                                          login_as):
    from sop.customers.services import last_months

    login_as("manager")
    customer = make_customer(make_user())
    product = Product(item_code="110001", description="Peeled Garlic 4x5 lb").save()
    PriceEntry(customer=customer, product=product, price=42.5).save()
    months = last_months(24)
    SalesHistory(customer=customer, product=product, months=[
        SalesMonth(month=months[-1], quantity=10, sales=425.0, gross_profit=100.0),
        SalesMonth(month=months[0], quantity=5, sales=212.5, gross_profit=50.0),
        SalesMonth(month="2001-01", quantity=99, sales=1.0),  # too old: not shown
    ]).save()
    html = client.get(f"/customers/{customer.pk}").get_data(as_text=True)
    assert "Peeled Garlic 4x5 lb" in html and "42.50" in html
    assert html.count('class="bar"') == 48  # two charts of 24 months
    assert "<td class=\"num\">15</td>" in html and "637.50" in html  # totals row


def test_export_respects_filters_and_types(client, make_user, make_customer, login_as):
    login_as("admin")
    rep = make_user()
    make_customer(rep, code="PATITO-000001", territory="North", credit_limit=2500.0,
                  name="=HYPERLINK(\"http://x\")")
    make_customer(rep, code="PATITO-000002", territory="South")
    response = client.get("/customers/export?territory=North")
    assert response.headers["Content-Disposition"].startswith("attachment; filename=customers-")
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 1 and rows[0][0] == "PATITO-000001"
    assert rows[0][16] == 2500.0
    assert sheet["B2"].data_type == "s" and sheet["B2"].value.startswith("=HYPERLINK")
