"""Customer use cases: search, create, edit, (de)activate, reassign, the detail view."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from bson import ObjectId
from mongoengine.queryset import QuerySet

from sop.audit import field_changes, record_audit
from sop.clock import now
from sop.excel.writer import MONEY_FORMAT, Column, table_workbook
from sop.form_submission import FieldError
from sop.listing import (
    cached_choices,
    cached_until_written,
    export_about,
    prefix_match,
    sorted_by,
)
from sop.masterdata import save_changes, save_new, set_active
from sop.models import BudgetEntry, Customer, PriceEntry, Product, SalesHistory, User
from sop.pagination import Page, paginate
from sop.security import scoped

EDITABLE_FIELDS = (
    "code", "name", "sop_name", "territory", "corporate_group", "address", "city", "state",
    "postal_code", "country", "contact_name", "contact_email", "contact_phone", "payment_terms",
    "credit_limit",
)
SORTS = {
    "code": ("code_lower",), "name": ("name_lower",), "sop_name": ("sop_name_key", "code_lower"),
    "territory": ("territory", "sop_name_key"), "group": ("corporate_group", "sop_name_key"),
}


class CustomerError(FieldError):
    """A refused change, shown next to the field it names."""


@dataclass
class CustomerFilters:
    text: str = ""
    rep: str = ""
    territory: str = ""
    group: str = ""
    active: str = "yes"
    sort: str = "sop_name"

    def as_args(self) -> dict[str, str]:
        return {"q": self.text, "rep": self.rep, "territory": self.territory,
                "group": self.group, "active": self.active, "sort": self.sort}


def filtered_customers(viewer: User, filters: CustomerFilters) -> QuerySet:
    """The customers `viewer` may see that match the filters, sorted (scoped, index-backed)."""
    queryset = prefix_match(scoped(Customer, viewer), filters.text,
                            ("code_lower", "name_lower", "sop_name_key", "aliases"))
    if filters.rep and ObjectId.is_valid(filters.rep):
        queryset = queryset.filter(sales_rep=ObjectId(filters.rep))
    if filters.territory:
        queryset = queryset.filter(territory=filters.territory)
    if filters.group:
        queryset = queryset.filter(corporate_group=filters.group)
    if filters.active in ("yes", "no"):
        queryset = queryset.filter(active=filters.active == "yes")
    return sorted_by(queryset, filters.sort, SORTS, "sop_name")


def search_customers(viewer: User, filters: CustomerFilters, page: int = 1) -> Page:
    scope = (str(viewer.pk), viewer.role)  # a rep's list is the rep's customers only
    return paginate(filtered_customers(viewer, filters), page, with_references=True,
                    cached=(Customer, (scope, repr(filters))))


EXPORT_COLUMNS = (
    Column("Customer Code", 16), Column("Customer Name", 32), Column("S&OP Name", 28),
    Column("Sales Rep Email", 28), Column("Sales Rep", 20), Column("Territory", 12),
    Column("Corporate Group", 24), Column("Address", 28), Column("City", 16), Column("State", 10),
    Column("Postal Code", 12), Column("Country", 12), Column("Contact Name", 20),
    Column("Contact Email", 26), Column("Contact Phone", 16), Column("Payment Terms", 14),
    Column("Credit Limit", 14, MONEY_FORMAT), Column("Active", 8), Column("Aliases", 30),
)


def export_customers(viewer: User, filters: CustomerFilters) -> bytes:
    """The filtered list as xlsx, in the customer import template's column order."""
    rows = (
        (c.code, c.name, c.sop_name, c.sales_rep.email if c.sales_rep else None,
         c.sales_rep.full_name if c.sales_rep else None, c.territory, c.corporate_group,
         c.address, c.city, c.state, c.postal_code, c.country, c.contact_name, c.contact_email,
         c.contact_phone, c.payment_terms, c.credit_limit, "Yes" if c.active else "No",
         "; ".join(c.aliases or []))
        for c in filtered_customers(viewer, filters).select_related(max_depth=1)
    )
    return table_workbook("Customers", EXPORT_COLUMNS, rows,
                          export_about("Customers", viewer, filters.as_args()))


def filter_choices(viewer: User) -> dict[str, list[Any]]:
    """Values offered in the filter selects, from what the viewer can see."""
    scope = viewer.pk if viewer.role == "sales_rep" else "all"
    return cached_choices(("customers", scope), lambda: _customer_choices(viewer))


def _customer_choices(viewer: User) -> dict[str, list[Any]]:
    visible = scoped(Customer, viewer)
    reps = User.objects(role="sales_rep").order_by("full_name_lower")
    if viewer.role == "sales_rep":
        reps = reps.filter(id=viewer.pk)
    return {
        "territories": sorted(t for t in visible.distinct("territory") if t),
        "groups": sorted(g for g in visible.distinct("corporate_group") if g),
        "rep_options": [(str(r.pk), r.full_name) for r in reps.only("id", "full_name")],
    }


def sales_rep_options() -> tuple[tuple[str, str], ...]:
    """(id, name) of the active sales reps, for the rep selects; read again after any change
    to users."""
    return cached_until_written(("active-reps",), ("users",), lambda: tuple(
        (str(r.pk), r.full_name) for r in User.objects(role="sales_rep", active=True)
        .order_by("full_name_lower").only("id", "full_name")))


def _rep_or_error(rep_id: str | None) -> User | None:
    if not rep_id:
        return None
    rep = User.objects(id=rep_id).first() if ObjectId.is_valid(rep_id) else None
    if rep is None or rep.role != "sales_rep" or not rep.active:
        raise CustomerError("Choose an active sales rep.", "sales_rep")
    return rep


def _check_code_free(code: str, except_id: Any = None) -> None:
    clash = Customer.objects(code_lower=code.strip().lower()).first()
    if clash is not None and clash.pk != except_id:
        raise CustomerError(f"Customer code {code.strip()} is already used by {clash.name}.",
                            "code")


def code_problem(code: str, except_id: str | None = None) -> str | None:
    """For inline validation while typing: why this code cannot be used, or None."""
    try:
        if not code.strip():
            return "Enter the customer code."
        _check_code_free(code, ObjectId(except_id) if except_id and ObjectId.is_valid(
            except_id) else None)
    except CustomerError as exc:
        return str(exc)
    return None


def parse_aliases(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"[\n;]", text or "") if part.strip()]


def _snapshot(customer: Customer) -> dict[str, Any]:
    values = {field: getattr(customer, field) for field in EDITABLE_FIELDS}
    values["sales_rep"] = customer.sales_rep.email if customer.sales_rep else None
    values["aliases"] = list(customer.aliases or [])
    values["active"] = customer.active
    return values


def _apply(customer: Customer, data: dict[str, Any]) -> None:
    for field in EDITABLE_FIELDS:
        value = data.get(field)
        setattr(customer, field, value.strip() if isinstance(value, str) else value)
    if not customer.code:
        raise CustomerError("Enter the customer code.", "code")
    if not customer.name:
        raise CustomerError("Enter the customer's legal name.", "name")
    if customer.sop_name and len(customer.sop_name.strip()) > 31:
        raise CustomerError("An S&OP name has at most 31 characters (Excel sheet names).",
                            "sop_name")
    customer.sales_rep = _rep_or_error(data.get("sales_rep"))
    customer.aliases = parse_aliases(data.get("aliases", ""))


def create_customer(actor: User, data: dict[str, Any]) -> Customer:
    customer = Customer()
    _apply(customer, data)
    _check_code_free(customer.code)
    return save_new(actor, customer, "customer", f"Customer {customer.code} {customer.name}",
                    _snapshot)


def update_customer(actor: User, customer: Customer, data: dict[str, Any]) -> Customer:
    before = _snapshot(customer)
    _apply(customer, data)
    _check_code_free(customer.code, customer.pk)
    return save_changes(actor, customer, before, "customer", f"Customer {customer.code}",
                        _snapshot)


def set_customer_active(actor: User, customer: Customer, active: bool) -> Customer:
    return set_active(actor, customer, active, "customer", f"Customer {customer.code}")


def reassign_customers(actor: User, customer_ids: list[str], rep_id: str) -> int:
    """Move customers to another rep in one action; each move is audited."""
    rep = _rep_or_error(rep_id)
    if rep is None:
        raise CustomerError("Choose the sales rep who takes these customers over.", "sales_rep")
    ids = [ObjectId(i) for i in customer_ids if ObjectId.is_valid(i)]
    customers = list(Customer.objects(id__in=ids).select_related(max_depth=1))
    if not customers:
        raise CustomerError("Select at least one customer.")
    moved = 0
    for customer in customers:
        previous = customer.sales_rep.email if customer.sales_rep else None
        if previous == rep.email:
            continue
        Customer.objects(id=customer.pk).update_one(set__sales_rep=rep, set__updated_at=now())
        record_audit("customer_updated", f"Customer {customer.code} reassigned to "
                     f"{rep.full_name}.", actor=actor, entity_type="customer",
                     entity_id=customer.pk,
                     changes=field_changes({"sales_rep": previous}, {"sales_rep": rep.email}))
        moved += 1
    return moved


@dataclass
class MonthRow:
    month: str
    cases: float
    sales: float
    gross_profit: float


def monthly_sales(histories: QuerySet | list[SalesHistory], months: list[str]
                  ) -> list[MonthRow]:
    """Cases, $ and GP per month over the given months (zeros where nothing sold)."""
    totals: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    wanted = set(months)
    for history in histories:
        for entry in history.months:
            if entry.month in wanted:
                bucket = totals[entry.month]
                bucket[0] += entry.quantity or 0
                bucket[1] += entry.sales or 0
                bucket[2] += entry.gross_profit or 0
    return [MonthRow(m, *totals[m]) if m in totals else MonthRow(m, 0, 0, 0) for m in months]


def last_months(count: int, until: str | None = None) -> list[str]:
    """The `count` calendar months up to last month (or `until`), oldest first, as YYYY-MM."""
    if until is None:
        today = now()
        index = today.year * 12 + today.month - 2
    else:
        year, month = map(int, until.split("-"))
        index = year * 12 + month - 1
    return [f"{(index - n) // 12:04d}-{(index - n) % 12 + 1:02d}" for n in
            range(count - 1, -1, -1)]


def customer_detail(customer: Customer) -> dict[str, Any]:
    """The customer's items with prices, 24 months of sales, and budget."""
    prices = list(PriceEntry.objects(customer=customer).select_related(max_depth=1))
    prices.sort(key=lambda p: (not p.active, p.product.item_code if p.product else ""))
    months = last_months(24)
    sales = monthly_sales(SalesHistory.objects(customer=customer).only("months"), months)
    budget = list(BudgetEntry.objects(customer=customer).order_by("year", "month"))
    return {"prices": prices, "sales": sales, "budget": budget,
            "product_count": Product.objects(active=True).count()}
