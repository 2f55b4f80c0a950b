"""Sales history over the API: one entry per customer and item with its months in the range
asked, in cursor pages, a rep's token seeing the rep's customers only."""

from __future__ import annotations


def _row(customer: str, item: str, month: int, quantity: float) -> dict:
    return {"customer_code": customer, "item_code": item, "year": 2026, "month": month,
            "quantity": quantity, "unit_price": 4.0, "sales": quantity * 4.0}


def test_actuals_by_customer_and_item_in_a_month_range(app, make_user, make_customer,
                                                       make_product, api_as, token_for):
    rep, other = make_user("sales_rep"), make_user("sales_rep")
    make_customer(rep, code="PATITO-000001")
    make_customer(other, code="PATITO-000002")
    make_product(item_code="110001")
    make_product(item_code="110002")
    admin = api_as("admin")
    pushed = admin.post("/api/v1/sales/bulk", json={"rows": [
        _row("PATITO-000001", "110001", 1, 10), _row("PATITO-000001", "110001", 2, 11),
        _row("PATITO-000001", "110002", 2, 5), _row("PATITO-000002", "110001", 3, 7)]})
    assert pushed.status_code == 200, pushed.get_json()

    february = admin.get("/api/v1/sales?month_from=2026-02&month_to=2026-02").get_json()
    assert [(s["customer_code"], s["item_code"], [m["month"] for m in s["months"]])
            for s in february["sales"]] == [("PATITO-000001", "110001", ["2026-02"]),
                                            ("PATITO-000001", "110002", ["2026-02"])]
    assert february["sales"][0]["months"][0] == {
        "month": "2026-02", "quantity": 11.0, "unit_price": 4.0, "sales": 44.0, "cogs": None,
        "gross_profit": None}

    seen, cursor = [], None
    while True:
        page = admin.get("/api/v1/sales?limit=1&item=110001" + (
            f"&cursor={cursor}" if cursor else "")).get_json()
        seen += [(s["customer_code"], len(s["months"])) for s in page["sales"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [("PATITO-000001", 2), ("PATITO-000002", 1)]

    mine = token_for(rep).get("/api/v1/sales").get_json()["sales"]
    assert {s["customer_code"] for s in mine} == {"PATITO-000001"}
    assert token_for(rep).get("/api/v1/sales?customer=PATITO-000002").status_code == 404
    swapped = admin.get("/api/v1/sales?month_from=2026-03&month_to=2026-01")
    assert swapped.status_code == 422 and swapped.get_json()["errors"][0]["field"] == "month_to"
    assert admin.get("/api/v1/sales?month_from=2026-13").status_code == 422
