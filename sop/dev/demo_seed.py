"""Load a generated company (sop.dev.demo_company) into the database in bulk: the demo data of
`flask seed-demo` and the fixtures of the benchmarks. Accounts get random passwords."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from sop.auth.services import generate_password
from sop.clock import now
from sop.db import raw_collection
from sop.dev.demo_company import CompanyGenerator
from sop.models import (
    BudgetEntry,
    Customer,
    Cycle,
    ForecastLine,
    PriceEntry,
    Product,
    SalesHistory,
    User,
    name_key,
)
from sop.models.sales import fingerprint
from sop.months import add_months, first_of_month
from sop.users.services import create_user

DEMO_STAFF = (
    ("admin@example.com", "Avery Admin", "admin"),
    ("manager@example.com", "Morgan Manager", "manager"),
)
BATCH = 2000


def create_accounts(company: CompanyGenerator, staff: bool = True
                    ) -> list[tuple[str, str, str]]:
    """The company's reps (plus an admin and a manager): (email, role, password) each."""
    people = [*(DEMO_STAFF if staff else ()),
              *((rep.email, rep.full_name, "sales_rep") for rep in company.reps)]
    created = []
    for email, name, role in people:
        password = generate_password()
        create_user(None, email, name, role, password)
        created.append((email, role, password))
    return created


def _insert(document: type, rows: list[dict[str, Any]]) -> int:
    collection = raw_collection(document)
    for start in range(0, len(rows), BATCH):
        collection.insert_many(rows[start:start + BATCH], ordered=False)
    return len(rows)


def load_master_data(company: CompanyGenerator, with_sales: bool = True) -> dict[str, int]:
    """Customers, items, price matrix, and (optionally) sales history and budget."""
    reps = {u.email: u for u in User.objects(role="sales_rep")}
    customers = []
    for spec in company.customers:
        customer = Customer(code=spec.code, name=spec.name, sop_name=spec.sop_name,
                            sales_rep=reps.get(spec.rep_email), territory=spec.territory,
                            corporate_group=spec.corporate_group, city=spec.city,
                            payment_terms=spec.payment_terms, credit_limit=spec.credit_limit,
                            aliases=spec.aliases)
        customer.clean()
        customers.append(customer.to_mongo().to_dict())
    products = []
    for spec in company.products:
        product = Product(**vars(spec))
        product.clean()
        products.append(product.to_mongo().to_dict())
    counts = {"customers": _insert(Customer, customers), "items": _insert(Product, products)}
    customer_ids = dict(Customer.objects.scalar("code", "id"))
    product_ids = dict(Product.objects.scalar("item_code", "id"))
    counts["prices"] = _insert(PriceEntry, [
        {"customer": customer_ids[p.customer_code], "product": product_ids[p.item_code],
         "price": p.price, "active": True,
         "effective_from": _as_datetime(p.effective_from)} for p in company.prices])
    if not with_sales:
        return counts
    rep_of = {c.code: reps[c.rep_email].pk for c in company.customers if c.rep_email in reps}
    buckets: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for sale in company.sales():
        buckets[(sale.customer_code, sale.item_code)].append({
            "month": f"{sale.year:04d}-{sale.month:02d}", "quantity": sale.quantity,
            "unit_price": sale.unit_price, "sales": sale.sales, "cogs": sale.cogs,
            "gross_profit": sale.gross_profit, "rep_id": rep_of.get(sale.customer_code)})
    counts["sales_months"] = sum(len(months) for months in buckets.values())
    _insert(SalesHistory, [{"customer": customer_ids[c], "product": product_ids[i],
                            "months": months, "fingerprint": fingerprint(months)}
                           for (c, i), months in buckets.items()])
    by_name = {name_key(c.sop_name): customer_ids[c.code] for c in company.customers}
    counts["budget"] = _insert(BudgetEntry, [
        {"rep": reps[b.rep_email].pk, "sop_name": b.sop_name, "sop_name_key": name_key(
            b.sop_name), "customer": by_name.get(name_key(b.sop_name)), "year": b.year,
         "month": b.month, "cases": b.cases, "sales": b.sales}
        for b in company.budget() if b.rep_email in reps])
    return counts


def _as_datetime(day: Any) -> Any:
    from datetime import datetime

    return datetime(day.year, day.month, day.day)


def insert_cycle_lines(company: CompanyGenerator, cycle: Cycle, reps: list[str] | None = None,
                       revision: int = 0) -> int:
    """The generated plan of every active pair (of `reps`' customers only, when given) as
    forecast lines of `cycle`, inserted in bulk."""
    users = {u.email: u.pk for u in User.objects(role="sales_rep")}
    customer_ids = dict(Customer.objects.scalar("code", "id"))
    product_ids = dict(Product.objects.scalar("item_code", "id"))
    stamp = now()
    rows = [
        {"cycle": cycle.pk, "rep": users[spec.rep_email], "customer": customer_ids[
            spec.customer_code], "product": product_ids[spec.item_code],
         "probability": spec.probability, "new_item": False, "qty": spec.qty,
         "price": spec.price, "source": "portal", "version": 1, "updated_at": stamp,
         "created_at": stamp}
        for spec in company.forecasts(cycle.planning_start, cycle.horizon_months, revision)
        if spec.rep_email in users and (reps is None or spec.rep_email in reps)]
    return _insert(ForecastLine, rows)


def load_demo_cycles(company: CompanyGenerator, today: date) -> dict[str, int]:
    """Last month's cycle, approved and closed (its snapshot feeds "last cycle" columns), and
    this month's cycle open: the first rep has submitted, the second is half-way (lines, a few
    months still blank), the others have not started (they can copy last cycle's numbers)."""
    from sop.cycles.services import create_cycle
    from sop.cycles.states import close_cycle, open_cycle
    from sop.submissions.services import approve_submission, submit_plan

    admin = User.objects(role="admin").first()
    reps = [rep.email for rep in company.reps]
    this_month = first_of_month(today)
    last = create_cycle(admin, add_months(this_month, -1), open_date=add_months(this_month, -1),
                        close_date=add_months(this_month, -1) + timedelta(days=19))
    open_cycle(admin, last)
    counts = {"last_cycle_lines": insert_cycle_lines(company, last)}
    for rep in User.objects(role="sales_rep", email__in=reps):
        approve_submission(submit_plan(last, rep, rep), admin)
    close_cycle(admin, last)

    current = create_cycle(admin, this_month, open_date=this_month,
                           close_date=max(today + timedelta(days=7),
                                          this_month + timedelta(days=19)))
    open_cycle(admin, current)
    counts["open_cycle_lines"] = insert_cycle_lines(company, current, reps[:2], revision=1)
    first, second = (User.objects.get(email=email) for email in reps[:2])
    submit_plan(current, first, first)
    half_done = ForecastLine.objects(cycle=current, rep=second).limit(5)
    for line in half_done:
        line.update(set__qty=[*line.qty[:9], None, None, None, *line.qty[12:]])
    return counts
