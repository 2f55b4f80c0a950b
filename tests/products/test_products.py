"""Items: search and filters, create/edit with checks, deactivate, detail scoped for reps."""

from __future__ import annotations

import io
import re

from openpyxl import load_workbook

from sop.models import AuditEntry, PriceEntry, Product, SalesHistory, SalesMonth


def item_codes(html: str) -> list[str]:
    return re.findall(r'<tr id="product-[0-9a-f]+".*?>(\d{6})</a>', html, re.S)


def make_product(code: str, description: str, **fields) -> Product:
    return Product(item_code=code, description=description, **fields).save()


def test_search_filter_and_sort_the_catalog(client, login_as):
    login_as("sales_rep")  # reps read the whole catalog
    make_product("110002", "Peeled Garlic 4x5 lb", category="G01 - Garlic Production",
                 manufacturing_location="Plant A - Gilroy")
    make_product("110001", "Diced Shallots 2x5 lb", category="G02 - Shallot Production")
    make_product("110003", "Garlic Salt 12x16 oz", category="G05 - Resale", active=False)

    assert item_codes(client.get("/items").get_data(as_text=True)) == ["110001", "110002"]
    assert item_codes(client.get("/items?q=peeled", headers={"HX-Request": "true"})
                      .get_data(as_text=True)) == ["110002"]
    assert item_codes(client.get("/items?q=1100").get_data(as_text=True)) == ["110001",
                                                                              "110002"]
    assert item_codes(client.get("/items?category=G05 - Resale&active=any")
                      .get_data(as_text=True)) == ["110003"]
    assert item_codes(client.get("/items?location=Plant A - Gilroy").get_data(
        as_text=True)) == ["110002"]
    assert item_codes(client.get("/items?sort=description&active=any").get_data(
        as_text=True)) == ["110001", "110003", "110002"]


def test_admin_creates_and_edits_items_with_checks(client, login_as):
    login_as("admin")
    make_product("110001", "Existing")
    bad_code = client.post_form("/items/new", {"item_code": "11A001", "description": "X",
                                               "uom": "CS", "currency": "USD"})
    assert bad_code.status_code == 422 and "exactly 6 digits" in bad_code.get_data(as_text=True)
    duplicate = client.post_form("/items/new", {"item_code": "110001", "description": "X",
                                                "uom": "CS", "currency": "USD"})
    assert duplicate.status_code == 422 and "already exists" in duplicate.get_data(as_text=True)
    negative = client.post_form("/items/new", {"item_code": "110002", "description": "X",
                                               "uom": "CS", "currency": "USD",
                                               "list_price": "-1"})
    assert negative.status_code == 422

    created = client.post_form("/items/new", {
        "item_code": "110002", "description": "Minced Garlic in Oil 6x32 oz",
        "category": "G01 - Garlic Production", "uom": "cs", "currency": "usd",
        "list_price": "41.50"})
    assert created.status_code == 302
    product = Product.objects.get(item_code="110002")
    assert product.list_price == 41.5 and product.uom == "CS" and product.currency == "USD"

    edited = client.post_form(f"/items/{product.pk}/edit", {
        "item_code": "110002", "description": "Minced Garlic in Oil 6x32 oz",
        "category": "G01 - Garlic Production", "uom": "CS", "currency": "USD",
        "list_price": "43.00"}, token_from=f"/items/{product.pk}/edit")
    assert edited.status_code == 302
    entry = AuditEntry.objects.get(action="product_updated")
    assert entry.changes == {"list_price": {"before": 41.5, "after": 43.0}}

    row = client.htmx_post(f"/items/{product.pk}/deactivate")
    assert "Inactive" in row.get_data(as_text=True)
    assert AuditEntry.objects(action="product_deactivated").count() == 1


def test_item_detail_shows_only_a_reps_own_buyers(client, make_user, make_customer, login):
    me, other = make_user(), make_user()
    product = make_product("110001", "Peeled Garlic")
    mine = make_customer(me, name="My Account")
    theirs = make_customer(other, name="Their Account")
    for customer, quantity in ((mine, 10), (theirs, 1000)):
        PriceEntry(customer=customer, product=product, price=40.0).save()
        SalesHistory(customer=customer, product=product, months=[
            SalesMonth(month=_last_month(), quantity=quantity, sales=quantity * 40.0)]).save()
    login(me)
    html = client.get(f"/items/{product.pk}").get_data(as_text=True)
    assert "My Account" in html and "Their Account" not in html
    assert "Cases per month" in html and ": 1,000</title>" not in html and ": 10</title>" in html


def test_item_export_keeps_the_import_columns(client, login_as):
    login_as("manager")
    make_product("110001", "Peeled Garlic", list_price=40.0, weight=20.5)
    sheet = load_workbook(io.BytesIO(client.get("/items/export").data)).active
    header = [c.value for c in sheet[1]]
    assert header[:2] == ["Item Code", "Description"] and "List Price" in header
    row = [c.value for c in sheet[2]]
    assert row[0] == "110001" and row[header.index("List Price")] == 40.0


def _last_month() -> str:
    from sop.customers.services import last_months

    return last_months(1)[0]
