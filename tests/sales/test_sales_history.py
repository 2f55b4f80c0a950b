"""Sales history: rows and monthly totals, exact month ranges across years, scoping, export."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
from openpyxl import load_workbook

from sop.models import Product, SalesHistory, SalesMonth
from sop.sales.services import SalesFilters, months_between


def history(customer, product, months: dict[str, float], price: float = 10.0):
    return SalesHistory(customer=customer, product=product, months=[
        SalesMonth(month=m, quantity=q, unit_price=price, sales=q * price, cogs=q * price * 0.7,
                   gross_profit=q * price * 0.3) for m, q in sorted(months.items())]).save()


@pytest.fixture
def company(make_user, make_customer):
    north, south = make_user(full_name="Lee Chen"), make_user(full_name="Jordan Reyes")
    garlic = Product(item_code="110001", description="Peeled Garlic").save()
    shallot = Product(item_code="110002", description="Diced Shallots").save()
    avery = make_customer(north, code="PATITO-000001", sop_name="AVERIT", territory="North")
    bayou = make_customer(south, code="PATITO-000002", sop_name="BAYOU", territory="South")
    history(avery, garlic, {"2025-11": 10, "2025-12": 20, "2026-01": 30, "2026-02": 40})
    history(avery, shallot, {"2025-12": 5})
    history(bayou, garlic, {"2025-12": 100, "2026-01": 200})
    return {"north": north, "south": south, "avery": avery, "bayou": bayou}


def test_months_between_crosses_year_boundaries():
    assert months_between("2025-11", "2026-02") == ["2025-11", "2025-12", "2026-01", "2026-02"]
    assert months_between("2026-01", "2026-01") == ["2026-01"]


def test_bad_and_swapped_month_ranges_are_explained():
    swapped = SalesFilters(month_from="2026-02", month_to="2025-11")
    assert (swapped.month_from, swapped.month_to) == ("2025-11", "2026-02")
    assert "swapped" in swapped.problems[0]
    assert "YYYY-MM" in SalesFilters(month_from="03/04/2025").problems[0]


def test_a_month_range_returns_exactly_those_months(client, company, login_as):
    login_as("manager")
    html = client.get("/sales?month_from=2025-12&month_to=2026-01").get_data(as_text=True)
    months = re.findall(r"<td>(\d{4}-\d{2})</td>", html)
    assert sorted(set(months)) == ["2025-12", "2026-01"]
    assert "Total of 5 rows" in html
    assert ">355<" in html  # 20 + 30 + 5 + 100 + 200 cases


def test_monthly_totals_fill_empty_months_with_zero(client, company, login_as):
    login_as("admin")
    html = client.get("/sales?view=monthly&month_from=2025-10&month_to=2026-02",
                      headers={"HX-Request": "true"}).get_data(as_text=True)
    rows = re.findall(r"<tr><td>(\d{4}-\d{2})</td><td class=\"num\">([\d,]+)</td>", html)
    assert rows == [("2025-10", "0"), ("2025-11", "10"), ("2025-12", "125"), ("2026-01", "230"),
                    ("2026-02", "40")]


def test_filters_by_customer_item_rep_and_territory(client, company, login_as):
    login_as("admin")
    base = "/sales?month_from=2025-01&month_to=2026-12"
    def total(query: str) -> str:
        html = client.get(base + query).get_data(as_text=True)
        return re.search(r"Total of ([\d,]+) rows", html).group(1)

    assert total("") == "7"
    assert total("&customer=bayou") == "2"
    assert total("&item=110002") == "1"
    assert total(f"&rep={company['north'].pk}") == "5"
    assert total("&territory=South") == "2"


def test_a_rep_sees_only_own_customers_sales(client, company, login):
    login(company["south"])
    html = client.get("/sales?month_from=2025-01&month_to=2026-12").get_data(as_text=True)
    assert "PATITO-000002" in html and "PATITO-000001" not in html
    assert "Total of 2 rows" in html
    assert "PATITO-000001" not in client.get(
        "/sales?customer=PATITO-000001&month_from=2025-01&month_to=2026-12").get_data(
        as_text=True).split("<tbody>")[1]
    exported = load_workbook(io.BytesIO(client.get(
        "/sales/export?month_from=2025-01&month_to=2026-12").data)).active
    assert {row[0] for row in exported.iter_rows(min_row=2, values_only=True)} == {
        "PATITO-000002"}


def test_export_has_real_dates_and_numbers(client, company, login_as):
    login_as("admin")
    sheet = load_workbook(io.BytesIO(client.get(
        "/sales/export?customer=PATITO-000001&item=110001&month_from=2025-12&month_to=2026-01"
    ).data)).active
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[2], r[4].date(), r[5], r[7]) for r in rows] == [
        ("PATITO-000001", "110001", date(2025, 12, 1), 20.0, 200.0),
        ("PATITO-000001", "110001", date(2026, 1, 1), 30.0, 300.0)]
    assert sheet["K2"].value == pytest.approx(0.3)


@pytest.mark.parametrize("query", ["", "&customer=PATITO-000001", "&item=110001",
                                   "&territory=South"])
def test_the_narrow_and_the_aggregated_paths_agree(client, company, login_as, monkeypatch,
                                                   query):
    import sop.sales.services as sales

    login_as("admin")
    pages = {}
    for limit in (0, 1000):  # never narrow, always narrow
        monkeypatch.setattr(sales, "NARROW_CUSTOMERS", limit)
        rows = client.get(f"/sales?month_from=2025-01&month_to=2026-12{query}").get_data(
            as_text=True).split("<tbody>")[1]
        monthly = client.get(f"/sales?view=monthly&month_from=2025-01&month_to=2026-12{query}"
                             ).get_data(as_text=True).split("<tbody>")[1]
        pages[limit] = (rows, monthly)
    assert pages[0] == pages[1000]
