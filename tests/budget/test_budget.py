"""Budget page: per rep and customer per month, unmatched names, scoping, export."""

from __future__ import annotations

import io
import re

from openpyxl import load_workbook

from sop.models import BudgetEntry, name_key


def budget(rep, sop_name: str, month: int, cases: float, customer=None, year: int = 2026):
    return BudgetEntry(rep=rep, sop_name=sop_name, sop_name_key=name_key(sop_name),
                       customer=customer, year=year, month=month, cases=cases,
                       sales=cases * 10).save()


def test_lines_per_rep_and_customer_with_months_as_columns(client, make_user, make_customer,
                                                           login_as):
    login_as("manager")
    rep = make_user(full_name="Jordan Reyes")
    bayou = make_customer(rep, sop_name="BAYOU FOODS")
    budget(rep, "BAYOU FOODS", 11, 100, bayou)
    budget(rep, "BAYOU FOODS", 12, 120, bayou)
    budget(rep, "GHOST MART", 12, 7)
    html = client.get("/budget").get_data(as_text=True)
    assert re.findall(r'<th scope="col" class="num">(\d{4}-\d{2})</th>', html) == [
        "2026-11", "2026-12"]
    assert "BAYOU FOODS</a>" in html and "GHOST MART" in html and "unmatched" in html
    assert ">227<" in html  # total cases
    only_unmatched = client.get("/budget?unmatched=yes", headers={"HX-Request": "true"})
    text = only_unmatched.get_data(as_text=True)
    assert "GHOST MART" in text and "BAYOU FOODS" not in text


def test_a_rep_sees_only_own_budget_and_exports_it(client, make_user, login):
    me, other = make_user(), make_user()
    budget(me, "MINE", 1, 5)
    budget(other, "THEIRS", 1, 9)
    login(me)
    html = client.get("/budget").get_data(as_text=True)
    assert "MINE" in html and "THEIRS" not in html
    sheet = load_workbook(io.BytesIO(client.get("/budget/export").data)).active
    assert [c.value for c in sheet[1]] == ["Sales Rep Email", "Customer S&OP", "Year", "Month",
                                           "Cases", "Sales"]
    assert [r[1] for r in sheet.iter_rows(min_row=2, values_only=True)] == ["MINE"]
