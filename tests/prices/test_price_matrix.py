"""The price matrix: inline cell edits with validation, bulk (de)activation, adding items."""

from __future__ import annotations

from datetime import date

from sop.models import AuditEntry, PriceEntry, Product


def setup_matrix(make_user, make_customer):
    rep = make_user()
    customer = make_customer(rep, code="PATITO-000001")
    garlic = Product(item_code="110001", description="Peeled Garlic").save()
    shallot = Product(item_code="110002", description="Diced Shallots").save()
    entries = [PriceEntry(customer=customer, product=p, price=40.0).save()
               for p in (garlic, shallot)]
    return rep, customer, entries


def test_a_price_cell_saves_on_change_and_returns_its_row(client, make_user, make_customer,
                                                         login_as):
    login_as("admin")
    _, customer, (entry, _) = setup_matrix(make_user, make_customer)
    url = f"/customers/{customer.pk}/prices/{entry.pk}"
    saved = client.htmx_post(url, {"price": "$1,042.5"})
    assert saved.status_code == 200
    assert 'value="1042.50"' in saved.get_data(as_text=True)
    assert PriceEntry.objects.get(id=entry.pk).price == 1042.5
    audit = AuditEntry.objects.get(action="price_updated")
    assert audit.changes == {"price": {"before": 40.0, "after": 1042.5}}

    refused = client.htmx_post(url, {"price": "-3"})
    assert refused.status_code == 422
    assert "cannot be negative" in refused.get_data(as_text=True)
    assert PriceEntry.objects.get(id=entry.pk).price == 1042.5

    month = client.htmx_post(url, {"effective_from": "2026-03"})
    assert month.status_code == 200
    assert PriceEntry.objects.get(id=entry.pk).effective_from == date(2026, 3, 1)
    inactive = client.htmx_post(url, {"active_sent": "1"})  # unchecked box: no "active"
    assert f'<tr id="price-{entry.pk}" class="inactive">' in inactive.get_data(as_text=True)
    assert not PriceEntry.objects.get(id=entry.pk).active


def test_bulk_deactivate_and_activate(client, make_user, make_customer, login_as):
    login_as("admin")
    _, customer, entries = setup_matrix(make_user, make_customer)
    client.post_form(f"/customers/{customer.pk}/prices/bulk",
                     {"action": "deactivate", "entry": [str(e.pk) for e in entries]},
                     token_from=f"/customers/{customer.pk}/prices")
    assert PriceEntry.objects(customer=customer, active=True).count() == 0
    page = client.get(f"/customers/{customer.pk}/prices").get_data(as_text=True)
    assert "2 item(s) deactivated" in page
    client.post_form(f"/customers/{customer.pk}/prices/bulk",
                     {"action": "activate", "entry": [str(entries[0].pk)]},
                     token_from=f"/customers/{customer.pk}/prices")
    assert PriceEntry.objects(customer=customer, active=True).count() == 1


def test_adding_an_item_from_the_catalog(client, make_user, make_customer, login_as):
    login_as("admin")
    _, customer, _ = setup_matrix(make_user, make_customer)
    Product(item_code="110003", description="Garlic Puree").save()
    Product(item_code="110004", description="Old Item", active=False).save()
    suggestions = client.get(f"/customers/{customer.pk}/prices/suggest?item_code=1100")
    html = suggestions.get_data(as_text=True)
    assert "110003" in html and "110001" not in html and "110004" not in html

    client.post_form(f"/customers/{customer.pk}/prices/add", {"item_code": "110003",
                                                              "price": "12.5"},
                     token_from=f"/customers/{customer.pk}/prices")
    assert PriceEntry.objects(customer=customer).count() == 3
    again = client.post_form(f"/customers/{customer.pk}/prices/add", {"item_code": "110003"},
                             token_from=f"/customers/{customer.pk}/prices")
    assert again.status_code == 302
    assert "already in this customer" in client.get(again.location).get_data(as_text=True)


def test_reps_read_their_customers_matrix_only(client, make_user, make_customer, login):
    rep, customer, _ = setup_matrix(make_user, make_customer)
    other_customer = make_customer(make_user())
    login(rep)
    page = client.get(f"/customers/{customer.pk}/prices")
    assert page.status_code == 200 and "Peeled Garlic" in page.get_data(as_text=True)
    assert 'name="price"' not in page.get_data(as_text=True)  # read-only for reps
    assert client.get(f"/customers/{other_customer.pk}/prices").status_code == 404


def test_the_matrix_exports_in_the_import_format(client, make_user, make_customer, login):
    import io

    from openpyxl import load_workbook

    rep, customer, _ = setup_matrix(make_user, make_customer)
    login(rep)
    sheet = load_workbook(io.BytesIO(client.get(
        f"/customers/{customer.pk}/prices/export").data)).active
    assert [c.value for c in sheet[1]] == ["Customer Code", "Item Code", "Description",
                                           "Customer Price", "Effective From", "Active"]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[1], r[3]) for r in rows] == [("PATITO-000001", "110001", 40.0),
                                                  ("PATITO-000001", "110002", 40.0)]
