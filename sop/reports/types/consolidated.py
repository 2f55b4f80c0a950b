"""The consolidated plan (DOMAIN.md §5.2) with its pivots by rep and by group and item: the
Consol layout planners already use, for every line of the cycle in scope."""

from __future__ import annotations

from sop.excel.consolidated import MONTHS as CONSOL_MONTHS
from sop.excel.consolidated import ConsolTotals, add_consolidated
from sop.plans import consolidated_rows
from sop.reports.book import EFFECTIVE_PRICE_NOTE, ReportBook
from sop.reports.registry import ReportContext, ReportType, register
from sop.reports.types.common import PLAN_COLLECTIONS, line_filter, report_cycle


def build_consolidated(ctx: ReportContext) -> None:
    cycle = report_cycle(ctx)
    book = ReportBook(ctx, f"Consolidated plan {cycle.name}", [
        "Consol: one row per (rep, customer, item) line with volume in any month, ordered by "
        "rep, customer S&OP name, item code, new items last in each rep's block; the layout "
        "of the sheet planners already use (DOMAIN.md §5.2, header on row 1), so their own "
        "pivot tables and look-ups keep working.",
        "Volume columns: cases M1-M12; TOTAL = SUM of M1-M12; price columns: effective "
        "$/case; sales columns: price x cases (formulas).", EFFECTIVE_PRICE_NOTE,
        "Baseline columns (after the sales block): the line's statistical baseline over "
        "M1-M12, the same months as TOTAL, and the method that won for its series; blank "
        "when the customer and item have no sales history to fit.",
        "By rep: cases and $ per rep and month, with totals. By group: cases and $ per "
        "product group and item, a subtotal per group and a grand total. Blank and zero "
        "volumes count as 0."])
    totals = ConsolTotals()
    add_consolidated(book.workbook, consolidated_rows(cycle, ctx.rep_ids(), line_filter(ctx),
                                                      with_baseline=True),
                     cycle.bucket_months[:CONSOL_MONTHS], totals,
                     top=[text for text, _ in book.title_block()],
                     progress=lambda lines: ctx.progress("Writing the Consol sheet", lines,
                                                         None), baseline=True)
    book.note_sheet("Consol", totals.lines)
    book.note_sheet("By rep", len(totals.by_rep))
    book.note_sheet("By group", len(totals.by_item))
    ctx.progress("Saving the workbook", totals.lines, totals.lines)
    book.save()


CONSOLIDATED = register(ReportType(
    key="consolidated", title="Consolidated plan",
    description="The cycle's plan line by line in the Consol layout, with pivots by rep and "
                "by group and item.",
    filters=("cycle", "rep", "territory", "customer", "item", "group"), required=("cycle",),
    collections=(*PLAN_COLLECTIONS, "baseline_lines"), build=build_consolidated))
