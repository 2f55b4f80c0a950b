"""Price matrix entries and budget: lists (filters, cursor pages), one read, and one entry
created or updated — prices through the price matrix page's services, budget through the
budget import's rules (sop.imports.batch), both by natural key."""

from __future__ import annotations

from typing import Any

from sop.api import schemas as s
from sop.api import schemas_masterdata as m
from sop.api.core import access, api_blueprint, current_api_user
from sop.api.lookups import customer_coded, item_coded, object_id, one_visible, rep_named
from sop.api.presenters import number_text
from sop.api.problems import Problem
from sop.api.resources.masterdata import cursor_page
from sop.budget.services import BudgetFilters, filtered_budget
from sop.imports.batch import upsert_records
from sop.models import BudgetEntry, Customer, PriceEntry, Product, User, name_key
from sop.prices import services as prices
from sop.security import scoped

bp = api_blueprint("matrix", "", "Price matrix entries and budget: lists, reads, writes.")


# --- price matrix ----------------------------------------------------------------------------

def price_out(entry: PriceEntry) -> dict[str, Any]:
    return {"id": str(entry.pk), "customer_code": entry.customer.code,
            "item_code": entry.product.item_code, "price": entry.price,
            "effective_from": entry.effective_from.strftime("%Y-%m")
            if entry.effective_from else None, "active": bool(entry.active)}


@bp.get("/prices")
@access("read")
@bp.arguments(m.PriceArgs, location="query")
@bp.response(200, m.PricePageSchema)
def list_prices(args: dict[str, Any]):
    """Price matrix entries the token may see, by customer and/or item."""
    user = current_api_user()
    found = scoped(PriceEntry, user)
    if args["customer"]:
        found = found.filter(customer=customer_coded(user, args["customer"]))
    if args["item"]:
        found = found.filter(product=item_coded(user, args["item"]))
    if args["active"]:
        found = found.filter(active=args["active"] == "yes")
    rows, cursor = cursor_page(found, args, price_out)
    return {"prices": rows, "next_cursor": cursor}


def _entry(user: User, customer_code: str, item_code: str) -> PriceEntry:
    customer = customer_coded(user, customer_code)
    product = item_coded(user, item_code)
    return one_visible(PriceEntry, user, "price entry", f"{customer_code}/{item_code}",
                       customer=customer, product=product)


@bp.get("/prices/<customer_code>/<item_code>")
@access("read")
@bp.response(200, m.PriceSchema)
@bp.alt_response(404, schema=s.ProblemSchema, description="No such customer, item or entry")
def get_price(customer_code: str, item_code: str):
    """One entry of the matrix by customer code and item code."""
    return price_out(_entry(current_api_user(), customer_code, item_code))


def _price_texts(body: dict[str, Any]) -> dict[str, Any]:
    """The fields sent, as the matrix page's form sends them (blank clears), each checked by
    the page's rules first so a refusal names its field."""
    texts: dict[str, Any] = {}
    if "price" in body:
        texts["price"] = number_text(body["price"]) or ""
    if "effective_from" in body:
        texts["effective_from"] = body["effective_from"] or ""
    for name, check in (("price", prices.parse_price), ("effective_from", prices.parse_month)):
        if name in texts:
            try:
                check(texts[name])
            except prices.PriceError as exc:
                raise Problem(422, str(exc), errors=[
                    {"field": name, "value": body[name], "message": str(exc)}]) from None
    if body.get("active") is not None:
        texts["active"] = body["active"]
    return texts


@bp.post("/prices")
@access("write", "admin")
@bp.arguments(m.PriceRowSchema)
@bp.response(201, m.PriceSchema)
@bp.alt_response(409, schema=s.ProblemSchema, description="The customer has this item "
                 "already: PATCH it")
def create_price(body: dict[str, Any]):
    """Add an active item to a customer's matrix (admins, as on the matrix page)."""
    actor = current_api_user()
    customer = scoped(Customer, actor).filter(code_lower=body["customer_code"].lower()).first()
    if customer is None:
        raise Problem(422, "No such customer.", errors=[
            {"field": "customer_code", "value": body["customer_code"],
             "message": "No customer has this code."}])
    texts = _price_texts(body)
    product = Product.objects(item_code=body["item_code"]).first()
    if product and scoped(PriceEntry, actor).filter(customer=customer, product=product).first():
        raise Problem(409, f"Item {product.item_code} is already in this customer's matrix.")
    try:
        entry = prices.add_item(actor, customer, body["item_code"], texts.pop("price", ""))
    except prices.PriceError as exc:
        raise Problem(422, str(exc), errors=[{"field": "item_code", "value": body["item_code"],
                                              "message": str(exc)}]) from None
    if texts:
        prices.update_price_entry(actor, entry, **texts)
    return price_out(entry)


@bp.patch("/prices/<customer_code>/<item_code>")
@access("write", "admin")
@bp.arguments(m.PriceUpdateSchema)
@bp.response(200, m.PriceSchema)
@bp.alt_response(404, schema=s.ProblemSchema, description="No such customer, item or entry")
def update_price(body: dict[str, Any], customer_code: str, item_code: str):
    """Change the price, the effective month or the active flag of one entry (null clears
    the price or month), audited as on the matrix page."""
    actor = current_api_user()
    entry = _entry(actor, customer_code, item_code)
    return price_out(prices.update_price_entry(actor, entry, **_price_texts(body)))


# --- budget ----------------------------------------------------------------------------------

def budget_out(entry: BudgetEntry) -> dict[str, Any]:
    return {"id": str(entry.pk), "rep": entry.rep.email, "sop_name": entry.sop_name,
            "customer_code": entry.customer.code if entry.customer else None,
            "year": entry.year, "month": entry.month, "cases": entry.cases or 0.0,
            "sales": entry.sales or 0.0}


@bp.get("/budget")
@access("read")
@bp.arguments(m.BudgetArgs, location="query")
@bp.response(200, m.BudgetPageSchema)
def list_budget(args: dict[str, Any]):
    """Budget entries (rep, S&OP name, month) the token may see."""
    user = current_api_user()
    rep = str(rep_named(user, args["rep"]).pk) if args["rep"] else ""
    filters = BudgetFilters(rep=rep, customer=args["customer"],
                            year=str(args["year"] or ""))
    rows, cursor = cursor_page(filtered_budget(user, filters), args, budget_out)
    return {"budget": rows, "next_cursor": cursor}


@bp.get("/budget/<entry_id>")
@access("read")
@bp.response(200, m.BudgetSchema)
@bp.alt_response(404, schema=s.ProblemSchema, description="No such budget entry")
def get_budget(entry_id: str):
    user = current_api_user()
    return budget_out(one_visible(BudgetEntry, user, "budget entry", entry_id,
                                  id=object_id(entry_id, "budget entry")))


@bp.put("/budget")
@access("write", "admin")
@bp.arguments(m.BudgetRowSchema)
@bp.response(200, m.BudgetSchema, description="Changed, or unchanged")
@bp.alt_response(201, schema=m.BudgetSchema, description="Added")
def put_budget(body: dict[str, Any]):
    """One month of budget by its natural key (rep e-mail, S&OP name, year, month), added or
    replaced through the budget import's rules: a name matching no customer is kept as
    unmatched budget (customer_code null)."""
    result = upsert_records(current_api_user(), "budget", [body])
    if not result.applied:
        raise Problem(422, "Nothing was written: fix the fields named in errors.", errors=[
            {"field": p.field, "value": p.value, "message": p.message}
            for p in result.problems if p.severity == "error"])
    actor = current_api_user()
    rep = scoped(User, actor).filter(email=body["rep_email"].strip().lower()).first()
    entry = scoped(BudgetEntry, actor).filter(rep=rep, sop_name_key=name_key(body["sop_name"]),
                                              year=body["year"], month=body["month"]).get()
    return budget_out(entry), 201 if result.added else 200
