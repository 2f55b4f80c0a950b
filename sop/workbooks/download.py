"""The files the workbook page hands out: the rep's pre-filled workbook (DOMAIN.md §5.1: the
rep's customers, the catalog of their active price-matrix items and this cycle's lines, last
cycle's rolled forward while there are none yet, as a `WorkbookPlan` for
sop.excel.rep_workbook) and the consolidated plan (§5.2)."""

from __future__ import annotations

from typing import Any

from bson import ObjectId

from sop.audit import record_audit
from sop.clock import now
from sop.db import raw_collection
from sop.models import BudgetEntry, Customer, Cycle, User, name_key
from sop.plans import (
    baseline_for,
    cached_catalog,
    cached_matrix,
    consolidated_rows,
    pad,
    raw_lines,
    rolled_forward,
)
from sop.security import visible_reps
from sop.workbooks.access import WorkbookRefused, may_download


def sheet_customers(rep: User) -> list[Customer]:
    """The rep's active customers, one per S&OP name (the sheet name), in name order. When
    several accounts share an S&OP name, the first by code gets the sheet."""
    seen: set[str] = set()
    result = []
    for customer in Customer.objects(sales_rep=rep.pk, active=True).order_by(
            "sop_name_key", "code"):
        if customer.sop_name_key not in seen:
            seen.add(customer.sop_name_key)
            result.append(customer)
    return result


def _group_text(product: dict[str, Any]) -> str:
    return " - ".join(p for p in (product.get("group_description"), product.get("category"))
                      if p)


def _plan_lines(cycle: Cycle, rep: User, customer_ids: list[ObjectId]) -> list[dict[str, Any]]:
    """This cycle's lines of the rep's customers, or else last cycle's rolled forward
    (sop.plans.rolled_forward: the grid's "copy last cycle" starts from the same lines)."""
    wanted = set(customer_ids)
    # scoped by caller: the rep whose workbook the caller may download
    lines = [doc for doc in raw_lines({"cycle": cycle.pk, "rep": rep.pk}, fields=None)
             if doc["customer"] in wanted]
    if lines:
        return lines
    rolled = rolled_forward(cycle, rep.pk, customer_ids)
    return [] if rolled is None else list(rolled.lines.values())


def workbook_plan(cycle: Cycle, rep: User) -> Any:
    """Everything the rep's pre-filled workbook shows (sop.excel.rep_workbook.WorkbookPlan)."""
    from sop.excel.rep_workbook import (
        BaselineRow,
        BudgetRow,
        CatalogItem,
        CustomerSheet,
        SheetLine,
        WorkbookPlan,
    )

    customers = sheet_customers(rep)
    ids = [c.pk for c in customers]
    catalog_ids = {product for (_, product), entry in cached_matrix(ids).items()
                   if entry.active}
    lines = _plan_lines(cycle, rep, ids)
    # an item planned outside the new-item block has a catalog row, so that the file reads
    # back as the same line (the workbook's new-item rows are for new items only)
    catalog_ids |= {line["product"] for line in lines if not line.get("new_item")}
    products = cached_catalog()
    items = [CatalogItem(p["item_code"], p.get("description") or "", _group_text(p))
             for p in sorted((products[i] for i in catalog_ids if i in products),
                             key=lambda p: p["item_code"]) if p.get("active", True)]
    in_catalog = {item.item_code for item in items}
    horizon = cycle.horizon_months
    by_customer: dict[ObjectId, list[Any]] = {}
    for line in lines:
        product = products.get(line["product"])
        if product is None:
            continue
        by_customer.setdefault(line["customer"], []).append(SheetLine(
            item_code=product["item_code"], description=product.get("description") or "",
            probability=line.get("probability"), qty=pad(line.get("qty"), horizon),
            price=pad(line.get("price"), horizon),
            new_item=bool(line.get("new_item")) or product["item_code"] not in in_catalog))
    # the read-only baseline block: every catalog item and planned item of each sheet
    shown = catalog_ids | {line["product"] for line in lines}
    baselines: dict[ObjectId, dict[str, Any]] = {}
    for (customer, product), found in baseline_for(
            cycle, [(c, p) for c in ids for p in shown]).items():
        if product in products:
            baselines.setdefault(customer, {})[products[product]["item_code"]] = BaselineRow(
                found.qty, found.method)
    sheets = [CustomerSheet(c.sop_name, sorted(by_customer.get(c.pk, []),
                                               key=lambda s: (s.new_item, s.item_code)),
                            baselines.get(c.pk, {}))
              for c in customers]
    return WorkbookPlan(rep_name=rep.full_name, cycle_name=cycle.name,
                        months=cycle.bucket_months, mandatory_months=cycle.mandatory_months,
                        catalog=items, customers=sheets,
                        budget=_budget_rows(cycle, rep, BudgetRow))


def _budget_rows(cycle: Cycle, rep: User, row_type: type) -> list[Any]:
    months = {(m.year, m.month): m for m in cycle.bucket_months}
    names = dict(Customer.objects(sales_rep=rep.pk).scalar("id", "sop_name"))
    rows: dict[str, Any] = {}
    # scoped by caller: the rep whose workbook the caller may download
    for entry in raw_collection(BudgetEntry).find(
            {"rep": rep.pk, "year": {"$in": sorted({y for y, _ in months})}},
            {"sop_name": 1, "customer": 1, "year": 1, "month": 1, "cases": 1, "sales": 1}):
        month = months.get((entry["year"], entry["month"]))
        if month is None:
            continue
        name = names.get(entry.get("customer")) or entry["sop_name"]
        row = rows.setdefault(name_key(name), row_type(name))
        row.cases[month] = row.cases.get(month, 0.0) + (entry.get("cases") or 0.0)
        row.sales[month] = row.sales.get(month, 0.0) + (entry.get("sales") or 0.0)
    return [rows[key] for key in sorted(rows)]


def generate_rep_workbook(actor: User | None, cycle: Cycle, rep: User) -> bytes:
    """The rep's pre-filled workbook for the cycle (audited download)."""
    from sop.excel.rep_workbook import write_rep_workbook

    if not may_download(actor, rep):
        raise WorkbookRefused("You may download only your own workbook.")
    plan = workbook_plan(cycle, rep)
    data = write_rep_workbook(plan)
    record_audit("workbook_downloaded",
                 f"Workbook of {rep.full_name} for {cycle.name} downloaded "
                 f"({len(plan.customers)} customer sheets).", actor=actor,
                 entity_type="cycle", entity_id=cycle.pk)
    return data


def export_consolidated(viewer: User | None, cycle: Cycle) -> bytes:
    """The §5.2 sheet and its pivots for every line `viewer` may see (audited)."""
    from sop.excel.consolidated import write_consolidated

    rep_ids = None if viewer is None else visible_reps(viewer)
    scope = "every rep" if rep_ids is None else f"the lines of {viewer.full_name}"
    data = write_consolidated(consolidated_rows(cycle, rep_ids), cycle.bucket_months, about=[
        f"Consolidated plan of {cycle.name} ({scope}), exported {now():%Y-%m-%d %H:%M} UTC.",
        "One row per line with volume; $ at effective prices: the entered price, else the "
        "line's last earlier price, else the customer's price, else the list price (as "
        "frozen when the cycle closed, once it is closed)."])
    record_audit("consolidated_exported", f"Consolidated plan of {cycle.name} exported.",
                 actor=viewer, entity_type="cycle", entity_id=cycle.pk)
    return data

