"""Submission use cases: submit a plan, approve or reject it, and the board managers review from.
Whether a rep's plan may still be edited is decided here only (`plan_is_editable`)."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bson import ObjectId
from mongoengine import NotUniqueError

from sop.audit import field_changes, record_audit
from sop.clock import now
from sop.db import retry_write_conflicts
from sop.form_submission import FieldError
from sop.listing import cached_choices, cached_until_written
from sop.mail import send_email
from sop.models import (
    BudgetEntry,
    Customer,
    Cycle,
    ForecastLine,
    Product,
    Submission,
    SubmissionEvent,
    User,
)
from sop.models.submission import EDITABLE_STATUSES, SUBMISSION_METHODS
from sop.months import month_label
from sop.plans import (
    VALUED_LINE_COLLECTIONS,
    missing_months,
    over_same_months,
    plan_totals,
    previous_cycle,
    raw_lines,
    totals_by,
)
from sop.user_input import clean_text

BOARD_MONTHS = 12  # the board compares M1-M12 with budget and the previous cycle
MISSING_LINES_SHOWN = 60  # lines listed by name when a plan is incomplete; the rest counted
MISSING_CUSTOMERS_SHOWN = 40
REVIEWER_ROLES = frozenset({"admin", "manager"})
STATUS_LABELS = {"draft": "Not submitted", "submitted": "Submitted", "approved": "Approved",
                 "rejected": "Rejected", "missed": "Missed"}


class SubmissionError(FieldError):
    """A refused submit or review; the message says why (HTTP 422)."""


class StateConflict(SubmissionError):
    """The plan is not in a status that allows this (already submitted, reviewed...): 409."""


class ReviewForbidden(SubmissionError):
    """Nobody approves or rejects their own plan, and only managers and admins review: 403."""


# --- What is missing before a plan can be submitted -------------------------------------------


@dataclass
class MissingLine:
    product_id: ObjectId
    item_code: str
    description: str
    months: list[str]  # month names, consecutive months as ranges ("Nov 2026 to Feb 2027")


@dataclass
class MissingCustomer:
    customer_id: ObjectId
    name: str  # the S&OP name the rep knows the customer by
    code: str
    line_count: int  # lines of this customer with a mandatory month blank
    lines: list[MissingLine] = field(default_factory=list)  # listed (capped)

    @property
    def hidden(self) -> int:
        return self.line_count - len(self.lines)


@dataclass
class MissingReport:
    """What stops a plan from being submitted: per customer, the lines and mandatory months
    without a value (0 is a value). Lines are listed up to a cap; the rest are counted."""

    plan_lines: int = 0
    line_count: int = 0  # lines with at least one mandatory month blank
    customers: list[MissingCustomer] = field(default_factory=list)
    customer_count: int = 0

    @property
    def complete(self) -> bool:
        return self.plan_lines > 0 and self.line_count == 0

    @property
    def hidden_customers(self) -> int:
        return self.customer_count - len(self.customers)

    @property
    def hidden_lines(self) -> int:
        return self.line_count - sum(len(c.lines) for c in self.customers)


class PlanIncomplete(SubmissionError):
    """Submit refused: the report names the customers, items and months still blank."""

    def __init__(self, message: str, report: MissingReport) -> None:
        super().__init__(message)
        self.report = report


def month_ranges(cycle: Cycle, buckets: list[int]) -> list[str]:
    """1-based bucket numbers as month names, runs of consecutive months as one range."""
    months = cycle.bucket_months
    runs: list[list[int]] = []
    for bucket in buckets:
        if runs and bucket == runs[-1][-1] + 1:
            runs[-1].append(bucket)
        else:
            runs.append([bucket])
    return [month_label(months[run[0] - 1]) if len(run) == 1 else
            f"{month_label(months[run[0] - 1])} to {month_label(months[run[-1] - 1])}"
            for run in runs]


def missing_report(cycle: Cycle, rep: User, line_cap: int = MISSING_LINES_SHOWN,
                   customer_cap: int = MISSING_CUSTOMERS_SHOWN) -> MissingReport:
    """The rep's lines in the cycle with a mandatory month blank, grouped per customer."""
    report = MissingReport()
    gaps: dict[ObjectId, list[tuple[ObjectId, list[int]]]] = {}
    for raw in raw_lines({"cycle": cycle.pk, "rep": rep.pk}, ("customer", "product", "qty")):
        report.plan_lines += 1
        blank = missing_months(raw.get("qty") or [], cycle.mandatory_months)
        if blank:
            gaps.setdefault(raw["customer"], []).append((raw["product"], blank))
            report.line_count += 1
    if not gaps:
        return report
    report.customer_count = len(gaps)
    # scoped by caller: the customers of the rep's own lines
    customers = {row["_id"]: row for row in Customer._get_collection().find(
        {"_id": {"$in": list(gaps)}}, {"sop_name": 1, "code": 1})}
    ordered = sorted(gaps, key=lambda cid: (customers.get(cid, {}).get("sop_name") or "").lower())
    products = {row["_id"]: row for row in Product._get_collection().find(
        {"_id": {"$in": list({p for lines in gaps.values() for p, _ in lines})}},
        {"item_code": 1, "description": 1})}
    budget = line_cap
    for customer_id in ordered[:customer_cap]:
        info = customers.get(customer_id, {})
        group = MissingCustomer(customer_id, info.get("sop_name") or "(unknown customer)",
                                info.get("code") or "", len(gaps[customer_id]))
        lines = sorted(gaps[customer_id],
                       key=lambda pair: products.get(pair[0], {}).get("item_code") or "")
        for product_id, blank in lines[:max(budget, 0)]:
            item = products.get(product_id, {})
            group.lines.append(MissingLine(product_id, item.get("item_code") or "?",
                                           item.get("description") or "",
                                           month_ranges(cycle, blank)))
        budget -= len(group.lines)
        report.customers.append(group)
    return report


# --- Submit -----------------------------------------------------------------------------------


def submission_for(cycle: Cycle, rep: User) -> Submission:
    """The rep's submission for the cycle, created as a draft on first use. Race-safe: of two
    first uses at once, the one that did not insert reads the other's document (not every
    server retries such an upsert by itself)."""
    try:
        created = retry_write_conflicts(lambda: Submission.objects(cycle=cycle, rep=rep).modify(
            upsert=True, new=True, set_on_insert__status="draft"))
    except NotUniqueError:
        created = None
    # The embedded server may answer a raced upsert with no document: read the winner's.
    return created or Submission.objects.get(cycle=cycle, rep=rep)


def existing_submission(cycle: Cycle, rep: User) -> Submission | None:
    """The rep's submission for the cycle if there is one (reading never creates it)."""
    return Submission.objects(cycle=cycle, rep=rep).first()


def plan_is_editable(cycle: Cycle, rep: User, fresh: bool = True) -> bool:
    """Lines may change while the cycle is open and the rep's plan is a draft or rejected.
    `fresh=False` may answer from this process's copy of the submission (kept until
    submissions are next written): only for a check that a fresh one follows once the write
    is done (a cell save takes back a write that landed after a submit)."""
    if not cycle.is_open:
        return False

    def read() -> dict[str, Any] | None:
        # scoped by caller: the plan's rep (the acting rep, or the rep a manager reviews)
        return Submission._get_collection().find_one({"cycle": cycle.pk, "rep": rep.pk},
                                                     {"status": 1})

    submission = read() if fresh else cached_until_written(
        ("plan-status", cycle.pk, rep.pk), ("submissions",), read)
    return submission is None or submission.get("status") in EDITABLE_STATUSES


def status_label(status: str | None) -> str:
    return STATUS_LABELS.get(status or "draft", (status or "").capitalize())


def submit_plan(cycle: Cycle, rep: User, actor: User, method: str = "portal") -> Submission:
    """draft | rejected → submitted, once: every mandatory month of every line filled and at
    least one line. Locks the lines, freezes line count and totals, audits, e-mails the rep
    and the approvers. `method` is "excel" when the workbook import submits."""
    if method not in SUBMISSION_METHODS:
        raise ValueError(f"Unknown submission method {method!r}.")
    if actor.role == "sales_rep" and actor.pk != rep.pk:
        raise ReviewForbidden("A sales rep submits only their own plan.")
    if not cycle.is_open:
        raise StateConflict(f"The {cycle.name} cycle is {cycle.status}: plans can be submitted "
                            "only while it is open.")
    submission = submission_for(cycle, rep)
    if not submission.is_editable:
        raise StateConflict(_not_editable_message(submission))
    report = missing_report(cycle, rep)
    if report.plan_lines == 0:
        raise PlanIncomplete("The plan has no lines yet: enter the forecast of your customers "
                             "before submitting.", report)
    if report.line_count:
        raise PlanIncomplete(
            f"{report.line_count} line{'s' if report.line_count != 1 else ''} still miss"
            f"{'' if report.line_count != 1 else 'es'} mandatory months (M1-"
            f"M{cycle.mandatory_months}; 0 counts as a value).", report)
    at = now()
    before = submission.status
    locked = retry_write_conflicts(lambda: Submission.objects(
        id=submission.pk, status__in=list(EDITABLE_STATUSES)).modify(
        new=True, set__status="submitted", set__submitted_at=at, set__submitted_by=actor.pk,
        set__method=method, unset__reviewed_by=True, unset__reviewed_at=True,
        unset__review_comment=True, set__updated_at=at,
        push__history=SubmissionEvent(status="submitted", at=at, by=actor.pk,
                                      comment=f"Submitted via {method}")))
    if locked is None:  # someone (another tab) submitted in between: that one won
        submission.reload()
        raise StateConflict(_not_editable_message(submission))
    # The lines are locked from here on, so the frozen totals are the submitted plan's.
    totals = frozen_totals(cycle, rep)
    Submission.objects(id=locked.pk).update_one(set__line_count=totals["lines"],
                                                set__totals=totals)
    locked.reload()
    record_audit("submission_submitted",
                 f"{rep.full_name}'s {cycle.name} plan submitted via {method} "
                 f"({totals['lines']} lines, {totals['cases']:,.0f} cases, "
                 f"${totals['dollars']:,.2f} over M1-M{totals['months']}).",
                 actor=actor, entity_type="submission", entity_id=locked.pk,
                 changes=field_changes({"status": before},
                                       {"status": "submitted", "method": method,
                                        "line_count": totals["lines"]}))
    _mail_received(locked)
    return locked


def frozen_totals(cycle: Cycle, rep: User) -> dict[str, Any]:
    """Line count and cases / $ over the mandatory months at effective prices."""
    months = cycle.mandatory_months or cycle.horizon_months
    totals = plan_totals({"cycle": cycle.pk, "rep": rep.pk}, cycle.horizon_months)
    return {"lines": totals.lines, "months": months,
            "cases": totals.cases_through(months), "dollars": totals.dollars_through(months),
            "cases_by_month": totals.cases[:months], "dollars_by_month": totals.dollars[:months]}


def _not_editable_message(submission: Submission) -> str:
    return {
        "submitted": "This plan is already submitted and waits for review.",
        "approved": "This plan is approved: it can no longer change.",
        "missed": "The cycle closed before this plan was submitted.",
    }.get(submission.status, f"This plan is {status_label(submission.status).lower()}.")


def approvers() -> list[User]:
    """Who reviews plans: every active manager and admin."""
    return list(User.objects(role__in=sorted(REVIEWER_ROLES), active=True))


def _mail_received(submission: Submission) -> None:
    context = {"submission": submission, "cycle": submission.cycle, "rep": submission.rep}
    subject = f"{submission.rep.full_name} submitted the {submission.cycle.name} plan"
    event = f"submission_received:{submission.pk}:{len(submission.history)}"  # this hand-in
    send_email("submission_received", to=[submission.rep.email],
               subject=f"Your {submission.cycle.name} plan is submitted",
               context={**context, "audience": "rep"},
               notification="notify_submission_received", event_key=event)
    reviewers = [user.email for user in approvers() if user.pk != submission.rep.pk]
    if reviewers:
        send_email("submission_received", to=reviewers, subject=subject,
                   context={**context, "audience": "approvers"},
                   notification="notify_submission_received", event_key=event)


# --- Review -----------------------------------------------------------------------------------


def approve_submission(submission: Submission, actor: User, comment: str = "") -> Submission:
    """submitted → approved: locked for good."""
    return _review(submission, actor, "approved", comment)


def reject_submission(submission: Submission, actor: User, comment: str) -> Submission:
    """submitted → rejected (a comment saying what to fix is required): editable again."""
    return _review(submission, actor, "rejected", comment)


def _review(submission: Submission, actor: User, decision: str, comment: str) -> Submission:
    if actor.role not in REVIEWER_ROLES:
        raise ReviewForbidden("Only managers and admins review plans.")
    own = {submission.rep.pk, submission.submitted_by.pk if submission.submitted_by else None}
    if actor.pk in own:
        raise ReviewForbidden("Nobody approves or rejects their own plan.")
    comment = clean_text(comment or "").strip()[:2000]
    if decision == "rejected" and not comment:
        raise SubmissionError("Write a comment: the rep needs to know what to fix.", "comment")
    if submission.status != "submitted":
        raise StateConflict(_review_refusal(submission))
    at = now()
    reviewed = retry_write_conflicts(lambda: Submission.objects(
        id=submission.pk, status="submitted").modify(
        new=True, set__status=decision, set__reviewed_by=actor.pk, set__reviewed_at=at,
        set__review_comment=comment or None, set__updated_at=at,
        push__history=SubmissionEvent(status=decision, at=at, by=actor.pk,
                                      comment=comment or None)))
    if reviewed is None:  # reviewed by someone else meanwhile
        submission.reload()
        raise StateConflict(_review_refusal(submission))
    submission.reload()
    verb = "approved" if decision == "approved" else "rejected"
    record_audit(f"submission_{verb}",
                 f"{submission.rep.full_name}'s {submission.cycle.name} plan {verb}"
                 + (f": {comment}" if comment else "."),
                 actor=actor, entity_type="submission", entity_id=submission.pk,
                 changes=field_changes({"status": "submitted"},
                                       {"status": decision, "review_comment": comment or None}))
    send_email("submission_reviewed", to=[submission.rep.email],
               subject=f"Your {submission.cycle.name} plan is {verb}",
               context={"submission": submission, "cycle": submission.cycle,
                        "rep": submission.rep, "reviewer": actor, "comment": comment},
               notification="notify_submission_reviewed",
               event_key=f"submission_reviewed:{submission.pk}:{len(submission.history)}")
    return submission


def _review_refusal(submission: Submission) -> str:
    who = submission.reviewed_by.full_name if submission.reviewed_by else None
    if submission.status in ("approved", "rejected") and who:
        return f"Only submitted plans can be reviewed: {who} already {submission.status} it."
    return (f"Only submitted plans can be reviewed: this one is "
            f"{status_label(submission.status).lower()}.")


def review_submission(submission: Submission, actor: User, decision: str,
                      comment: str = "") -> Submission:
    """`decision` is "approve" or "reject" (what the board's buttons post)."""
    if decision == "approve":
        return approve_submission(submission, actor, comment)
    if decision == "reject":
        return reject_submission(submission, actor, comment)
    raise SubmissionError(f"Unknown decision {decision!r}.")


# --- The board --------------------------------------------------------------------------------


@dataclass
class Figures:
    cases: float = 0.0
    dollars: float = 0.0

    def add(self, cases: float, dollars: float) -> None:
        self.cases += cases
        self.dollars += dollars


@dataclass
class Versus:
    """A figure against a base: the difference with its sign and in % of the base."""

    value: float
    base: float | None

    @property
    def delta(self) -> float | None:
        return None if self.base is None else self.value - self.base

    @property
    def percent(self) -> float | None:
        if self.base is None or not self.base:
            return None
        return (self.value - self.base) / abs(self.base) * 100.0


@dataclass
class BoardRow:
    cycle: Cycle
    rep: User
    submission: Submission | None
    lines: int = 0
    plan: Figures = field(default_factory=Figures)
    budget: Figures | None = None
    last: Figures | None = None

    @property
    def status(self) -> str:
        return self.submission.status if self.submission else "draft"

    @property
    def status_label(self) -> str:
        return status_label(self.status)

    def versus(self, base: str, measure: str) -> Versus:
        other = getattr(self, base)
        return Versus(getattr(self.plan, measure),
                      None if other is None else getattr(other, measure))


def board_cycle(cycle_id: str | None = None) -> Cycle | None:
    """The cycle the board shows: the one asked for, else the open one, else the latest one
    that was ever opened, else the latest."""
    if cycle_id:
        if not ObjectId.is_valid(cycle_id):
            return None
        return Cycle.objects(id=cycle_id).first()
    return (Cycle.objects(status="open").first()
            or Cycle.objects(status__in=("closed", "archived")).order_by("-year", "-month").first()
            or Cycle.objects.order_by("-year", "-month").first())


def _customer_rep_ids() -> set[ObjectId]:
    # not rep-scoped: the board is for managers and admins
    return set(Customer._get_collection().distinct("sales_rep", {"active": True,
                                                                 "sales_rep": {"$ne": None}}))


def _line_rep_ids(cycle: Cycle) -> set[ObjectId]:
    """Reps with lines in the cycle; a minute per process (a scan of the cycle's lines, and a
    rep starting a plan almost always owns customers, who already put them on the board)."""
    # not rep-scoped: the board is for managers and admins
    return cached_choices(("board-line-reps", cycle.pk), lambda: set(
        ForecastLine._get_collection().distinct("rep", {"cycle": cycle.pk})))


def board_rep_ids(cycle: Cycle) -> list[ObjectId]:
    """Reps on the board: owners of active customers, anyone with lines in the cycle, and
    anyone with a submission for it."""
    # not rep-scoped: the board is for managers and admins
    ids = _customer_rep_ids() | _line_rep_ids(cycle)
    ids |= set(Submission._get_collection().distinct("rep", {"cycle": cycle.pk}))
    return [rep_id for rep_id in ids if rep_id is not None]


def board_statuses(cycle: Cycle, rep_ids: Iterable[ObjectId] | None = None
                   ) -> list[tuple[User, Submission | None]]:
    """Each rep on the board with their submission (None: never started), by name."""
    ids = board_rep_ids(cycle) if rep_ids is None else list(rep_ids)
    reps = User.objects(id__in=ids).order_by("full_name_lower")
    submissions = {s.rep.pk: s for s in Submission.objects(cycle=cycle, rep__in=ids)
                   .select_related(max_depth=1)} if ids else {}
    return [(rep, submissions.get(rep.pk)) for rep in reps]


def board_rows(cycle: Cycle, rep_ids: list[ObjectId] | None = None) -> list[BoardRow]:
    """Per rep: status, lines, cases and $ for M1-M12 against budget and the previous cycle
    over the same calendar months. The whole board (`rep_ids` None) reads the cycle's lines
    once: the reps with lines come out of that same pass."""
    # not rep-scoped: the board is for managers and admins
    if rep_ids is None:  # the whole cycle's lines (seconds at 20,000): kept until written
        plans = cached_until_written(
            ("board-plans", cycle.pk, cycle.horizon_months), VALUED_LINE_COLLECTIONS,
            lambda: totals_by({"cycle": cycle.pk}, cycle.horizon_months, "rep"))
        ids = _customer_rep_ids() | set(plans)
        ids |= set(Submission._get_collection().distinct("rep", {"cycle": cycle.pk}))
    else:
        plans = totals_by({"cycle": cycle.pk, "rep": {"$in": rep_ids}}, cycle.horizon_months,
                          "rep")
        ids = set(rep_ids)
    statuses = board_statuses(cycle, ids)
    if not statuses:
        return []
    months = min(BOARD_MONTHS, cycle.horizon_months)
    budgets = budget_by_rep(cycle, [rep.pk for rep, _ in statuses])
    last = last_cycle_figures(cycle, "rep", rep_ids)
    rows = []
    for rep, submission in statuses:
        row = BoardRow(cycle, rep, submission, budget=budgets.get(rep.pk, Figures()),
                       last=None if last is None else last.get(rep.pk, Figures()))
        plan = plans.get(rep.pk)
        if plan is not None:
            row.lines = plan.lines
            row.plan = Figures(plan.cases_through(months), plan.dollars_through(months))
        rows.append(row)
    return rows


def rows_summary(rows: list[BoardRow]) -> dict[str, int]:
    """How many reps of the board are in each status."""
    counts = dict.fromkeys(STATUS_LABELS, 0)
    for row in rows:
        counts[row.status] += 1
    return counts


def board_row(cycle: Cycle, rep: User) -> BoardRow:
    return board_rows(cycle, [rep.pk])[0]


def board_calendar(cycle: Cycle) -> list[date]:
    """The calendar months the board compares: M1..M12."""
    return cycle.bucket_months[:BOARD_MONTHS]


def budget_by_rep(cycle: Cycle, rep_ids: list[ObjectId]) -> dict[ObjectId, Figures]:
    """Each rep's budget (cases, $) over the cycle's first 12 calendar months."""
    wanted = [{"year": m.year, "month": m.month} for m in board_calendar(cycle)]
    pipeline = [{"$match": {"rep": {"$in": rep_ids}, "$or": wanted}},
                {"$group": {"_id": "$rep", "cases": {"$sum": "$cases"},
                            "sales": {"$sum": "$sales"}}}]
    # not rep-scoped: the board is for managers and admins
    return {row["_id"]: Figures(row["cases"] or 0.0, row["sales"] or 0.0)
            for row in BudgetEntry._get_collection().aggregate(pipeline)}


def last_cycle_figures(cycle: Cycle, key: str, rep_ids: list[ObjectId] | None = None
                       ) -> dict[Any, Figures] | None:
    """Cases and $ of the previous cycle over this cycle's M1-M12 calendar months, per `key`
    ("rep" or "customer") for the given reps (all when None): its frozen snapshot when there
    is one, else its lines. None when there is no previous cycle. A frozen snapshot never
    changes, so its figures for the whole board are computed once per process."""
    previous = previous_cycle(cycle)
    if previous is None:
        return None
    frozen = previous.snapshot_at is not None
    cache_key = (previous.pk, cycle.planning_start, key)
    if frozen and rep_ids is None:
        with _frozen_lock:
            hit = _frozen_figures.get(cache_key)
        if hit is not None:
            return hit
    result = _previous_figures(cycle, previous, key, rep_ids)
    if frozen and rep_ids is None:
        with _frozen_lock:
            if len(_frozen_figures) >= FROZEN_CACHE_SIZE:
                _frozen_figures.pop(next(iter(_frozen_figures)))
            _frozen_figures[cache_key] = result
    return result


_frozen_figures: dict[tuple[Any, ...], dict[Any, Figures]] = {}
_frozen_lock = threading.Lock()
FROZEN_CACHE_SIZE = 16


def _previous_figures(cycle: Cycle, previous: Cycle, key: str,
                      rep_ids: list[ObjectId] | None) -> dict[Any, Figures]:
    same = over_same_months(cycle, previous, len(board_calendar(cycle)))
    query: dict[str, Any] = {} if rep_ids is None else {"rep": {"$in": rep_ids}}
    result: dict[Any, Figures] = {}
    for line in same.lines(query, (key,)):
        result.setdefault(line.raw[key], Figures()).add(sum(line.cases), sum(line.dollars))
    return result


@dataclass
class CustomerChange:
    customer_id: ObjectId
    name: str
    code: str
    plan: Figures
    last: Figures | None

    def versus(self, measure: str) -> Versus:
        return Versus(getattr(self.plan, measure),
                      None if self.last is None else getattr(self.last, measure))


def customer_changes(cycle: Cycle, rep: User) -> list[CustomerChange]:
    """The rep's plan per customer for M1-M12 against the previous cycle, biggest $ change
    first."""
    months = min(BOARD_MONTHS, cycle.horizon_months)
    plans = totals_by({"cycle": cycle.pk, "rep": rep.pk}, cycle.horizon_months, "customer")
    last = last_cycle_figures(cycle, "customer", [rep.pk])
    ids = set(plans) | set(last or {})
    # not rep-scoped: the board is for managers and admins
    customers = {row["_id"]: row for row in Customer._get_collection().find(
        {"_id": {"$in": list(ids)}}, {"sop_name": 1, "code": 1})}
    changes = []
    for customer_id in ids:
        plan = plans.get(customer_id)
        info = customers.get(customer_id, {})
        changes.append(CustomerChange(
            customer_id, info.get("sop_name") or "(unknown customer)", info.get("code") or "",
            Figures(plan.cases_through(months), plan.dollars_through(months)) if plan
            else Figures(),
            None if last is None else last.get(customer_id, Figures())))
    changes.sort(key=lambda c: (-abs(c.versus("dollars").delta or c.plan.dollars), c.name))
    return changes


def board_summary(cycle: Cycle) -> dict[str, int]:
    """How many reps on the board are in each status (never started counts as draft)."""
    counts = dict.fromkeys(STATUS_LABELS, 0)
    for _, submission in board_statuses(cycle):
        counts[submission.status if submission else "draft"] += 1
    return counts
