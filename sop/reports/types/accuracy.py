"""The "Accuracy and FVA" report (issue 16): for lag 1 and lag 3, each closed cycle's
submitted plan, the statistical baseline and the naive forecast against the actual sales,
per cycle and per rep, customer, item, product group and territory. The figures are
sop.accuracy's (the Accuracy page shows the same), in the report context's scope and filters.

The month range, when given, picks the months forecast (so at lag 1 and lag 3 it picks
different cycles); without it, the last DEFAULT_CYCLES closed cycles."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sop.accuracy.lags import LAGS, lag_target
from sop.accuracy.measures import Tally
from sop.accuracy.reading import Restriction
from sop.accuracy.service import (
    ACCURACY_COLLECTIONS,
    DEFAULT_CYCLES,
    DIMENSIONS,
    LABEL_HEADERS,
    Accuracy,
    closed_cycles,
    measure_lags,
)
from sop.reports.book import ReportBook, ReportColumn
from sop.reports.registry import ReportContext, ReportType, register

MEASURE_COLUMNS = (
    ReportColumn("Actual cases", "cases"), ReportColumn("Plan error cases", "cases"),
    ReportColumn("Plan WMAPE", "percent"), ReportColumn("Plan bias", "percent"),
    ReportColumn("Plan MAPE", "percent"), ReportColumn("Naive WMAPE", "percent"),
    ReportColumn("Value added vs naive", "percent"), ReportColumn("Baseline WMAPE", "percent"),
    ReportColumn("Plan WMAPE, baseline cells", "percent"),
    ReportColumn("Value added vs baseline", "percent"), ReportColumn("Plan adds value"),
    ReportColumn("Cells", "int"), ReportColumn("Cells without baseline", "int"))

ABOUT = [
    "Lag: the forecast of a month made k months ahead is the plan of the cycle that closed k "
    "months before it (its snapshot, frozen at close), read in the bucket of that month. Lag "
    "1 = the cycle that closed in the month just before; lag 3 = three months before. Each "
    "closed cycle forecasts one month per lag; when two cycles closed in the same month, the "
    "later close counts. The close month is the month of closing (else of the close date).",
    "A month is measured once it is over and the sales history holds it (a later month is "
    "imported); until then its cycle is listed as waiting.",
    "Cells: customer x item x month. Actual = cases sold (sales history); plan = cases in the "
    "snapshot (a blank or missing line is 0); naive = the cases sold in the last full month "
    "before the close month, carried forward; baseline = the statistical baseline the cycle "
    "had for the month (cells without one are left out of the baseline columns and counted).",
    "WMAPE = sum |actual - forecast| / sum actual. Bias = sum (forecast - actual) / sum actual: "
    "positive = over-forecast. MAPE = the mean of |actual - forecast| / actual over the cells "
    "that sold (actual > 0). Plan error cases = sum |actual - plan|.",
    "Value added (FVA) = WMAPE of the simpler forecast - WMAPE of the plan, in percentage "
    "points: positive = the plan was closer. Against the baseline it is measured on the cells "
    "that have a baseline ('Plan WMAPE, baseline cells'); 'Plan adds value' = Yes when the "
    "plan's error there is lower than the baseline's.",
    "Rep, territory and group are as they are today (a customer's current rep). A rep's "
    "report holds own customers and own plan lines only.",
]


def measure_figures(tally: Tally) -> list[Any]:
    """The MEASURE_COLUMNS of a tally."""
    adds = tally.adds_value
    return [tally.actual, tally.plan.abs_error, tally.plan.wmape, tally.plan.bias,
            tally.plan.mape, tally.naive.wmape, tally.value_added_vs_naive,
            tally.baseline.wmape, tally.plan_on_baseline.wmape, tally.value_added_vs_baseline,
            None if adds is None else ("Yes" if adds else "No"), tally.cells,
            tally.cells_without_baseline]


def report_cycles(ctx: ReportContext, lag: int) -> list[Any]:
    """The closed cycles whose `lag` month is in the range asked for, else the latest ones."""
    cycles = closed_cycles()
    months = set(ctx.months()) if ctx.filters.month_from else None
    if months is None:
        return cycles[-DEFAULT_CYCLES:]
    return [cycle for cycle in cycles
            if (target := lag_target(cycle, lag)) is not None and target.month_key in months]


def build_accuracy(ctx: ReportContext) -> None:
    customers, products = ctx.customer_ids(), ctx.product_ids()
    restriction = Restriction(None if customers is None else frozenset(customers),
                              None if products is None else frozenset(products))
    ctx.progress("Measuring", 0, None)
    results: list[Accuracy] = list(measure_lags(
        ctx.viewer, {lag: report_cycles(ctx, lag) for lag in LAGS}, restriction).values())
    ctx.progress("Writing", 0, None)
    book = ReportBook(ctx, "Accuracy and FVA", ABOUT)
    trend = book.sheet("By cycle", [
        ReportColumn("Lag", "int"), ReportColumn("Cycle"), ReportColumn("Month forecast",
                                                                         "month"),
        ReportColumn("Bucket"), *MEASURE_COLUMNS, ReportColumn("Status", width=40)])
    for result in results:
        for cycle in result.cycles:
            target = cycle.target
            figures = measure_figures(cycle.tally) if cycle.tally else [None] * len(
                MEASURE_COLUMNS)
            trend.row([result.lag, target.cycle.name, target.month, f"M{target.bucket + 1}",
                       *figures, cycle.waiting or "measured"])
        trend.total_row(f"Lag {result.lag}", [None, None, None, *measure_figures(
            result.total)])
    for name, title in DIMENSIONS.items():
        _dimension_sheet(book, f"By {title.lower()}", LABEL_HEADERS[name], results, name)
    book.save()


def _dimension_sheet(book: ReportBook, title: str, headers: Sequence[str],
                     results: list[Accuracy], name: str) -> None:
    sheet = book.sheet(title, [*(ReportColumn(header) for header in headers),
                               ReportColumn("Lag", "int"), *MEASURE_COLUMNS])
    for result in results:
        for row in result.rows[name]:
            sheet.row([*row.labels, result.lag, *measure_figures(row.tally)])
    for result in results:
        sheet.total_row(f"Total lag {result.lag}", [*[None] * (len(headers) - 1), result.lag,
                                                    *measure_figures(result.total)])


ACCURACY_FVA = register(ReportType(
    key="accuracy_fva", title="Accuracy and FVA",
    description="Closed cycles' plans, the statistical baseline and a naive forecast against "
                "actual sales at lag 1 and lag 3: WMAPE, bias, MAPE and forecast value added "
                "per cycle, rep, customer, item, group and territory.",
    filters=("month_from", "month_to", "rep", "territory", "customer", "item", "group"),
    required=(), collections=ACCURACY_COLLECTIONS, build=build_accuracy))
