"""One price entry and one month of budget over the API: created and changed through the
matrix page's services and the budget import's rules, by natural key, each refusal naming
its field."""

from __future__ import annotations

from datetime import date

from sop.models import AuditEntry, BudgetEntry, PriceEntry


def test_an_admin_adds_and_changes_a_price_entry(app, make_user, make_customer, make_product,
                                                 make_price, api_as):
    customer = make_customer(make_user("sales_rep"), code="PATITO-000001")
    make_product(item_code="110001")
    api = api_as("admin")
    created = api.post("/api/v1/prices", json={"customer_code": "PATITO-000001",
                                               "item_code": "110001", "price": 41.5,
                                               "effective_from": "2027-02"})
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["price"] == 41.5
    entry = PriceEntry.objects.get(customer=customer)
    assert entry.price == 41.5 and entry.effective_from == date(2027, 2, 1)
    again = api.post("/api/v1/prices", json={"customer_code": "PATITO-000001",
                                             "item_code": "110001"})
    assert again.status_code == 409

    path = "/api/v1/prices/PATITO-000001/110001"
    changed = api.patch(path, json={"price": 39, "active": False})
    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json() | {"id": None} == {
        "id": None, "customer_code": "PATITO-000001", "item_code": "110001", "price": 39.0,
        "effective_from": "2027-02", "active": False}
    audit = AuditEntry.objects(action="price_updated").order_by("-id").first()
    assert audit.changes["price"] == {"before": 41.5, "after": 39.0}
    assert api.patch(path, json={"price": None}).get_json()["price"] is None
    assert api.get(path).get_json()["active"] is False


def test_price_refusals_name_the_field(app, make_user, make_customer, make_product, api_as):
    make_customer(make_user("sales_rep"), code="PATITO-000001")
    make_product(item_code="110001")
    make_product(item_code="110002", active=False)
    api = api_as("admin")

    def field_of(body: dict) -> str:
        refused = api.post("/api/v1/prices", json={"customer_code": "PATITO-000001",
                                                   "item_code": "110001", **body})
        assert refused.status_code == 422, refused.get_json()
        return refused.get_json()["errors"][0]["field"]

    assert field_of({"customer_code": "PATITO-999999"}) == "customer_code"
    assert field_of({"item_code": "110002"}) == "item_code"  # not an active item
    assert field_of({"effective_from": "2027-13"}) == "effective_from"
    assert field_of({"price": -1}) == "price"
    assert PriceEntry.objects.count() == 0
    assert api.patch("/api/v1/prices/PATITO-000001/110001", json={"price": 1}
                     ).status_code == 404


def test_a_month_of_budget_by_its_natural_key(app, make_user, make_customer, api_as,
                                              token_for):
    rep = make_user("sales_rep")
    make_customer(rep, code="PATITO-000001", sop_name="BAYOU FOODS")
    api = api_as("admin")
    month = {"rep_email": rep.email, "sop_name": "Bayou Foods", "year": 2027, "month": 3}
    added = api.put("/api/v1/budget", json={**month, "cases": 400, "sales": 16700})
    assert added.status_code == 201, added.get_json()
    assert added.get_json()["customer_code"] == "PATITO-000001"
    same = api.put("/api/v1/budget", json={**month, "cases": 400, "sales": 16700})
    assert same.status_code == 200 and same.get_json()["id"] == added.get_json()["id"]
    changed = api.put("/api/v1/budget", json={**month, "cases": 420})
    assert changed.get_json()["cases"] == 420 and changed.get_json()["sales"] == 0
    assert BudgetEntry.objects.count() == 1
    unmatched = api.put("/api/v1/budget", json={**month, "sop_name": "NOBODY", "cases": 1})
    assert unmatched.status_code == 201 and unmatched.get_json()["customer_code"] is None

    refused = api.put("/api/v1/budget", json={**month, "rep_email": "nobody@example.com",
                                              "cases": 1})
    assert refused.status_code == 422
    assert refused.get_json()["errors"][0]["field"] == "rep_email"
    assert BudgetEntry.objects.count() == 2

    own = token_for(rep).get(f"/api/v1/budget/{added.get_json()['id']}")
    assert own.status_code == 200 and own.get_json()["cases"] == 420
    other = token_for(make_user("sales_rep"))
    assert other.get(f"/api/v1/budget/{added.get_json()['id']}").status_code == 404
