"""The submission status of a cycle: where every rep's plan stands (status, who and when,
lines, totals, blank mandatory months), each step of each submission, reps per status."""

from __future__ import annotations

from typing import Any

from bson import ObjectId

from sop.db import raw_collection
from sop.models import Customer, User
from sop.plans import missing_months, valued_plan_lines
from sop.reports.book import EFFECTIVE_PRICE_NOTE, FORECAST_DOLLARS_NOTE, ReportBook, ReportColumn
from sop.reports.registry import ReportContext, ReportType, register
from sop.reports.types.common import PLAN_COLLECTIONS, TOTAL_MONTHS, rep_query, report_cycle
from sop.security import scoped_query
from sop.submissions.board import board_rep_ids, board_statuses
from sop.submissions.services import status_label

METHODS = {"portal": "Portal", "excel": "Excel workbook"}


def build_submission_status(ctx: ReportContext) -> None:
    cycle = report_cycle(ctx)
    mandatory = min(cycle.mandatory_months, cycle.horizon_months)
    twelve = min(TOTAL_MONTHS, cycle.horizon_months)
    rep_ids = ctx.rep_ids()
    ids = board_rep_ids(cycle) if rep_ids is None else rep_ids
    statuses = board_statuses(cycle, ids)
    customers_of: dict[ObjectId, int] = {}
    for row in raw_collection(Customer).find(scoped_query(
            Customer, ctx.viewer, {"active": True, "sales_rep": {"$ne": None}}),
            {"sales_rep": 1}):
        customers_of[row["sales_rep"]] = customers_of.get(row["sales_rep"], 0) + 1
    plans: dict[ObjectId, list[float]] = {}  # lines, cases, $, incomplete lines, blank cells
    for line in valued_plan_lines(cycle.pk, rep_query(ctx), ("rep",)):
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
    """The name of the user a reference field names, from `names` (no query per row: the
    stored form holds the id, the field itself would load the user)."""
    ref = document.to_mongo().get(field_name) if document is not None else None
    return names.get(getattr(ref, "id", ref)) if ref is not None else None


SUBMISSION_STATUS = register(ReportType(
    key="submission_status", title="Submission status",
    description="Where every rep's plan stands in a cycle: status, who and when, lines, "
                "totals and blank mandatory months.",
    filters=("cycle", "rep"), required=("cycle",),
    collections=(*PLAN_COLLECTIONS, "submissions"), build=build_submission_status))
