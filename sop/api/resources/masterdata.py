"""Master data: customers and items (list with filters and cursor pages, read, create,
update) and bulk upserts of customers, items, prices and sales history through the Excel
import's rules (sop.imports.batch). Price entries and budget: sop.api.resources.matrix."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import Any, TypeVar

from mongoengine.queryset import QuerySet

from sop.api import schemas as s
from sop.api import schemas_masterdata as m
from sop.api.core import access, api_blueprint, current_api_user
from sop.api.lookups import cursor_id, customer_coded, item_coded, rep_named
from sop.api.problems import Problem
from sop.customers import services as customers
from sop.form_submission import FieldError
from sop.imports.batch import BatchConflict, BatchTooLarge, upsert_records
from sop.models import Customer, Product, User
from sop.products import services as products

T = TypeVar("T")

bp = api_blueprint("masterdata", "", "Customers and items: lists, reads, writes; bulk "
                   "upserts of customers, items, prices and sales history.")
CUSTOMER_OUT = customers.EDITABLE_FIELDS
ITEM_OUT = products.EDITABLE_FIELDS


def cursor_page(queryset: QuerySet, args: dict[str, Any], present: Any
                ) -> tuple[list[Any], Any]:
    """A cursor page in `_id` order: (rows presented, next cursor or None); references
    loaded in one query per kind."""
    after = cursor_id(args["cursor"])
    rows = list((queryset.filter(id__gt=after) if after else queryset).order_by("id")
                .limit(args["limit"] + 1).select_related(max_depth=1))
    more = len(rows) > args["limit"]
    rows = rows[:args["limit"]]
    return [present(r) for r in rows], str(rows[-1].pk) if more else None


def _field_problem(exc: FieldError) -> Problem:
    return Problem(422, str(exc), errors=[{"field": exc.field, "message": str(exc)}])


# --- customers -------------------------------------------------------------------------------

def customer_out(customer: Customer) -> dict[str, Any]:
    rep = customer.sales_rep
    return {"id": str(customer.pk), **{f: getattr(customer, f) for f in CUSTOMER_OUT},
            "rep_email": rep.email if rep else None, "active": bool(customer.active),
            "aliases": list(customer.aliases or [])}


@bp.get("/customers")
@access("read")
@bp.arguments(m.CustomerArgs, location="query")
@bp.response(200, m.CustomerPageSchema)
def list_customers(args: dict[str, Any]):
    """Customers the token may see (a rep's: their own), filtered."""
    user = current_api_user()
    rep = str(rep_named(user, args["rep"]).pk) if args["rep"] else ""
    filters = customers.CustomerFilters(text=args["q"], rep=rep, territory=args["territory"],
                                        group=args["group"], active=args["active"])
    found = customers.filtered_customers(user, filters)
    rows, cursor = cursor_page(found, args, customer_out)
    return {"customers": rows, "next_cursor": cursor}


@bp.get("/customers/<code>")
@access("read")
@bp.response(200, m.CustomerSchema)
@bp.alt_response(404, schema=s.ProblemSchema, description="No such customer")
def get_customer(code: str):
    return customer_out(customer_coded(current_api_user(), code))


def _customer_form(body: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    """The API's fields as the customer service takes them (the page's form fields)."""
    data = {**current, **{k: v for k, v in body.items() if k not in ("rep_email", "aliases",
                                                                   "active")}}
    rep_email = body.get("rep_email", current.get("rep_email"))
    rep = User.objects(email=rep_email.strip().lower()).first() if rep_email else None
    if rep_email and rep is None:
        raise Problem(422, "No account has this e-mail.", errors=[
            {"field": "rep_email", "message": "Choose an active sales rep's e-mail."}])
    data["sales_rep"] = str(rep.pk) if rep else None
    data["aliases"] = "\n".join(body.get("aliases", current.get("aliases") or []))
    return data


def _saved(write: Callable[[], T], set_active: Callable[[T, bool], Any],
           active: bool | None) -> T:
    """A page service's create or update, then (de)activation as the pages do it: a field the
    service refuses is a 422 naming it."""
    try:
        record = write()
        if active is not None:
            set_active(record, active)
    except FieldError as exc:
        raise _field_problem(exc) from None
    return record


@bp.post("/customers")
@access("write", "admin")
@bp.arguments(m.CustomerCreateSchema)
@bp.response(201, m.CustomerSchema)
def create_customer(body: dict[str, Any]):
    """A new customer (admins, as on the pages)."""
    actor = current_api_user()
    customer = _saved(lambda: customers.create_customer(actor, _customer_form(body, {})),
                      lambda c, on: customers.set_customer_active(actor, c, on),
                      False if body.get("active") is False else None)
    return customer_out(customer)


@bp.patch("/customers/<code>")
@access("write", "admin")
@bp.arguments(m.CustomerUpdateSchema)
@bp.response(200, m.CustomerSchema)
@bp.alt_response(404, schema=s.ProblemSchema, description="No such customer")
def update_customer(body: dict[str, Any], code: str):
    """Change the fields sent; `active` false deactivates (never deletes)."""
    actor = current_api_user()
    customer = customer_coded(actor, code)
    _saved(lambda: customers.update_customer(actor, customer,
                                             _customer_form(body, customer_out(customer))),
           lambda c, on: customers.set_customer_active(actor, c, on), body.get("active"))
    return customer_out(customer.reload())


# --- items -----------------------------------------------------------------------------------

def item_out(product: Product) -> dict[str, Any]:
    return {"id": str(product.pk), **{f: getattr(product, f) for f in ITEM_OUT},
            "active": bool(product.active)}


@bp.get("/items")
@access("read")
@bp.arguments(m.ItemArgs, location="query")
@bp.response(200, m.ItemPageSchema)
def list_items(args: dict[str, Any]):
    """The item catalog, filtered (code or description prefix, group, category, active)."""
    filters = products.ProductFilters(text=args["q"], group=args["group"],
                                      category=args["category"], active=args["active"])
    rows, cursor = cursor_page(products.filtered_products(filters), args, item_out)
    return {"items": rows, "next_cursor": cursor}


@bp.get("/items/<item_code>")
@access("read")
@bp.response(200, m.ItemSchema)
@bp.alt_response(404, schema=s.ProblemSchema, description="No such item")
def get_item(item_code: str):
    return item_out(item_coded(current_api_user(), item_code))


def _item_form(body: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    return {**current, **{k: v for k, v in body.items() if k != "active"}}


@bp.post("/items")
@access("write", "admin")
@bp.arguments(m.ItemCreateSchema)
@bp.response(201, m.ItemSchema)
def create_item(body: dict[str, Any]):
    actor = current_api_user()
    product = _saved(lambda: products.create_product(actor, _item_form(body, {})),
                     lambda p, on: products.set_product_active(actor, p, on),
                     False if body.get("active") is False else None)
    return item_out(product)


@bp.patch("/items/<item_code>")
@access("write", "admin")
@bp.arguments(m.ItemFields)
@bp.response(200, m.ItemSchema)
@bp.alt_response(404, schema=s.ProblemSchema, description="No such item")
def update_item(body: dict[str, Any], item_code: str):
    actor = current_api_user()
    product = item_coded(actor, item_code)
    _saved(lambda: products.update_product(actor, product, _item_form(body, item_out(product))),
           lambda p, on: products.set_product_active(actor, p, on), body.get("active"))
    return item_out(product.reload())


# --- bulk upserts ----------------------------------------------------------------------------

def _bulk(kind: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    try:
        result = upsert_records(current_api_user(), kind, rows)
    except BatchTooLarge as exc:
        raise Problem(413, str(exc)) from None
    except BatchConflict as exc:
        raise Problem(409, str(exc)) from None
    problems = [asdict(p) for p in result.problems]
    if not result.applied:
        raise Problem(422, "Nothing was written: fix the rows named in errors and send the "
                           "batch again.", errors=[p for p in problems
                                                   if p["severity"] == "error"])
    return {**asdict(result), "problems": problems}


BULK_DOC = ("Validates every row first (the Excel import's rules) and writes all or nothing; "
            "idempotent on the natural key: sending the same rows again changes nothing. "
            "422 lists every refused row as errors[] (row, field, value, message); 409: "
            "another request wrote some of the same documents meanwhile, nothing of this one "
            "was kept, send it again.")


@bp.post("/customers/bulk")
@access("write", "admin")
@bp.arguments(m.bulk_schema(m.CustomerRowSchema, "CustomerBulk"))
@bp.response(200, m.BulkResultSchema)
@bp.doc(description=BULK_DOC)
def bulk_customers(body: dict[str, Any]):
    """Upsert customers by code."""
    return _bulk("customers", body["rows"])


@bp.post("/items/bulk")
@access("write", "admin")
@bp.arguments(m.bulk_schema(m.ItemRowSchema, "ItemBulk"))
@bp.response(200, m.BulkResultSchema)
@bp.doc(description=BULK_DOC)
def bulk_items(body: dict[str, Any]):
    """Upsert items by item code."""
    return _bulk("products", body["rows"])


@bp.post("/prices/bulk")
@access("write", "admin")
@bp.arguments(m.bulk_schema(m.PriceRowSchema, "PriceBulk"))
@bp.response(200, m.BulkResultSchema)
@bp.doc(description=BULK_DOC)
def bulk_prices(body: dict[str, Any]):
    """Upsert price matrix entries by (customer code, item code)."""
    return _bulk("prices", body["rows"])


@bp.post("/sales/bulk")
@access("write", "admin")
@bp.arguments(m.bulk_schema(m.SalesRowSchema, "SalesBulk"))
@bp.response(200, m.BulkResultSchema)
@bp.doc(description=BULK_DOC)
def bulk_sales(body: dict[str, Any]):
    """Upsert monthly actuals by (customer code, item code, year, month): the nightly push."""
    return _bulk("sales", body["rows"])
