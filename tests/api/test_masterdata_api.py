"""Master data over the API: scoped lists and reads, writes through the services, bulk
upserts through the Excel import's rules (all or nothing, idempotent, problems per row)."""

from __future__ import annotations

from sop.models import AuditEntry, Customer, PriceEntry, Product, SalesHistory


def _sales_row(customer: str, item: str, month: int, quantity: float = 10) -> dict:
    return {"customer_code": customer, "item_code": item, "year": 2026, "month": month,
            "quantity": quantity, "unit_price": 4.0, "sales": quantity * 4.0}


def test_a_reps_token_lists_and_reads_only_own_customers(app, make_user, make_customer,
                                                         token_for):
    rep, other = make_user("sales_rep"), make_user("sales_rep")
    mine = make_customer(rep, code="PATITO-000001")
    make_customer(other, code="PATITO-000002")
    api = token_for(rep)
    listed = api.get("/api/v1/customers").get_json()
    assert [c["code"] for c in listed["customers"]] == [mine.code]
    assert listed["customers"][0]["rep_email"] == rep.email
    assert api.get("/api/v1/customers/PATITO-000002").status_code == 404
    assert api.get("/api/v1/customers?rep=" + other.email).status_code == 404
    manager = token_for(make_user("manager"))
    assert len(manager.get("/api/v1/customers").get_json()["customers"]) == 2


def test_cursor_pages_walk_every_row_once(app, make_product, api_as):
    for number in range(7):
        make_product(item_code=f"{110001 + number}")
    api = api_as("manager")
    seen, cursor = [], None
    while True:
        page = api.get("/api/v1/items?limit=3" + (f"&cursor={cursor}" if cursor else "")
                       ).get_json()
        seen += [i["item_code"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == [f"{110001 + n}" for n in range(7)]


def test_an_admin_creates_and_updates_a_customer_through_the_service(app, make_user,
                                                                    token_for):
    admin, rep = make_user("admin"), make_user("sales_rep")
    api = token_for(admin)
    created = api.post("/api/v1/customers", json={"code": "PATITO-000009", "name": "Bayou",
                                                  "sop_name": "BAYOU", "rep_email": rep.email})
    assert created.status_code == 201, created.get_json()
    changed = api.patch("/api/v1/customers/PATITO-000009", json={"territory": "South"})
    assert changed.get_json()["territory"] == "South"
    assert changed.get_json()["name"] == "Bayou"  # fields not sent stay
    assert AuditEntry.objects(action="customer_updated").count() == 1
    clash = api.post("/api/v1/customers", json={"code": "patito-000009", "name": "Again"})
    assert clash.status_code == 422 and clash.get_json()["errors"][0]["field"] == "code"
    rep_api = token_for(rep)
    assert rep_api.patch("/api/v1/customers/PATITO-000009", json={"territory": "X"}
                         ).status_code == 403


def test_bulk_sales_is_all_or_nothing_with_problems_per_row(app, make_customer, make_product,
                                                             api_as):
    make_customer(code="PATITO-000001")
    make_product(item_code="110001")
    api = api_as("admin")
    refused = api.post("/api/v1/sales/bulk", json={"rows": [
        _sales_row("PATITO-000001", "110001", 1),
        _sales_row("PATITO-999999", "110001", 2),
        _sales_row("PATITO-000001", "110001", 1)]})
    assert refused.status_code == 422
    errors = refused.get_json()["errors"]
    assert {"row": 2, "field": "customer_code", "value": "PATITO-999999"}.items() <= \
        errors[0].items()
    assert any(e["row"] == 3 and "Same" in e["message"] for e in errors)
    assert SalesHistory.objects.count() == 0  # nothing written


def test_bulk_sales_upserts_and_a_resent_batch_changes_nothing(app, make_customer,
                                                               make_product, api_as):
    make_customer(code="PATITO-000001")
    make_product(item_code="110001")
    api = api_as("admin")
    rows = [_sales_row("PATITO-000001", "110001", month) for month in (1, 2, 3)]
    first = api.post("/api/v1/sales/bulk", json={"rows": rows}).get_json()
    assert (first["added"], first["written"], first["applied"]) == (3, 1, True)
    history = SalesHistory.objects.get()
    assert [m.quantity for m in history.months] == [10, 10, 10]
    again = api.post("/api/v1/sales/bulk", json={"rows": rows}).get_json()
    assert (again["unchanged"], again["written"]) == (3, 0)
    rows[1]["quantity"] = 25
    changed = api.post("/api/v1/sales/bulk", json={"rows": rows}).get_json()
    assert changed["changed"] == 1
    assert [m.quantity for m in SalesHistory.objects.get().months] == [10, 25, 10]


def test_whole_numbers_sent_as_json_floats_are_taken(app, make_customer, make_product,
                                                      api_as):
    """JSON Schema's integer takes 2.0: a batch mixing 1 and 2.0 reads like any other."""
    make_customer(code="PATITO-000001")
    make_product(item_code="110001")
    rows = [_sales_row("PATITO-000001", "110001", 1), _sales_row("PATITO-000001", "110001", 2)]
    rows[1]["month"], rows[1]["year"] = 2.0, 2026.0
    pushed = api_as("admin").post("/api/v1/sales/bulk", json={"rows": rows})
    assert pushed.status_code == 200, pushed.get_json()
    assert [m.month for m in SalesHistory.objects.get().months] == ["2026-01", "2026-02"]


def test_overlapping_pushes_to_one_bucket_lose_no_month(app, make_customer, make_product,
                                                         api_as, monkeypatch):
    """Push A (February) has read the bucket when push B (March) commits; A's write must not
    drop March: it is built again on what B left, or refused (409) with nothing kept."""
    from sop.imports.handlers import SalesImport

    make_customer(code="PATITO-000001")
    make_product(item_code="110001")
    api = api_as("admin")
    assert api.post("/api/v1/sales/bulk", json={
        "rows": [_sales_row("PATITO-000001", "110001", 1)]}).status_code == 200
    expand, other_push = SalesImport.expand, []

    def b_commits_after_a_has_read(self, operations, *session):
        built = expand(self, operations, *session)
        if not other_push:
            other_push.append(None)  # once: B's own build passes through here too
            other_push[0] = api.post("/api/v1/sales/bulk", json={
                "rows": [_sales_row("PATITO-000001", "110001", 3)]})
        return built

    monkeypatch.setattr(SalesImport, "expand", b_commits_after_a_has_read)
    push_a = api.post("/api/v1/sales/bulk", json={
        "rows": [_sales_row("PATITO-000001", "110001", 2)]})
    assert other_push[0].status_code == 200
    monkeypatch.undo()
    months = [m.month for m in SalesHistory.objects.get().months]
    if push_a.status_code == 409:  # refused: nothing of it kept, sent again it lands
        assert months == ["2026-01", "2026-03"]
        assert api.post("/api/v1/sales/bulk", json={
            "rows": [_sales_row("PATITO-000001", "110001", 2)]}).status_code == 200
    else:
        assert push_a.status_code == 200
    assert [m.month for m in SalesHistory.objects.get().months] == [
        "2026-01", "2026-02", "2026-03"]


def test_bulk_rows_are_refused_where_the_document_says_so(app, make_customer, make_product,
                                                         api_as):
    """Values the Excel import's rules would take from a cell (a number typed as text, TRUE as
    month 1, a padded item code) are not what the OpenAPI document allows in JSON."""
    make_customer(code="PATITO-000001")
    make_product(item_code="110001")
    api = api_as("admin")
    rows = [_sales_row("PATITO-000001", "110001", month) for month in range(1, 8)]
    rows[0]["quantity"] = "5"
    rows[1]["month"] = True
    rows[2]["item_code"] = " 110001"
    rows[3]["colour"] = "red"
    del rows[4]["sales"]
    rows[5]["customer_code"] = "PATITO-000001" + " " * 40
    refused = api.post("/api/v1/sales/bulk", json={"rows": [*rows, "not a row"]})
    assert refused.status_code == 422
    assert {e["field"] for e in refused.get_json()["errors"]} == {
        "rows.0.quantity", "rows.1.month", "rows.2.item_code", "rows.3.colour",
        "rows.4.sales", "rows.5.customer_code", "rows.7"}
    assert SalesHistory.objects.count() == 0
    assert api.post("/api/v1/sales/bulk", json={"rows": [rows[6]]}).status_code == 200


def test_a_customer_added_between_batches_is_known_to_the_next_one(app, make_customer,
                                                                   make_product, api_as):
    make_customer(code="PATITO-000001")
    make_product(item_code="110001")
    api = api_as("admin")
    assert api.post("/api/v1/sales/bulk", json={"rows": [
        _sales_row("PATITO-000001", "110001", 1)]}).status_code == 200
    later = {"rows": [_sales_row("PATITO-000002", "110001", 1)]}
    assert api.post("/api/v1/sales/bulk", json=later).status_code == 422
    make_customer(code="PATITO-000002")
    assert api.post("/api/v1/sales/bulk", json=later).get_json()["written"] == 1


def test_bulk_customers_items_and_prices(app, make_user, api_as):
    rep = make_user("sales_rep")
    api = api_as("admin")
    items = api.post("/api/v1/items/bulk", json={"rows": [
        {"item_code": "110001", "description": "Peeled Garlic", "uom": "cs"}]})
    assert items.status_code == 200, items.get_json()
    assert Product.objects.get().uom == "CS"
    customers = api.post("/api/v1/customers/bulk", json={"rows": [
        {"code": "PATITO-000001", "name": "Bayou", "rep_email": rep.email}]})
    assert customers.status_code == 200, customers.get_json()
    assert Customer.objects.get().sales_rep.pk == rep.pk
    prices = api.post("/api/v1/prices/bulk", json={"rows": [
        {"customer_code": "PATITO-000001", "item_code": "110001", "price": 4.5,
         "effective_from": "2026-01"}]})
    assert prices.status_code == 200, prices.get_json()
    assert PriceEntry.objects.get().price == 4.5
    bad = api.post("/api/v1/prices/bulk", json={"rows": [
        {"customer_code": "PATITO-000001", "item_code": "110001", "effective_from": "03/04/2025"}
    ]})
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["field"] == "effective_from"
    unknown = api.post("/api/v1/items/bulk", json={"rows": [
        {"item_code": "110002", "description": "x", "uom": "CS", "colour": "red"}]})
    assert unknown.status_code == 422
    assert unknown.get_json()["errors"][0]["field"] == "rows.0.colour"
