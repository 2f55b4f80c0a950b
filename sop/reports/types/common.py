"""What the report types share: the scope of a cycle's lines (`ReportContext` applied to a
plan query), the names rows are labelled with, and the ratio / change arithmetic."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from bson import ObjectId

from sop.db import raw_collection
from sop.models import Customer, Product, User
from sop.months import month_label, parse_year_month
from sop.plans import VALUED_LINE_COLLECTIONS
from sop.reports.reading import by_id
from sop.reports.registry import ReportContext

TOTAL_MONTHS = 12  # "M1-M12" totals: the mandatory horizon every comparison uses
PLAN_COLLECTIONS = (*VALUED_LINE_COLLECTIONS, "cycles", "forecast_snapshots", "customers",
                    "users")
ALL_FILTERS = ("month_from", "month_to", "rep", "territory", "customer", "item", "group")
NO_TERRITORY = "(no territory)"
NO_REP = "(no rep)"
NO_GROUP = "(no group)"
NO_CATEGORY = "(no category)"


# --- a cycle's lines in scope ------------------------------------------------------------

def report_cycle(ctx: ReportContext) -> Any:
    """The report's cycle; a sentence for the requester when it was deleted meanwhile."""
    cycle = ctx.cycle()
    if cycle is None:
        raise ValueError("The cycle of this report no longer exists.")
    return cycle


def rep_query(ctx: ReportContext) -> dict[str, Any]:
    """The report's reps as a pymongo condition on a document's `rep`."""
    reps = ctx.rep_ids()
    return {} if reps is None else {"rep": {"$in": reps}}


def line_filter(ctx: ReportContext) -> Callable[[Mapping[str, Any]], bool] | None:
    """A line's customer and item against the territory / customer / item / group filters
    (a line's rep is filtered in the query). None: every line."""
    filters = ctx.filters
    customers = set(ctx.customer_ids() or ()) if (filters.territory or filters.customer) \
        else None
    products = ctx.product_ids()
    products = set(products) if products is not None else None
    if customers is None and products is None:
        return None
    return lambda raw: ((customers is None or raw["customer"] in customers)
                        and (products is None or raw["product"] in products))


# --- names -------------------------------------------------------------------------------

def names_by_id() -> tuple[dict[ObjectId, dict], dict[ObjectId, dict], dict[ObjectId, str]]:
    """Customers, products and user names by id (small collections, read whole)."""
    # scoped by caller: names of what the scoped lines refer to
    customers = {c["_id"]: c for c in raw_collection(Customer).find(
        {}, {"code": 1, "sop_name": 1, "sop_name_key": 1, "territory": 1, "sales_rep": 1})}
    products = {p["_id"]: p for p in raw_collection(Product).find(
        {}, {"item_code": 1, "description": 1, "group_description": 1})}
    users = {u["_id"]: u.get("full_name") or u.get("email") or "" for u in
             raw_collection(User).find({}, {"full_name": 1, "email": 1})}
    return customers, products, users


def customers_by_id(ids: Iterable[ObjectId]) -> dict[ObjectId, dict[str, Any]]:
    # scoped by caller: names of what the scoped rows refer to
    return by_id(raw_collection(Customer), ids,
                 ("code", "sop_name", "name", "sales_rep", "territory"))


def products_by_id(ids: Iterable[ObjectId]) -> dict[ObjectId, dict[str, Any]]:
    return by_id(raw_collection(Product), ids,
                 ("item_code", "description", "group_description", "category"))


def rep_names(customers: Mapping[ObjectId, Mapping[str, Any]]) -> dict[ObjectId, str]:
    """{rep id: full name} of the customers' reps."""
    # scoped by caller: names of what the scoped rows refer to
    users = by_id(raw_collection(User), {c["sales_rep"] for c in customers.values()
                                           if c.get("sales_rep")}, ("full_name", "email"))
    return {user_id: user.get("full_name") or user.get("email") or str(user_id)
            for user_id, user in users.items()}


def customer_labels(customer: Mapping[str, Any], reps: Mapping[ObjectId, str]
                    ) -> tuple[str, ...]:
    """Code, S&OP name, rep and territory of a customer row."""
    return (customer.get("code", ""), customer.get("sop_name") or customer.get("name", ""),
            reps.get(customer.get("sales_rep"), NO_REP),
            customer.get("territory") or NO_TERRITORY)


def product_labels(product: Mapping[str, Any]) -> tuple[str, ...]:
    """Item code, description, group and category of an item row."""
    return (product.get("item_code", ""), product.get("description", ""),
            product.get("group_description") or NO_GROUP,
            product.get("category") or NO_CATEGORY)


def month_span(months: list[str]) -> str:
    """"Nov 2025 to Feb 2026" (or "no month")."""
    if not months:
        return "no month"
    return " to ".join(month_label(parse_year_month(months[i])) for i in (0, -1))


# --- arithmetic --------------------------------------------------------------------------

def ratio(part: float | None, whole: float | None) -> float | None:
    """part / whole; None without a part or with a zero whole."""
    return None if part is None or not whole else part / whole


def change(value: float, base: float | None) -> tuple[float | None, float | None]:
    """value - base and that in % of the base (None when there is no base / a zero base)."""
    if base is None:
        return None, None
    return value - base, (value - base) / abs(base) if base else None
