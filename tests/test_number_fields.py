"""Issue 13, finding 4: every number field of every form, htmx endpoint and import refuses
non-finite, foreign-digit and absurd values with a sentence (never a 500, never stored), and
control characters never reach the database or make an export fail."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from openpyxl import load_workbook

from sop.excel.import_formats import to_text
from sop.models import Customer, ForecastLine, ImportLog, PriceEntry, Product
from sop.settings import get_setting
from tests.conftest import DEFAULT_PASSWORD
from tests.excel.builders import workbook_bytes

BAD_NUMBERS = ["sNaN", "NaN", "nan", "inf", "-Infinity", "1e309", "1e999999", "1e308",
               "2e12", "\u0663", "1\u0660", "12\x00", "0x10"]
REFUSALS = ("Enter a number", "at most 1,000,000,000,000", "Enter a whole number")


@pytest.fixture
def world(make_user, make_customer, make_product, make_price, make_cycle, make_line):
    rep, admin = make_user("sales_rep"), make_user("admin")
    customer = make_customer(rep, code="PATITO-000001", credit_limit=5000.0)
    garlic = make_product("110001", "Peeled Garlic", list_price=50.0)
    shallot = make_product("110002", "Diced Shallots", list_price=30.0)
    entry = make_price(customer, garlic, 40.0)
    cycle = make_cycle("2026-11")
    line = make_line(cycle, rep, customer, garlic, qty=[10, 20, 30, 40], price=[45.0])
    return {"rep": rep, "admin": admin, "customer": customer, "garlic": garlic,
            "shallot": shallot, "entry": entry, "cycle": cycle, "line": line}


@dataclass(frozen=True)
class NumberField:
    """One number input somewhere in the portal: who posts it, how, and what must not change."""

    name: str
    role: str
    post: Callable[[Any, dict, str], Any]  # (client, world, value) -> response
    stored: Callable[[dict], Any]  # what the database holds for it (must stay the same)


def grid_cell(what: str, bucket: str = "0") -> Callable[[Any, dict, str], Any]:
    def post(client, w, value):
        return client.htmx_post("/forecast/cell", {
            "cycle": str(w["cycle"].pk), "customer": str(w["customer"].pk),
            "product": str(w["garlic"].pk), "field": what, "bucket": bucket,
            "value": value, "was": "10" if what == "qty" else "45"})
    return post


def line_figures(w: dict) -> tuple:
    line = ForecastLine.objects.get(id=w["line"].pk)
    return tuple(line.qty), tuple(line.price)


FIELDS = [
    NumberField("customer credit limit", "admin", lambda c, w, v: c.post_form(
        "/customers/new", {"code": "PATITO-000777", "name": "New Customer",
                           "credit_limit": v}),
                lambda w: Customer.objects(code="PATITO-000777").count()),
    NumberField("customer credit limit (edit)", "admin", lambda c, w, v: c.post_form(
        f"/customers/{w['customer'].pk}/edit", {"code": "PATITO-000001", "name": "Renamed",
                                                 "credit_limit": v}),
                lambda w: (Customer.objects.get(id=w["customer"].pk).credit_limit,
                           Customer.objects.get(id=w["customer"].pk).name)),
    *[NumberField(f"item {field}", "admin", lambda c, w, v, field=field: c.post_form(
        "/items/new", {"item_code": "110777", "description": "New", "uom": "CS",
                       "currency": "USD", field: v}),
                  lambda w: Product.objects(item_code="110777").count())
      for field in ("weight", "list_price", "cost_price")],
    NumberField("grid quantity", "sales_rep", grid_cell("qty"), line_figures),
    NumberField("grid price", "sales_rep", grid_cell("price"), line_figures),
    NumberField("grid fill", "sales_rep", lambda c, w, v: c.post_form("/forecast/fill", {
        "cycle": str(w["cycle"].pk), "customer": str(w["customer"].pk),
        "product": str(w["garlic"].pk), "value": v, "scope": "all"}, token_from="/forecast"),
                line_figures),
    NumberField("price matrix cell", "admin", lambda c, w, v: c.htmx_post(
        f"/customers/{w['customer'].pk}/prices/{w['entry'].pk}", {"price": v}),
                lambda w: PriceEntry.objects.get(id=w["entry"].pk).price),
    NumberField("price matrix new item", "admin", lambda c, w, v: c.post_form(
        f"/customers/{w['customer'].pk}/prices/add", {"item_code": "110002", "price": v}),
                lambda w: PriceEntry.objects(product=w["shallot"]).count()),
    NumberField("setting (whole number)", "admin", lambda c, w, v: c.htmx_post(
        "/admin/settings/reminder_days_before_close", {"value": v},
        token_from="/admin/settings"), lambda w: get_setting("reminder_days_before_close")),
]


def sign_in(client, world, role):
    user = world["rep"] if role == "sales_rep" else world["admin"]
    client.post_form("/login", {"email": user.email, "password": DEFAULT_PASSWORD},
                     token_from="/login")


@pytest.mark.parametrize("field", FIELDS, ids=lambda f: f.name)
def test_every_number_field_refuses_what_is_not_a_usable_number(client, world, field):
    sign_in(client, world, field.role)
    before = field.stored(world)
    for value in BAD_NUMBERS:
        response = field.post(client, world, value)
        if response.status_code == 302:  # a plain form post: the sentence is flashed
            response = client.get(response.location)
        text = response.get_data(as_text=True)
        assert response.status_code in (200, 422), (value, response.status_code)
        assert response.status_code == 422 or "flash-error" in text, value
        assert any(refusal in text for refusal in REFUSALS), (value, text[-2000:])
        assert field.stored(world) == before, value


@pytest.mark.parametrize("bucket", ["\u0663", "\u00b3", "99", "-1", "1e1", ""])
def test_a_grid_cell_outside_the_months_is_refused_in_words(client, world, bucket):
    sign_in(client, world, "sales_rep")
    before = line_figures(world)
    response = grid_cell("qty", bucket)(client, world, "7")
    assert response.status_code == 422
    assert "not one of the months of the grid" in response.get_data(as_text=True)
    assert line_figures(world) == before  # "٣" used to be saved into M4


def test_a_good_amount_still_saves_and_the_bound_itself_is_allowed(client, world):
    sign_in(client, world, "admin")
    url = f"/customers/{world['customer'].pk}/prices/{world['entry'].pk}"
    assert client.htmx_post(url, {"price": "$1,000,000,000,000"}).status_code == 200
    assert PriceEntry.objects.get(id=world["entry"].pk).price == 1e12


def test_an_import_refuses_absurd_numbers_cell_by_cell_and_stores_nothing(client, world,
                                                                         run_jobs):
    sign_in(client, world, "admin")
    header = ["Item Code*", "Description*", "UoM*", "List Price"]
    rows = [[f"11{n:04d}", f"Item {n}", "CS", value] for n, value in enumerate(
        ["sNaN", "1e309", 1e308, "\u0663", "2e12"], start=500)]
    client.post("/imports", data={
        "csrf_token": client.csrf_token("/imports"), "kind": "products",
        "file": (io.BytesIO(workbook_bytes(("Items", [header, *rows]))), "items.xlsx")},
        content_type="multipart/form-data")
    run_jobs("imports")
    record = ImportLog.objects.order_by("-created_at").first()
    assert record.status == "rejected", record.error
    messages = [(p.row, p.message) for p in record.problems]
    assert len(messages) == 5 and all(
        any(refusal in message for refusal in REFUSALS) for _, message in messages), messages
    assert Product.objects(item_code__startswith="1105").count() == 0


def test_control_characters_never_reach_the_database_or_break_an_export(client, world):
    sign_in(client, world, "admin")
    created = client.post_form("/customers/new", {"code": "PATITO-000778",
                                                  "name": "Nul\x00 Foods\x07 LLC",
                                                  "territory": "So\x1buth"})
    assert created.status_code == 302
    stored = Customer.objects.get(code="PATITO-000778")
    assert (stored.name, stored.territory) == ("Nul Foods LLC", "South")
    # Stored before the door was shut (written past the forms): the export still works.
    Customer.objects(id=world["customer"].pk).update_one(set__name="Old\x00 Row")
    export = client.get("/customers/export")
    assert export.status_code == 200
    names = [row[1] for row in load_workbook(io.BytesIO(export.data)).worksheets[0]
             .iter_rows(min_row=2, values_only=True)]
    assert "Nul Foods LLC" in names and "Old Row" in names

    # An xlsx cannot carry them (XML forbids them); an importer's text reader drops them too.
    assert to_text("Tab\x01 Traders\x00") == "Tab Traders"
