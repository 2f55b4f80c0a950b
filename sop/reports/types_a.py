"""Report types A: the consolidated plan (DOMAIN.md §5.2) with its pivots, the forecast summary
of a cycle, the submission status of a cycle and the sales summary of a range of months.

Every builder reads through the report's scope (`ReportContext.rep_ids` / `customer_ids` /
`product_ids`: a rep only ever gets their own lines, budget, submission and customers) and
writes through `sop.reports.book.ReportBook`. A cycle's plan is read as planned: its frozen
snapshot once closed (effective prices as frozen), else its live lines valued now
(`sop.plans.valued_plan_lines`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from bson import ObjectId

from sop.excel.consolidated import MONTHS as CONSOL_MONTHS
from sop.excel.consolidated import ConsolTotals, add_consolidated
from sop.models import BudgetEntry, Customer, Product, SalesHistory, User
from sop.models.sales import read_fingerprint, unpack_figures
from sop.months import add_months, parse_year_month
from sop.plans import (
    VALUED_LINE_COLLECTIONS,
    PlanTotals,
    consolidated_rows,
    missing_months,
    previous_over_same_months,
    valued_plan_lines,
)
from sop.reports.book import (
    EFFECTIVE_PRICE_NOTE,
    FORECAST_DOLLARS_NOTE,
    MONTHS_NOTE,
    ReportBook,
    ReportColumn,
    ReportSheet,
)
from sop.reports.registry import ReportContext, ReportType, register
from sop.security import scoped_query
from sop.submissions.board import board_rep_ids, board_statuses
from sop.submissions.services import status_label

TOTAL_MONTHS = 12  # "M1-M12" totals: the mandatory horizon every comparison uses
TOP = 50  # rows of the top customers and top items sheets
PROGRESS_EVERY = 2000
PLAN_COLLECTIONS = (*VALUED_LINE_COLLECTIONS, "cycles", "forecast_snapshots", "customers",
                    "users")
UNMATCHED = "(budget not matched to a customer)"
METHODS = {"portal": "Portal", "excel": "Excel workbook"}


# --- shared reading -----------------------------------------------------------------------

def _keep(ctx: ReportContext) -> Callable[[dict[str, Any]], bool] | None:
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


def _cycle(ctx: ReportContext) -> Any:
    """The report's cycle; a sentence for the requester when it was deleted meanwhile."""
    cycle = ctx.cycle()
    if cycle is None:
        raise ValueError("The cycle of this report no longer exists.")
    return cycle


def _rep_query(ctx: ReportContext) -> dict[str, Any]:
    reps = ctx.rep_ids()
    return {} if reps is None else {"rep": {"$in": reps}}


def _plan_lines(ctx: ReportContext, cycle_id: ObjectId, fields: tuple[str, ...]
                ) -> Iterable[Any]:
    """The scoped lines of a cycle as planned (sop.plans.ValuedLine)."""
    keep = _keep(ctx)
    for line in valued_plan_lines(cycle_id, _rep_query(ctx),
                                  (*fields, "rep", "customer", "product")):
        if keep is None or keep(line.raw):
            yield line


def _names() -> tuple[dict[ObjectId, dict], dict[ObjectId, dict], dict[ObjectId, str]]:
    """Customers, products and user names by id (small collections, read whole)."""
    # scoped by caller: names of what the scoped lines refer to
    customers = {c["_id"]: c for c in Customer._get_collection().find(
        {}, {"code": 1, "sop_name": 1, "sop_name_key": 1, "territory": 1, "sales_rep": 1})}
    products = {p["_id"]: p for p in Product._get_collection().find(
        {}, {"item_code": 1, "description": 1, "group_description": 1})}
    users = {u["_id"]: u.get("full_name") or u.get("email") or "" for u in
             User._get_collection().find({}, {"full_name": 1, "email": 1})}
    return customers, products, users


def _ratio(part: float | None, whole: float | None) -> float | None:
    return None if part is None or not whole else part / whole


def _change(value: float, base: float | None) -> tuple[float | None, float | None]:
    """value - base and that in % of the base (None when there is no base / a zero base)."""
    if base is None:
        return None, None
    return value - base, (value - base) / abs(base) if base else None


# --- consolidated plan (DOMAIN.md §5.2) ---------------------------------------------------

def build_consolidated(ctx: ReportContext) -> None:
    cycle = _cycle(ctx)
    book = ReportBook(ctx, f"Consolidated plan {cycle.name}", [
        "Consol: one row per (rep, customer, item) line with volume in any month, ordered by "
        "rep, customer S&OP name, item code, new items last in each rep's block; the layout "
        "of the sheet planners already use (DOMAIN.md §5.2, header on row 1), so their own "
        "pivot tables and look-ups keep working.",
        "Volume columns: cases M1-M12; TOTAL = SUM of M1-M12; price columns: effective "
        "$/case; sales columns: price x cases (formulas).", EFFECTIVE_PRICE_NOTE,
        "By rep: cases and $ per rep and month, with totals. By group: cases and $ per "
        "product group and item, a subtotal per group and a grand total. Blank and zero "
        "volumes count as 0."])
    totals = ConsolTotals()
    add_consolidated(book.workbook, consolidated_rows(cycle, ctx.rep_ids(), _keep(ctx)),
                     cycle.bucket_months[:CONSOL_MONTHS], totals,
                     top=[text for text, _ in book.title_block()],
                     progress=lambda lines: ctx.progress("Writing the Consol sheet", lines,
                                                         None))
    book.note_sheet("Consol", totals.lines)
    book.note_sheet("By rep", len(totals.by_rep))
    book.note_sheet("By group", len(totals.by_item))
    ctx.progress("Saving the workbook", totals.lines, totals.lines)
    book.save()


# --- forecast summary ---------------------------------------------------------------------

@dataclass
class ForecastSummaryRow(PlanTotals):
    """One row of the forecast summary: a cycle's plan, budget and previous cycle."""

    budget_cases: float | None = None  # over M1-M12 (None: no budget comparable)
    budget_dollars: float | None = None
    previous_cases: float | None = None  # the previous cycle over the same calendar months
    previous_dollars: float | None = None

    @property
    def cases_12(self) -> float:
        return self.cases_through(TOTAL_MONTHS)

    @property
    def dollars_12(self) -> float:
        return self.dollars_through(TOTAL_MONTHS)

    def merge(self, other: ForecastSummaryRow) -> None:
        """Add another row's figures (a totals row, the month view)."""
        self.lines += other.lines
        self.cases = [a + b for a, b in zip(self.cases, other.cases, strict=True)]
        self.dollars = [a + b for a, b in zip(self.dollars, other.dollars, strict=True)]
        for name in ("budget_cases", "budget_dollars", "previous_cases", "previous_dollars"):
            mine, theirs = getattr(self, name), getattr(other, name)
            if theirs is not None:
                setattr(self, name, (mine or 0.0) + theirs)

    def values(self) -> list[Any]:
        cases_vs_budget, cases_vs_budget_pct = _change(self.cases_12, self.budget_cases)
        dollars_vs_budget, dollars_vs_budget_pct = _change(self.dollars_12, self.budget_dollars)
        cases_vs_prev, cases_vs_prev_pct = _change(self.cases_12, self.previous_cases)
        dollars_vs_prev, dollars_vs_prev_pct = _change(self.dollars_12, self.previous_dollars)
        return [self.lines, *self.cases, self.cases_12, *self.dollars, self.dollars_12,
                self.budget_cases, cases_vs_budget, cases_vs_budget_pct,
                self.budget_dollars, dollars_vs_budget, dollars_vs_budget_pct,
                self.previous_cases, cases_vs_prev, cases_vs_prev_pct,
                self.previous_dollars, dollars_vs_prev, dollars_vs_prev_pct]


def figure_columns(months: list[date]) -> list[ReportColumn]:
    twelve = f"M1-M{min(TOTAL_MONTHS, len(months))}"
    return [ReportColumn("Lines", "int", 8),
            *(ReportColumn(f"{m:%b-%y} cases", "cases", 11) for m in months),
            ReportColumn(f"Cases {twelve}", "cases", 13),
            *(ReportColumn(f"{m:%b-%y} $", "money", 13) for m in months),
            ReportColumn(f"$ {twelve}", "money", 15),
            ReportColumn(f"Budget cases {twelve}", "cases", 13),
            ReportColumn("Cases vs budget", "cases", 12),
            ReportColumn("Cases vs budget %", "percent", 10),
            ReportColumn(f"Budget $ {twelve}", "money", 15),
            ReportColumn("$ vs budget", "money", 14),
            ReportColumn("$ vs budget %", "percent", 10),
            ReportColumn("Previous cycle cases", "cases", 13),
            ReportColumn("Cases vs previous", "cases", 12),
            ReportColumn("Cases vs previous %", "percent", 10),
            ReportColumn("Previous cycle $", "money", 15),
            ReportColumn("$ vs previous", "money", 14),
            ReportColumn("$ vs previous %", "percent", 10)]


def build_forecast_summary(ctx: ReportContext) -> None:
    cycle = _cycle(ctx)
    months = cycle.bucket_months
    horizon = len(months)
    twelve = months[:TOTAL_MONTHS]
    customers, products, users = _names()
    same = previous_over_same_months(cycle, len(twelve))
    previous = same.previous if same is not None else None
    budget_comparable = not (ctx.filters.item or ctx.filters.group)
    views: dict[str, dict[Any, ForecastSummaryRow]] = {name: {} for name in (
        "rep", "customer", "group", "territory")}
    by_month = ForecastSummaryRow(horizon)  # the month view: plan per bucket
    month_budget: list[float | None] = [None] * len(twelve)
    month_previous: list[float | None] = [None] * len(twelve)
    month_budget_dollars: list[float | None] = [None] * len(twelve)
    month_previous_dollars: list[float | None] = [None] * len(twelve)

    def keys(rep: Any, customer: Any, product: Any) -> dict[str, Any]:
        found = customers.get(customer, {})
        return {"rep": rep, "customer": customer,
                "group": products.get(product, {}).get("group_description") or "",
                "territory": found.get("territory") or ""}

    def rows_for(view: str, key: Any) -> ForecastSummaryRow:
        row = views[view].get(key)
        if row is None:  # 0 where there is something to compare with, else blank
            budget = 0.0 if budget_comparable and view != "group" else None
            earlier = 0.0 if previous is not None else None
            row = views[view][key] = ForecastSummaryRow(horizon, budget_cases=budget,
                                             budget_dollars=budget, previous_cases=earlier,
                                             previous_dollars=earlier)
        return row

    for done, line in enumerate(_plan_lines(ctx, cycle.pk, ()), start=1):
        raw = line.raw
        qty = line.qty
        for view, key in keys(raw["rep"], raw["customer"], raw["product"]).items():
            row = rows_for(view, key)
            row.lines += 1
            for i in range(min(horizon, len(qty))):
                row.cases[i] += qty[i] or 0.0
                row.dollars[i] += line.revenue[i]
        if done % PROGRESS_EVERY == 0:
            ctx.progress("Reading the plan", done, None)

    if same is not None:
        ctx.progress("Reading the previous cycle", 0, None)
        month_previous = [0.0] * len(twelve)
        month_previous_dollars = [0.0] * len(twelve)
        keep = _keep(ctx)
        for line in same.lines(_rep_query(ctx), ("rep", "customer", "product")):
            raw = line.raw
            if keep is not None and not keep(raw):
                continue
            for target in range(len(twelve)):  # the same calendar months as this cycle's
                month_previous[target] += line.cases[target]
                month_previous_dollars[target] += line.dollars[target]
            cases, dollars = sum(line.cases), sum(line.dollars)
            for view, key in keys(raw["rep"], raw["customer"], raw["product"]).items():
                row = rows_for(view, key)
                row.previous_cases = (row.previous_cases or 0.0) + cases
                row.previous_dollars = (row.previous_dollars or 0.0) + dollars

    if budget_comparable:
        ctx.progress("Reading the budget", 0, None)
        month_budget = [0.0] * len(twelve)
        month_budget_dollars = [0.0] * len(twelve)
        index = {(m.year, m.month): i for i, m in enumerate(twelve)}
        for entry in _budget_entries(ctx, twelve):
            cases, dollars = entry.get("cases") or 0.0, entry.get("sales") or 0.0
            position = index[(entry["year"], entry["month"])]
            month_budget[position] += cases
            month_budget_dollars[position] += dollars
            customer = entry.get("customer")
            territory = (customers.get(customer, {}).get("territory") or "") if customer \
                else UNMATCHED
            for view, key in (("rep", entry["rep"]), ("customer", customer or UNMATCHED),
                              ("territory", territory)):
                row = rows_for(view, key)
                row.budget_cases = (row.budget_cases or 0.0) + cases
                row.budget_dollars = (row.budget_dollars or 0.0) + dollars

    columns = figure_columns(months)
    book = ReportBook(ctx, f"Forecast summary {cycle.name}", _summary_about(
        cycle, previous, budget_comparable))
    _figure_sheet(book, "By rep", [ReportColumn("Sales rep", width=24)], columns,
                  {key: [users.get(key, "")] for key in views["rep"]}, views["rep"])
    _figure_sheet(book, "By customer", [
        ReportColumn("Customer code", width=16), ReportColumn("Customer S&OP", width=28),
        ReportColumn("Territory", width=16), ReportColumn("Customer's rep", width=22)],
        columns, {key: _customer_keys(customers, users, key) for key in views["customer"]},
        views["customer"])
    _figure_sheet(book, "By group", [ReportColumn("Product group", width=24)], columns,
                  {key: [key] for key in views["group"]}, views["group"])
    _figure_sheet(book, "By territory", [ReportColumn("Territory", width=20)], columns,
                  {key: [key] for key in views["territory"]}, views["territory"])

    for row in views["rep"].values():
        by_month.merge(ForecastSummaryRow(horizon, row.lines, row.cases, row.dollars))
    sheet = book.sheet("By month", [
        ReportColumn("Bucket", width=8), ReportColumn("Month", "month"),
        ReportColumn("Cases", "cases"), ReportColumn("$", "money", 15),
        ReportColumn("Budget cases", "cases"), ReportColumn("Cases vs budget", "cases"),
        ReportColumn("Cases vs budget %", "percent"), ReportColumn("Budget $", "money", 15),
        ReportColumn("$ vs budget", "money", 14), ReportColumn("$ vs budget %", "percent"),
        ReportColumn("Previous cycle cases", "cases"),
        ReportColumn("Cases vs previous", "cases"),
        ReportColumn("Cases vs previous %", "percent"),
        ReportColumn("Previous cycle $", "money", 15), ReportColumn("$ vs previous", "money"),
        ReportColumn("$ vs previous %", "percent")])

    def month_values(cases: float, dollars: float, budget: float | None,
                     budget_dollars: float | None, prev: float | None,
                     prev_dollars: float | None) -> list[Any]:
        return [cases, dollars, budget, *_change(cases, budget), budget_dollars,
                *_change(dollars, budget_dollars), prev, *_change(cases, prev), prev_dollars,
                *_change(dollars, prev_dollars)]

    for i, month in enumerate(months):
        inside = i < len(twelve)
        sheet.row([f"M{i + 1}", month, *month_values(
            by_month.cases[i], by_month.dollars[i],
            month_budget[i] if inside else None, month_budget_dollars[i] if inside else None,
            month_previous[i] if inside else None,
            month_previous_dollars[i] if inside else None)])

    def total(values: list[float | None]) -> float | None:
        return None if values[0] is None else sum(v or 0.0 for v in values)

    sheet.total_row(f"M1-M{len(twelve)}", [None, *month_values(
        by_month.cases_12, by_month.dollars_12, total(month_budget),
        total(month_budget_dollars), total(month_previous), total(month_previous_dollars))])
    if horizon > len(twelve):
        sheet.total_row(f"M1-M{horizon}", [None, sum(by_month.cases), sum(by_month.dollars)])
    book.save()


def _budget_entries(ctx: ReportContext, months: list[date]) -> Iterable[dict[str, Any]]:
    """Budget rows of the calendar months, scoped like the plan (rep; territory/customer)."""
    query: dict[str, Any] = {"$or": [{"year": m.year, "month": m.month} for m in months]}
    query.update(_rep_query(ctx))
    filters = ctx.filters
    customers = set(ctx.customer_ids() or ()) if (filters.territory or filters.customer) \
        else None
    # scoped by caller: `query` holds the report context's reps (_rep_query)
    for entry in BudgetEntry._get_collection().find(query, {
            "rep": 1, "customer": 1, "year": 1, "month": 1, "cases": 1, "sales": 1}):
        if customers is None or entry.get("customer") in customers:
            yield entry


def _customer_keys(customers: dict, users: dict, key: Any) -> list[Any]:
    if key == UNMATCHED:
        return [None, UNMATCHED, None, None]
    found = customers.get(key, {})
    return [found.get("code"), found.get("sop_name"), found.get("territory"),
            users.get(found.get("sales_rep"))]


def _figure_sheet(book: ReportBook, title: str, key_columns: list[ReportColumn],
                  columns: list[ReportColumn], labels: dict[Any, list[Any]],
                  rows: dict[Any, ForecastSummaryRow]) -> ReportSheet:
    """One view: a row per key (sorted by its labels), then the total."""
    sheet = book.sheet(title, [*key_columns, *columns])
    grand: ForecastSummaryRow | None = None
    for key in sorted(rows, key=lambda k: [str(v or "").casefold() for v in labels[k]]):
        figures = rows[key]
        sheet.row([*labels[key], *figures.values()])
        if grand is None:
            grand = ForecastSummaryRow(figures.horizon)
        grand.merge(figures)
    if grand is not None:
        sheet.total_row("Total", [None] * (len(key_columns) - 1) + grand.values())
    return sheet


def _summary_about(cycle: Any, previous: Any, budget_comparable: bool) -> list[str]:
    lines = [
        f"The plan of cycle {cycle.name} (status {cycle.status}), one sheet per view: by "
        "sales rep (the rep who owns the line), by customer, by product group, by territory "
        "(the customer's), and by month.", MONTHS_NOTE, FORECAST_DOLLARS_NOTE,
        EFFECTIVE_PRICE_NOTE, "Lines: forecast lines of the row (with or without volume).",
        "Variance vs budget = plan - budget over M1-M12 (positive: the plan is above "
        "budget); % = variance / |budget|, blank when the budget is 0.",
        "Budget: the budget of the same calendar months as M1-M12 (by the budget's rep and "
        f"customer; budget rows whose customer name matched no customer appear as "
        f"\"{UNMATCHED}\")."]
    if previous is not None:
        lines.append(
            f"Previous cycle: {previous.name}, as planned (its snapshot once closed), over the "
            "same calendar months as this cycle's M1-M12 (months it did not plan count as "
            "0). Variance vs previous = this plan - previous; % = variance / |previous|.")
    else:
        lines.append("Previous cycle: none before this one, so those columns are blank.")
    if not budget_comparable:
        lines.append("The budget is kept per customer, not per item: with an item or group "
                     "filter the budget columns are blank.")
    else:
        lines.append("By product group: the budget has no item, so its budget columns are "
                     "blank.")
    return lines


# --- submission status --------------------------------------------------------------------

def build_submission_status(ctx: ReportContext) -> None:
    cycle = _cycle(ctx)
    mandatory = min(cycle.mandatory_months, cycle.horizon_months)
    twelve = min(TOTAL_MONTHS, cycle.horizon_months)
    rep_ids = ctx.rep_ids()
    ids = board_rep_ids(cycle) if rep_ids is None else rep_ids
    statuses = board_statuses(cycle, ids)
    customers_of: dict[ObjectId, int] = {}
    for row in Customer._get_collection().find(scoped_query(
            Customer, ctx.viewer, {"active": True, "sales_rep": {"$ne": None}}),
            {"sales_rep": 1}):
        customers_of[row["sales_rep"]] = customers_of.get(row["sales_rep"], 0) + 1
    plans: dict[ObjectId, list[float]] = {}  # lines, cases, $, incomplete lines, blank cells
    for line in valued_plan_lines(cycle.pk, _rep_query(ctx), ("rep",)):
        figures = plans.setdefault(line.raw["rep"], [0, 0.0, 0.0, 0, 0])
        qty = line.qty
        missing = len(missing_months(qty, mandatory))
        figures[0] += 1
        figures[1] += sum(q or 0.0 for q in qty[:twelve])
        figures[2] += sum(line.revenue[:twelve])
        figures[3] += 1 if missing else 0
        figures[4] += missing

    book = ReportBook(ctx, f"Submission status {cycle.name}", [
        f"One row per sales rep on the board of cycle {cycle.name} (status {cycle.status}): "
        "reps owning active customers, with lines in the cycle or with a submission.",
        "Status: Not submitted (draft or never started), Submitted, Approved, Rejected "
        "(to be corrected and submitted again), Missed (not submitted when the cycle "
        "closed). Submitted at/by, method (portal or Excel workbook), reviewed by/at and "
        "the review comment are the last ones recorded. Times are UTC.",
        f"Lines, cases and $ are the plan as it stands (the snapshot once the cycle closed), "
        f"cases and $ over M1-M{twelve}. {FORECAST_DOLLARS_NOTE}", EFFECTIVE_PRICE_NOTE,
        f"Incomplete lines: lines with a blank cell in the {mandatory} mandatory months; "
        "blank mandatory cells: how many such cells in all (0 is a value, blank is not).",
        "Timeline: every step of every submission, oldest first."])
    sheet = book.sheet("Submissions", [
        ReportColumn("Sales rep", width=24), ReportColumn("E-mail", width=28),
        ReportColumn("Active customers", "int", 10), ReportColumn("Status", width=14),
        ReportColumn("Submitted at", "datetime"), ReportColumn("Submitted by", width=22),
        ReportColumn("Method", width=9), ReportColumn("Reviewed by", width=22),
        ReportColumn("Reviewed at", "datetime"), ReportColumn("Review comment", width=40),
        ReportColumn("Lines", "int", 8), ReportColumn(f"Cases M1-M{twelve}", "cases", 13),
        ReportColumn(f"$ M1-M{twelve}", "money", 15),
        ReportColumn("Incomplete lines", "int", 11),
        ReportColumn("Blank mandatory cells", "int", 11)])
    names = {u.pk: u.full_name for u in User.objects.only("full_name")}
    counts: dict[str, int] = {}
    total = [0, 0.0, 0.0, 0, 0]
    for rep, submission in statuses:
        figures = plans.get(rep.pk, [0, 0.0, 0.0, 0, 0])
        total = [a + b for a, b in zip(total, figures, strict=True)]
        status = submission.status if submission else "draft"
        counts[status] = counts.get(status, 0) + 1

        sheet.row([rep.full_name, rep.email, customers_of.get(rep.pk, 0),
                   status_label(status), submission.submitted_at if submission else None,
                   _user_name(submission, "submitted_by", names),
                   METHODS.get(submission.method) if submission else None,
                   _user_name(submission, "reviewed_by", names),
                   submission.reviewed_at if submission else None,
                   (submission.review_comment or None) if submission else None, *figures])
    summary = ", ".join(f"{n} {status_label(s).lower()}" for s, n in sorted(counts.items()))
    sheet.total_row(f"{len(statuses)} reps" + (f": {summary}" if summary else ""),
                    [None] * 9 + total)

    timeline = book.sheet("Timeline", [
        ReportColumn("Sales rep", width=24), ReportColumn("Step", width=14),
        ReportColumn("At", "datetime"), ReportColumn("By", width=22),
        ReportColumn("Comment", width=50)])
    for rep, submission in statuses:
        for event in (submission.history if submission else []):
            timeline.row([rep.full_name, status_label(event.status), event.at,
                          _user_name(event, "by", names),
                          event.comment or None])
    by_status = book.sheet("By status", [ReportColumn("Status", width=16),
                                         ReportColumn("Reps", "int", 8)])
    for status in ("draft", "submitted", "approved", "rejected", "missed"):
        by_status.row([status_label(status), counts.get(status, 0)])
    by_status.total_row("Total", [len(statuses)])
    book.save()


def _user_name(document: Any, field_name: str, names: dict[ObjectId, str]) -> str | None:
    """The name of the user a reference field names, from `names` (no query per row)."""
    ref = document._data.get(field_name) if document is not None else None
    return names.get(getattr(ref, "id", ref)) if ref is not None else None


# --- sales summary ------------------------------------------------------------------------

@dataclass
class Sales:
    cases: float = 0.0
    dollars: float = 0.0
    gross_profit: float = 0.0

    def add(self, figures: tuple[float | None, ...]) -> None:
        """One month's (quantity, unit price, sales, COGS, gross profit); blank counts 0."""
        self.cases += figures[0] or 0.0
        self.dollars += figures[2] or 0.0
        self.gross_profit += figures[4] or 0.0

    def values(self) -> list[Any]:
        return [self.cases, self.dollars, self.gross_profit,
                _ratio(self.gross_profit, self.dollars), _ratio(self.dollars, self.cases)]


SALES_COLUMNS = [ReportColumn("Cases", "cases"), ReportColumn("Sales $", "money", 15),
                 ReportColumn("Gross profit $", "money", 15), ReportColumn("GP %", "percent", 8),
                 ReportColumn("Avg $/case", "money", 11)]


def build_sales_summary(ctx: ReportContext) -> None:
    months = ctx.months()
    wanted = set(months)
    year_before = {add_months(parse_year_month(m), -12).strftime("%Y-%m"): m for m in months}
    customers, products, users = _names()
    by_month: dict[str, Sales] = {m: Sales() for m in months}
    before: dict[str, Sales] = {m: Sales() for m in months}  # by the month it compares with
    by_customer: dict[ObjectId, Sales] = {}
    by_item: dict[ObjectId, Sales] = {}
    this, last = Sales(), Sales()
    buyers_before: set[ObjectId] = set()
    items_before: set[ObjectId] = set()
    for bucket in _sales_buckets(ctx):
        customer, product = bucket["customer"], bucket["product"]
        for name, packed in read_fingerprint(bucket.get("fingerprint") or b"").items():
            if name not in wanted and name not in year_before:
                continue
            month = unpack_figures(packed)
            if name in wanted:
                by_month[name].add(month)
                this.add(month)
                by_customer.setdefault(customer, Sales()).add(month)
                by_item.setdefault(product, Sales()).add(month)
            if name in year_before:
                before[year_before[name]].add(month)
                last.add(month)
                buyers_before.add(customer)
                items_before.add(product)

    first, final = parse_year_month(months[0]), parse_year_month(months[-1])
    span = f"{first:%b %Y} to {final:%b %Y}"
    span_before = f"{add_months(first, -12):%b %Y} to {add_months(final, -12):%b %Y}"
    book = ReportBook(ctx, f"Sales summary {span}", [
        f"Actual sales (invoiced) of the months {span}, exactly those {len(months)} months, "
        f"compared with the same months a year before ({span_before}).",
        "Cases = quantity sold; Sales $ = invoiced sales; Gross profit $ as imported (blank "
        "counts as 0); GP % = gross profit / sales; Avg $/case = sales / cases.",
        "Change = this range - year before; change % = change / |year before| (blank when the "
        "year before is 0).",
        f"Top customers and top items: the {TOP} largest by sales $ in the range; share = "
        "their sales / all sales of the range; cumulative share adds the rows above.",
        "Scope: the customers of the rep (their current customers) for a rep, else the "
        "customers matching the filters; the item and group filters select items."])

    summary = book.sheet("Summary", [ReportColumn("Period", width=30), *SALES_COLUMNS,
                                     ReportColumn("Customers buying", "int", 10),
                                     ReportColumn("Items sold", "int", 10)])
    summary.row([span, *this.values(), len(by_customer), len(by_item)])
    summary.row([f"Year before: {span_before}", *last.values(), len(buyers_before),
                 len(items_before)])
    changes = [a - b if a is not None and b is not None else None for a, b in zip(
        [*this.values(), len(by_customer), len(by_item)],
        [*last.values(), len(buyers_before), len(items_before)], strict=True)]
    summary.total_row("Change", changes)
    summary.total_row("Change %", [_change(a, b)[1] for a, b in (
        (this.cases, last.cases), (this.dollars, last.dollars),
        (this.gross_profit, last.gross_profit))], kinds=["percent"] * 3)

    trend = book.sheet("Monthly trend", [
        ReportColumn("Month", "month"), *SALES_COLUMNS,
        ReportColumn("Cases year before", "cases"),
        ReportColumn("Sales $ year before", "money", 15),
        ReportColumn("Sales $ vs year before %", "percent", 12)])
    for month in months:
        figures, earlier = by_month[month], before[month]
        trend.row([parse_year_month(month), *figures.values(), earlier.cases, earlier.dollars,
                   _change(figures.dollars, earlier.dollars)[1]])
    trend.total_row("Total", [*this.values(), last.cases, last.dollars,
                              _change(this.dollars, last.dollars)[1]])

    _top_sheet(book, "Top customers", [
        ReportColumn("Customer code", width=16), ReportColumn("Customer S&OP", width=28),
        ReportColumn("Sales rep", width=22), ReportColumn("Territory", width=16)],
        by_customer, this, lambda key: [
            customers.get(key, {}).get("code"), customers.get(key, {}).get("sop_name"),
            users.get(customers.get(key, {}).get("sales_rep")),
            customers.get(key, {}).get("territory")])
    _top_sheet(book, "Top items", [
        ReportColumn("Item code", width=10), ReportColumn("Description", width=32),
        ReportColumn("Product group", width=22)], by_item, this, lambda key: [
            products.get(key, {}).get("item_code"), products.get(key, {}).get("description"),
            products.get(key, {}).get("group_description")])
    book.save()


def _top_sheet(book: ReportBook, title: str, key_columns: list[ReportColumn],
               rows: dict[ObjectId, Sales], whole: Sales,
               labels: Callable[[ObjectId], list[Any]]) -> None:
    sheet = book.sheet(title, [ReportColumn("Rank", "int", 6), *key_columns, *SALES_COLUMNS,
                               ReportColumn("Share of sales", "percent", 10),
                               ReportColumn("Cumulative share", "percent", 11)])
    ranked = sorted(rows.items(), key=lambda item: (-item[1].dollars, str(item[0])))[:TOP]
    cumulative = 0.0
    shown = Sales()
    for rank, (key, figures) in enumerate(ranked, start=1):
        share = _ratio(figures.dollars, whole.dollars)
        cumulative += share or 0.0
        shown.cases += figures.cases
        shown.dollars += figures.dollars
        shown.gross_profit += figures.gross_profit
        sheet.row([rank, *labels(key), *figures.values(), share,
                   cumulative if share is not None else None])
    blanks = [None] * len(key_columns)
    sheet.total_row(f"Top {len(ranked)}", [*blanks, *shown.values(),
                                           _ratio(shown.dollars, whole.dollars), None])
    sheet.total_row(f"All {len(rows)}", [*blanks, *whole.values(),
                                         1.0 if whole.dollars else None, None])


def _sales_buckets(ctx: ReportContext) -> Iterable[dict[str, Any]]:
    """Sales history buckets of the customers and items in scope with every month packed in
    their fingerprint (sop.models.sales): reading it is several times faster than the
    embedded month documents; the months are picked in Python (an index cannot help)."""
    query: dict[str, Any] = {}
    customers = ctx.customer_ids()
    products = ctx.product_ids()
    if customers is not None:
        query["customer"] = {"$in": customers}
    if products is not None:
        query["product"] = {"$in": products}
    projection = {"customer": 1, "product": 1, "fingerprint": 1, "_id": 0}
    # scoped by caller: the report context's customers (ReportContext.customer_ids)
    return SalesHistory._get_collection().find(query, projection)


# --- registration -------------------------------------------------------------------------

CONSOLIDATED = register(ReportType(
    key="consolidated", title="Consolidated plan",
    description="The cycle's plan line by line in the Consol layout, with pivots by rep and "
                "by group and item.",
    filters=("cycle", "rep", "territory", "customer", "item", "group"), required=("cycle",),
    collections=PLAN_COLLECTIONS, build=build_consolidated))

FORECAST_SUMMARY = register(ReportType(
    key="forecast_summary", title="Forecast summary",
    description="A cycle's plan by rep, customer, group, territory and month, against budget "
                "and the previous cycle.",
    filters=("cycle", "rep", "territory", "customer", "item", "group"), required=("cycle",),
    collections=(*PLAN_COLLECTIONS, "budget_entries"), build=build_forecast_summary))

SUBMISSION_STATUS = register(ReportType(
    key="submission_status", title="Submission status",
    description="Where every rep's plan stands in a cycle: status, who and when, lines, "
                "totals and blank mandatory months.",
    filters=("cycle", "rep"), required=("cycle",),
    collections=(*PLAN_COLLECTIONS, "submissions"), build=build_submission_status))

SALES_SUMMARY = register(ReportType(
    key="sales_summary", title="Sales summary",
    description="Actual sales of a range of months: totals, monthly trend against the year "
                "before, top customers and top items.",
    filters=("month_from", "month_to", "rep", "territory", "customer", "item", "group"),
    required=("month_from", "month_to"),
    collections=("sales_history", "customers", "products", "users"),
    build=build_sales_summary))
